package asl

import "sort"

// validateMachine checks one States block after its states are parsed:
// StartAt and every Next, Default and Catch target exist inside this block
// (a transition may not leave a branch), and every state is reachable.
func validateMachine(mc *machine, owner string) error {
	if _, ok := mc.states[mc.startAt]; !ok {
		return &LoadError{State: owner, Field: "StartAt", Msg: "names state " + quote(mc.startAt) + " which does not exist in this block"}
	}
	names := make([]string, 0, len(mc.states))
	for n := range mc.states {
		names = append(names, n)
	}
	sort.Strings(names)
	target := func(st *State, field, next string) error {
		if _, ok := mc.states[next]; !ok {
			return &LoadError{State: st.Name, Field: field, Msg: "transition to unknown state " + quote(next)}
		}
		return nil
	}
	edges := map[string][]string{}
	for _, n := range names {
		st := mc.states[n]
		if st.next != "" {
			if err := target(st, "Next", st.next); err != nil {
				return err
			}
			edges[n] = append(edges[n], st.next)
		}
		for _, c := range st.catch {
			if err := target(st, "Catch", c.next); err != nil {
				return err
			}
			edges[n] = append(edges[n], c.next)
		}
		for _, r := range st.choices {
			if err := target(st, "Choices", r.next); err != nil {
				return err
			}
			edges[n] = append(edges[n], r.next)
		}
		if st.defaultNext != "" {
			if err := target(st, "Default", st.defaultNext); err != nil {
				return err
			}
			edges[n] = append(edges[n], st.defaultNext)
		}
	}
	seen := map[string]bool{mc.startAt: true}
	queue := []string{mc.startAt}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range edges[n] {
			if !seen[e] {
				seen[e] = true
				queue = append(queue, e)
			}
		}
	}
	for _, n := range names {
		if !seen[n] {
			return &LoadError{State: n, Msg: "state is not reachable from StartAt"}
		}
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }
