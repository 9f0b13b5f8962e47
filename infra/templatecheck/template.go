// Package templatecheck holds the SAM template (template.yaml) to the code
// it deploys: every function builds from an existing ./functions/<name>
// package, the state machine's ${...} placeholders and the template's
// DefinitionSubstitutions match one for one, and each function gets the
// environment variables and IAM actions that awsapp.Functions declares for
// it, and no service it does not declare; each SQS event source is
// consistent with its queue (visibility, dead-letter queue, partial
// failures, a concurrency cap) and each schedule is named after the stack.
// The checks take a parsed
// template, so the tests can prove each one fails on a broken copy.
package templatecheck

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed CloudFormation/SAM template as plain Go values
// (map[string]any, []any, string, bool, int, float64, nil). CloudFormation's
// short-form tags are turned into their long forms, so !Ref X reads as
// {"Ref": "X"}, !GetAtt A.B as {"Fn::GetAtt": ["A", "B"]} and !Sub s as
// {"Fn::Sub": s}.
type Template struct {
	Root map[string]any
}

// intrinsics maps each short-form tag to its long-form key.
var intrinsics = map[string]string{
	"!Ref":         "Ref",
	"!Condition":   "Condition",
	"!Sub":         "Fn::Sub",
	"!GetAtt":      "Fn::GetAtt",
	"!If":          "Fn::If",
	"!Join":        "Fn::Join",
	"!Select":      "Fn::Select",
	"!Split":       "Fn::Split",
	"!Equals":      "Fn::Equals",
	"!Not":         "Fn::Not",
	"!And":         "Fn::And",
	"!Or":          "Fn::Or",
	"!FindInMap":   "Fn::FindInMap",
	"!ImportValue": "Fn::ImportValue",
	"!Base64":      "Fn::Base64",
	"!Cidr":        "Fn::Cidr",
	"!GetAZs":      "Fn::GetAZs",
	"!Transform":   "Fn::Transform",
}

// Load reads and parses a template file.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse parses a template's YAML.
func Parse(b []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("not a single YAML document")
	}
	v, err := decode(doc.Content[0])
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the template is not a mapping")
	}
	return &Template{Root: root}, nil
}

// decode turns a node into plain values, expanding intrinsic tags.
func decode(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return decode(n.Alias)
	}
	if fn, ok := intrinsics[n.Tag]; ok {
		var arg any
		var err error
		switch n.Kind {
		case yaml.ScalarNode:
			arg = n.Value
			if fn == "Fn::GetAtt" {
				// !GetAtt Resource.Attribute: the attribute may itself contain dots.
				res, att, found := strings.Cut(n.Value, ".")
				if !found {
					return nil, fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, n.Value)
				}
				arg = []any{res, att}
			}
		default:
			plain := *n
			plain.Tag = ""
			if arg, err = decode(&plain); err != nil {
				return nil, err
			}
		}
		return map[string]any{fn: arg}, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			v, err := decode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := decode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

// Resources returns the template's resources by logical id.
func (t *Template) Resources() map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := t.Root["Resources"].(map[string]any)
	for id, r := range res {
		if m, ok := r.(map[string]any); ok {
			out[id] = m
		}
	}
	return out
}

// OfType returns the logical ids of the resources of type typ, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources() {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Functions returns the logical ids of the AWS::Serverless::Function
// resources, sorted.
func (t *Template) Functions() []string { return t.OfType("AWS::Serverless::Function") }

// Properties returns a resource's Properties (nil when absent).
func (t *Template) Properties(id string) map[string]any {
	p, _ := t.Resources()[id]["Properties"].(map[string]any)
	return p
}

// Path follows keys through nested mappings from v.
func Path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Clone returns a deep copy, for tests that break a copy of the template.
func (t *Template) Clone() *Template {
	return &Template{Root: cloneValue(t.Root).(map[string]any)}
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneValue(e)
		}
		return s
	}
	return v
}
