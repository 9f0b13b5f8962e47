package asl

import (
	"fmt"
	"strconv"
	"strings"
)

// The JSONPath subset ASL needs: $ (or $$ for the context object), member
// access by .name or ['name'], array index [n], wildcard [*] / .* and slices
// [a:b]. Filters, unions, recursive descent and script expressions are
// refused when the path is parsed, so a definition using them never loads.

type segKind uint8

const (
	segName segKind = iota
	segIndex
	segWildcard
	segSlice
)

type pathSeg struct {
	kind  segKind
	name  string
	index int
	// slice bounds; hasLo/hasHi false means open.
	lo, hi       int
	hasLo, hasHi bool
}

// jsonPath is a parsed path. A definite path (no wildcard or slice) selects
// at most one node; an indefinite one yields an array of every match.
type jsonPath struct {
	raw        string
	context    bool // starts with $$
	segs       []pathSeg
	indefinite bool // has a wildcard or slice; set by parsePath
}

func (p *jsonPath) String() string { return p.raw }

func (p *jsonPath) definite() bool { return !p.indefinite }

func (p *jsonPath) isRoot() bool { return len(p.segs) == 0 }

// parsePath parses a path starting with $ or $$.
func parsePath(s string) (*jsonPath, error) {
	p := &jsonPath{raw: s}
	switch {
	case strings.HasPrefix(s, "$$"):
		p.context = true
		s = s[2:]
	case strings.HasPrefix(s, "$"):
		s = s[1:]
	default:
		return nil, fmt.Errorf("path %q must start with $", p.raw)
	}
	for len(s) > 0 {
		switch s[0] {
		case '.':
			if strings.HasPrefix(s, "..") {
				return nil, fmt.Errorf("path %q: recursive descent (..) is not supported", p.raw)
			}
			s = s[1:]
			if strings.HasPrefix(s, "*") {
				p.segs = append(p.segs, pathSeg{kind: segWildcard})
				p.indefinite = true
				s = s[1:]
				continue
			}
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			name := s[:end]
			if name == "" {
				return nil, fmt.Errorf("path %q: empty member name", p.raw)
			}
			if strings.ContainsAny(name, "]'\"()?@,") {
				return nil, fmt.Errorf("path %q: unsupported characters in member name %q", p.raw, name)
			}
			p.segs = append(p.segs, pathSeg{kind: segName, name: name})
			s = s[end:]
		case '[':
			seg, rest, err := parseBracket(s)
			if err != nil {
				return nil, fmt.Errorf("path %q: %w", p.raw, err)
			}
			p.segs = append(p.segs, seg)
			p.indefinite = p.indefinite || seg.kind == segWildcard || seg.kind == segSlice
			s = rest
		default:
			return nil, fmt.Errorf("path %q: unexpected %q", p.raw, s[0])
		}
	}
	return p, nil
}

// parseBracket parses one [...] selector at the start of s.
func parseBracket(s string) (pathSeg, string, error) {
	s = s[1:]
	if len(s) > 0 && (s[0] == '\'' || s[0] == '"') {
		q := s[0]
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != q; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) || i+1 >= len(s) || s[i+1] != ']' {
			return pathSeg{}, "", fmt.Errorf("unterminated quoted member name")
		}
		return pathSeg{kind: segName, name: b.String()}, s[i+2:], nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return pathSeg{}, "", fmt.Errorf("missing ]")
	}
	body := strings.TrimSpace(s[:end])
	rest := s[end+1:]
	switch {
	case body == "*":
		return pathSeg{kind: segWildcard}, rest, nil
	case strings.HasPrefix(body, "?") || strings.HasPrefix(body, "("):
		return pathSeg{}, "", fmt.Errorf("filter and script expressions are not supported")
	case strings.Contains(body, ","):
		return pathSeg{}, "", fmt.Errorf("unions are not supported")
	case strings.Contains(body, ":"):
		parts := strings.Split(body, ":")
		if len(parts) != 2 {
			return pathSeg{}, "", fmt.Errorf("slice steps are not supported")
		}
		seg := pathSeg{kind: segSlice}
		for i, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil {
				return pathSeg{}, "", fmt.Errorf("bad slice bound %q", part)
			}
			if i == 0 {
				seg.lo, seg.hasLo = n, true
			} else {
				seg.hi, seg.hasHi = n, true
			}
		}
		return seg, rest, nil
	}
	n, err := strconv.Atoi(body)
	if err != nil || n < 0 {
		return pathSeg{}, "", fmt.Errorf("bad array index %q", body)
	}
	return pathSeg{kind: segIndex, index: n}, rest, nil
}

