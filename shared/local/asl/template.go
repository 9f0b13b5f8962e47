package asl

import (
	"fmt"
	"sort"
	"strings"
)

// A payload template (Parameters, ResultSelector, ItemSelector) is compiled
// at load: keys ending in ".$" become path or intrinsic lookups, everything
// else is copied literally. Objects nested at any depth, including inside
// arrays, are processed.

type tnodeKind uint8

const (
	tLiteral tnodeKind = iota
	tObject
	tArray
	tPath
	tIntrinsic
)

type tnode struct {
	kind   tnodeKind
	lit    any
	fields []tfield
	elems  []tnode
	path   *jsonPath
	call   *intrinsicCall
	// usesContext is true when any part reads $$, so the context object is
	// only built when needed.
	usesContext bool
}

type tfield struct {
	key  string // output key, without ".$"
	src  string // key as written, for error messages
	node tnode
}

type template struct{ root tnode }

// compileTemplate compiles a template value; field is the state field name
// for errors.
func compileTemplate(v any, field string) (*template, error) {
	n, err := compileNode(v, field)
	if err != nil {
		return nil, err
	}
	return &template{root: n}, nil
}

func compileNode(v any, where string) (tnode, error) {
	switch x := v.(type) {
	case map[string]any:
		n := tnode{kind: tObject}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dynamic := false
		seen := map[string]string{}
		for _, k := range keys {
			child := x[k]
			f := tfield{key: k, src: k}
			if strings.HasSuffix(k, ".$") {
				f.key = strings.TrimSuffix(k, ".$")
				s, ok := child.(string)
				if !ok {
					return tnode{}, fmt.Errorf("%s.%s: the value of a key ending in .$ must be a string path or intrinsic, got %s", where, k, typeName(child))
				}
				expr, err := compileExpr(s)
				if err != nil {
					return tnode{}, fmt.Errorf("%s.%s: %w", where, k, err)
				}
				f.node = expr
				dynamic = true
			} else {
				c, err := compileNode(child, where+"."+k)
				if err != nil {
					return tnode{}, err
				}
				f.node = c
				if c.kind != tLiteral {
					dynamic = true
				}
			}
			if prev, dup := seen[f.key]; dup {
				return tnode{}, fmt.Errorf("%s: keys %q and %q both produce %q", where, prev, k, f.key)
			}
			seen[f.key] = k
			n.usesContext = n.usesContext || f.node.usesContext
			n.fields = append(n.fields, f)
		}
		if !dynamic {
			return tnode{kind: tLiteral, lit: v}, nil
		}
		return n, nil
	case []any:
		n := tnode{kind: tArray}
		dynamic := false
		for i, e := range x {
			c, err := compileNode(e, fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return tnode{}, err
			}
			if c.kind != tLiteral {
				dynamic = true
			}
			n.usesContext = n.usesContext || c.usesContext
			n.elems = append(n.elems, c)
		}
		if !dynamic {
			return tnode{kind: tLiteral, lit: v}, nil
		}
		return n, nil
	}
	return tnode{kind: tLiteral, lit: v}, nil
}

// compileExpr compiles the string value of a ".$" key: a path, a context
// path or an intrinsic function call.
func compileExpr(s string) (tnode, error) {
	if isIntrinsic(s) {
		c, err := parseIntrinsic(s)
		if err != nil {
			return tnode{}, err
		}
		return tnode{kind: tIntrinsic, call: c, usesContext: callUsesContext(c)}, nil
	}
	p, err := parsePath(s)
	if err != nil {
		return tnode{}, err
	}
	return tnode{kind: tPath, path: p, usesContext: p.context}, nil
}

func callUsesContext(c *intrinsicCall) bool {
	for _, a := range c.args {
		if a.kind == argPath && a.path.context || a.kind == argCall && callUsesContext(a.call) {
			return true
		}
	}
	return false
}

// eval builds the payload. Missing paths fail with States.Runtime naming the
// field, as AWS does.
func (t *template) eval(env *evalEnv) (any, error) { return t.root.eval(env) }

func (n *tnode) eval(env *evalEnv) (any, error) {
	switch n.kind {
	case tLiteral:
		return n.lit, nil
	case tPath:
		return env.resolvePath(n.path)
	case tIntrinsic:
		return n.call.eval(env)
	case tArray:
		out := make([]any, len(n.elems))
		for i := range n.elems {
			v, err := n.elems[i].eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	out := make(map[string]any, len(n.fields))
	for i := range n.fields {
		f := &n.fields[i]
		v, err := f.node.eval(env)
		if err != nil {
			if se, ok := err.(*stateError); ok && f.node.kind == tPath {
				return nil, &stateError{Name: se.Name, Cause: fmt.Sprintf("The JSONPath '%s' specified for the field '%s' could not be found in the input", f.node.path.raw, f.src)}
			}
			return nil, err
		}
		out[f.key] = v
	}
	return out, nil
}
