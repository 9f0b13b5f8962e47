package asl

import (
	"reflect"
	"strings"
	"testing"
)

// decodeSeeds are valid and invalid documents around each case decodeFast
// handles or declines.
var decodeSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12`, `-1.5e10`, `1E+2`, `""`,
	` {"a" : [1, 2.5, "x", null, true, false, {}, []] , "b":{"c":{"d":"e"}}} `,
	`{"a":1,"a":2}`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u65e5\u2028"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00x"`,
	"\"ünï©ødé 日本\"", "\"bad\xff\"", "\"ctl\x01\"", `"\x"`, `"\u12"`, `"\u12g4"`,
	`01`, `1.`, `.5`, `-`, `1e`, `+1`, `1-2`, `[1,]`, `{"a":1,}`, `{"a"}`, `{a:1}`, `[1 2]`, `{"a":1 "b":2}`,
	`tru`, `truex`, `nul`, `1 2`, `{} x`, "{}\u00a0", "{}\f", "\f{}", "\t\r\n{}\n", ``, ` `, `[`, `{`, `"abc`,
}

// FuzzDecodeJSON checks the fast decoder against encoding/json: whatever
// it accepts, encoding/json accepts with the same value.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	// Nested as deep as decodeFast goes, and deeper.
	for _, d := range []int{maxFastDepth, maxFastDepth + 2} {
		f.Add([]byte(strings.Repeat("[", d) + "1" + strings.Repeat("]", d)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := decodeJSONStd(data)
		got, ok := decodeFast(data)
		if !ok {
			return
		}
		if werr != nil {
			t.Fatalf("decodeFast(%q) = %#v, encoding/json fails: %v", data, got, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeFast(%q) = %#v, encoding/json gives %#v", data, got, want)
		}
	})
}

// TestDecodeFastCoversCommonInput makes sure the fast path is the one taken
// for ordinary documents, not the fallback.
func TestDecodeFastCoversCommonInput(t *testing.T) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\n",null,true,{}]}`, `"\u00e9"`, "\"日本\"", ` [ ] `} {
		if _, ok := decodeFast([]byte(s)); !ok {
			t.Errorf("decodeFast(%q) declined", s)
		}
	}
}