// parseReferencePath parses a path that must name exactly one node (used by
// ResultPath and the Choice Variable), so wildcards and slices are refused.
func parseReferencePath(s string) (*jsonPath, error) {
	p, err := parsePath(s)
	if err != nil {
		return nil, err
	}
	if !p.definite() {
		return nil, fmt.Errorf("path %q must be a reference path (no wildcards or slices)", s)
	}
	return p, nil
}

// get evaluates the path on v. A definite path returns the single node or
// ok=false when it does not exist; an indefinite one returns an array of
// all matches (possibly empty) and ok=true.
func (p *jsonPath) get(v any) (any, bool) {
	if p.definite() {
		for _, s := range p.segs {
			var ok bool
			v, ok = step(v, s)
			if !ok {
				return nil, false
			}
		}
		return v, true
	}
	cur := []any{v}
	for _, s := range p.segs {
		var next []any
		for _, c := range cur {
			next = appendMatches(next, c, s)
		}
		cur = next
	}
	if cur == nil {
		cur = []any{}
	}
	return cur, true
}

func step(v any, s pathSeg) (any, bool) {
	switch s.kind {
	case segName:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		r, ok := m[s.name]
		return r, ok
	case segIndex:
		a, ok := v.([]any)
		if !ok || s.index >= len(a) {
			return nil, false
		}
		return a[s.index], true
	}
	return nil, false
}

func appendMatches(out []any, v any, s pathSeg) []any {
	switch s.kind {
	case segName, segIndex:
		if r, ok := step(v, s); ok {
			out = append(out, r)
		}
	case segWildcard:
		switch c := v.(type) {
		case []any:
			out = append(out, c...)
		case map[string]any:
			for _, k := range sortedKeys(c) {
				out = append(out, c[k])
			}
		}
	case segSlice:
		a, ok := v.([]any)
		if !ok {
			return out
		}
		lo, hi := 0, len(a)
		if s.hasLo {
			lo = clampIndex(s.lo, len(a))
		}
		if s.hasHi {
			hi = clampIndex(s.hi, len(a))
		}
		if lo < hi {
			out = append(out, a[lo:hi]...)
		}
	}
	return out
}

func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return max(0, min(i, n))
}

// set returns a copy of root with val stored at the path, creating missing
// objects on the way, as ResultPath does. Containers along the path are
// copied, never mutated, so the state input stays intact.
func (p *jsonPath) set(root, val any) (any, error) {
	return setAt(root, p.segs, val, p.raw)
}

func setAt(cur any, segs []pathSeg, val any, raw string) (any, error) {
	if len(segs) == 0 {
		return val, nil
	}
	s := segs[0]
	switch s.kind {
	case segName:
		var m map[string]any
		switch c := cur.(type) {
		case map[string]any:
			m = make(map[string]any, len(c)+1)
			for k, v := range c {
				m[k] = v
			}
		case nil:
			m = map[string]any{}
		default:
			return nil, fmt.Errorf("cannot set %q: %s is not an object", raw, typeName(cur))
		}
		child, err := setAt(m[s.name], segs[1:], val, raw)
		if err != nil {
			return nil, err
		}
		m[s.name] = child
		return m, nil
	case segIndex:
		a, ok := cur.([]any)
		if !ok || s.index >= len(a) {
			return nil, fmt.Errorf("cannot set %q: index %d out of range", raw, s.index)
		}
		c := append([]any(nil), a...)
		child, err := setAt(c[s.index], segs[1:], val, raw)
		if err != nil {
			return nil, err
		}
		c[s.index] = child
		return c, nil
	}
	return nil, fmt.Errorf("cannot set %q: not a reference path", raw)
}
