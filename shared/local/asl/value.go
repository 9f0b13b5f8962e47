package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// JSON values inside the interpreter are the types encoding/json produces
// with UseNumber: map[string]any, []any, string, json.Number, bool and nil.
// json.Number keeps integers such as ids exact as they flow through states.
// Values are treated as immutable: writers (ResultPath) copy on write.

// decodeJSON parses one JSON value, keeping numbers exact. Space may
// follow the value, nothing else.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		return nil, fmt.Errorf("unexpected data after JSON value")
	}
	return v, nil
}

// encodeJSON renders a value compactly without HTML escaping, the way
// Step Functions prints JSON.
func encodeJSON(v any) ([]byte, error) { return appendJSON(nil, v) }

func mustEncode(v any) json.RawMessage {
	b, err := encodeJSON(v)
	if err != nil {
		// Values only ever come from decodeJSON or the interpreter itself,
		// both of which produce encodable values.
		return json.RawMessage("null")
	}
	return b
}

func intNumber(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

// toFloat reports whether v is a JSON number and its value.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// toInt reports whether v is an integral JSON number and its value.
func toInt(v any) (int64, bool) {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i, true
		}
	}
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// jsonEqual compares two values as JSON: numbers by value, objects
// regardless of key order.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	fa, ok1 := toFloat(a)
	fb, ok2 := toFloat(b)
	return ok1 && ok2 && fa == fb
}

// typeName names a JSON value's type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	if _, ok := toFloat(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
