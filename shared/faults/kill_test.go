package faults_test

import (
	"context"
	"fmt"
	"github.com/cxloop/cxloop/shared/faults"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Seeds is how many random kill points the restart test tries.
const seeds = 20

// cxloop dev dies at a random call of its table — the process is gone
// from that call on: nothing more is stored, sent (the outbox is in the
// table) or advanced (the executions are too) — and starts again on the
// same data dir. The client replays the step it was in, the sweeper and
// the interpreter's resume do the rest, and the invariants hold.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	for _, background := range []bool{false, true} {
		t.Run(fmt.Sprintf("background=%v", background), func(t *testing.T) {
			t.Parallel()
			killAndRestart(t, background)
		})
	}
}

// killAndRestart is TestKillAndRestart with the work done before each
// request returns, or after it (background).
func killAndRestart(t *testing.T, background bool) {
	count := faults.NewPlan()
	e := start(t, t.TempDir(), wiring{kill: count, background: background})
	if i, err := run(e, scenario(), 0); err != nil {
		t.Fatalf("clean run stopped at step %d: %v", i, err)
	}
	total := count.Calls(faults.TablePort)
	t.Logf("%d table calls in a clean run (outbox and executions included)", total)
	for seed := uint64(1); seed <= seeds; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
		rule := faults.Rule{Port: faults.TablePort, Call: 1 + rng.IntN(total), Kind: faults.Fail, Sticky: true}
		if rng.IntN(2) == 0 {
			rule.Kind = faults.Ambiguous // the last write landed, its reply did not
		}
		t.Run(strings.ReplaceAll(rule.String(), " ", "-"), func(t *testing.T) {
			t.Parallel()
			t.Logf("seed %d: dies at %s", seed, rule)
			dir := t.TempDir()
			kill := faults.NewPlan(rule).Record()
			dying := start(t, dir, wiring{kill: kill, background: background})
			steps := scenario()
			at, err := run(dying, steps, 0)
			t.Logf("client stopped at step %d: %v", at, err)
			ops := kill.Ops(faults.TablePort)
			if testing.Verbose() {
				t.Logf("ops before death: %s", strings.Join(ops[max(0, rule.Call-12):min(rule.Call, len(ops))], " | "))
			}
			dying.close()

			e := start(t, dir, wiring{background: background})
			if at < len(steps) {
				if i, err := run(e, steps, at); err != nil {
					t.Errorf("after restart, stopped at step %d: %v", i, err)
				}
			}
			// The last step may have "succeeded" on the dead server (the clock
			// endpoint reports no store errors): let the sweeper run on the live one.
			if err := steps[len(steps)-1].do(e); err != nil {
				t.Errorf("recover after restart: %v", err)
			}
			done := rule.Call - 1
			if rule.Kind == faults.Ambiguous {
				done++
			}
			allow := killAllowance(e, ops[:min(done, len(ops))])
			allow.closedBeforeNotice = background
			checkInvariants(t, e, allow)
		})
	}
}

// killAllowance names the at-least-once and at-most-once edges a death
// at that point may hit: a survey handed to the outbox (the provider)
// but not yet marked sent is sent again after the restart (documented in
// Send); a note whose claim was stored but that was not yet handed over
// is lost (documented in NotifyCustomer).
//
// Staff emails (task, escalation) are sent before they are marked, so a
// death between the two sends one again: at-least-once, as the survey.
// The SMS thank-you is never retried, so a death before it loses it. A
// client that completes the follow-up right after the restart may do so
// before the loop noticed the SLA had passed: no escalation then.
func killAllowance(e *env, done []string) allowance {
	a := allowance{dupSurvey: map[string]bool{}, lostNote: map[string]bool{}, dupStaff: true, skipEscalation: true}
	inbound := slices.Index(done, "Get MESSAGE#inbound-"+inboundID)
	a.lostReply = inbound >= 0 && !slices.ContainsFunc(done[inbound:], func(op string) bool { return strings.HasPrefix(op, "Put OUTBOXMSG#sms-") })
	byID := map[string]map[string]string{}
	for _, m := range e.outbox() {
		byID[m.ID] = m.Tags
	}
	for i, op := range done {
		id, ok := strings.CutPrefix(op, "Put OUTBOXMSG#")
		if !ok {
			continue
		}
		sv := byID[id]["survey_id"]
		if sv == "" || byID[id]["purpose"] != "survey" {
			continue
		}
		marked := false
		for _, later := range done[i+1:] {
			marked = marked || later == "Put SURVEY#"+sv
		}
		a.dupSurvey[sv] = !marked
	}
	// The note is claimed (a Put of its task) and then handed over (a Put
	// in the outbox): a death between the two loses it.
	for _, id := range []string{emailID, smsID} {
		task := taskOf(id)
		tk, err := e.srv.App.Store().Tasks.Get(context.Background(), task)
		if err != nil || tk.NoteSentAt.IsZero() {
			continue
		}
		last := -1
		for i, op := range done {
			if op == "Put TASK#"+task {
				last = i
			}
		}
		handed := false
		for _, op := range done[last+1:] {
			handed = handed || strings.HasPrefix(op, "Put OUTBOXMSG#")
		}
		a.lostNote[task] = last >= 0 && !handed
	}
	return a
}
