package asl

import (
	"regexp"
	"strings"
	"testing"
)

// evalIntrinsic runs one intrinsic in a Pass state's Parameters.
func evalIntrinsic(t *testing.T, expr, input string) *Execution {
	t.Helper()
	def := single(`{"Type":"Pass","Parameters":{"r.$":` + quoteJSON(expr) + `},"OutputPath":"$.r","End":true}`)
	return runDef(t, def, input, nil)
}

func quoteJSON(s string) string { return string(mustEncode(s)) }

// TestIntrinsicsDocExamples reproduces the examples of the AWS "Intrinsic
// functions" page with their documented results.
func TestIntrinsicsDocExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, input, want string
	}{
		{"Format", `States.Format('Hello, my name is {}.', $.name)`, `{"name":"Arnav"}`, `"Hello, my name is Arnav."`},
		{"Format escapes", `States.Format('{} \{literal\} \'q\' \\', $.n)`, `{"n":3}`, `"3 {literal} 'q' \\"`},
		{"Format number bool null", `States.Format('{}|{}|{}|{}', 1.5, true, null, 'x')`, `{}`, `"1.5|true|null|x"`},
		{"StringToJson", `States.StringToJson($.escapedJsonString)`, `{"escapedJsonString":"{\"foo\": \"bar\"}"}`, `{"foo":"bar"}`},
		{"JsonToString", `States.JsonToString($.unescapedJson)`, `{"unescapedJson":{"foo":"bar"}}`, `"{\"foo\":\"bar\"}"`},
		{"Array", `States.Array($.Id)`, `{"Id":123456}`, `[123456]`},
		{"Array mixed", `States.Array('a', 1, null, true, $.o)`, `{"o":{"k":1}}`, `["a",1,null,true,{"k":1}]`},
		{"Array empty", `States.Array()`, `{}`, `[]`},
		{"ArrayPartition", `States.ArrayPartition($.inputArray,4)`, `{"inputArray":[1,2,3,4,5,6,7,8,9]}`, `[[1,2,3,4],[5,6,7,8],[9]]`},
		{"ArrayContains", `States.ArrayContains($.inputArray, $.lookingFor)`, `{"inputArray":[1,2,3,4,5,6,7,8,9],"lookingFor":5}`, `true`},
		{"ArrayContains object", `States.ArrayContains($.a, $.o)`, `{"a":[{"x":1}],"o":{"x":1.0}}`, `true`},
		{"ArrayContains missing", `States.ArrayContains($.a, 'z')`, `{"a":["y"]}`, `false`},
		{"ArrayRange", `States.ArrayRange(1, 9, 2)`, `{}`, `[1,3,5,7,9]`},
		{"ArrayRange down", `States.ArrayRange(5, 1, -2)`, `{}`, `[5,3,1]`},
		{"ArrayGetItem", `States.ArrayGetItem($.inputArray, $.index)`, `{"inputArray":[1,2,3,4,5,6,7,8,9],"index":5}`, `6`},
		{"ArrayLength", `States.ArrayLength($.inputArray)`, `{"inputArray":[1,2,3,4,5,6,7,8,9]}`, `9`},
		{"ArrayUnique", `States.ArrayUnique($.inputArray)`, `{"inputArray":[1,2,3,3,3,3,3,3,4]}`, `[1,2,3,4]`},
		{"Base64Encode", `States.Base64Encode($.input)`, `{"input":"Data to encode"}`, `"RGF0YSB0byBlbmNvZGU="`},
		{"Base64Decode", `States.Base64Decode($.base64)`, `{"base64":"RGF0YSB0byBlbmNvZGU="}`, `"Data to encode"`},
		{"Hash SHA-1", `States.Hash($.Data, $.Algorithm)`, `{"Data":"input data","Algorithm":"SHA-1"}`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{"Hash MD5", `States.Hash('abc', 'MD5')`, `{}`, `"900150983cd24fb0d6963f7d28e17f72"`},
		{"Hash SHA-256", `States.Hash('abc', 'SHA-256')`, `{}`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{"Hash SHA-384", `States.Hash('abc', 'SHA-384')`, `{}`, `"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"`},
		{"Hash SHA-512", `States.Hash('abc', 'SHA-512')`, `{}`, `"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"`},
		{"JsonMerge", `States.JsonMerge($.json1, $.json2, false)`, `{"json1":{"a":{"a1":1,"a2":2},"b":2},"json2":{"a":{"a3":1,"a4":2},"c":3}}`, `{"a":{"a3":1,"a4":2},"b":2,"c":3}`},
		{"MathAdd", `States.MathAdd($.value1, $.step)`, `{"value1":111,"step":-1}`, `110`},
		{"StringSplit", `States.StringSplit($.inputString, $.splitter)`, `{"inputString":"1,2,3,4,5","splitter":","}`, `["1","2","3","4","5"]`},
		{"StringSplit many", `States.StringSplit($.inputString, $.splitter)`, `{"inputString":"This.is+a,test=string","splitter":".+,="}`, `["This","is","a","test","string"]`},
		{"nested", `States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.Arn, '/'), 2), '.'), 1))`, `{"Arn":"arn:aws:imagebuilder:us-east-1:1:image-recipe/recipe/1.0.0"}`, `"1.0"`},
		{"context path arg", `States.Format('{}-{}', $$.Execution.Name, $$.State.Name)`, `{}`, `"x-S"`},
		{"quoted path", `States.ArrayLength($['my list'])`, `{"my list":[1,2]}`, `2`},
		{"comma in string", `States.Format('a, {}', 'b, c')`, `{}`, `"a, b, c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := evalIntrinsic(t, tt.expr, tt.input)
			mustSucceed(t, x)
			assertJSON(t, x.Output, tt.want)
		})
	}
}

func TestIntrinsicsRandom(t *testing.T) {
	t.Parallel()
	x := evalIntrinsic(t, `States.Array(States.MathRandom($.start, $.end), States.MathRandom(1, 999, 7), States.MathRandom(1, 999, 7), States.UUID())`, `{"start":1,"end":999}`)
	mustSucceed(t, x)
	v, _ := decodeJSON(x.Output)
	a := v.([]any)
	n, _ := toInt(a[0])
	if n < 1 || n >= 999 {
		t.Errorf("MathRandom out of range: %v", a[0])
	}
	if !jsonEqual(a[1], a[2]) {
		t.Errorf("seeded MathRandom not deterministic: %v %v", a[1], a[2])
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a[3].(string)) {
		t.Errorf("UUID %v is not a v4 UUID", a[3])
	}
}

func TestIntrinsicsFailures(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, expr, input, cause string }{
		{"Format too few args", `States.Format('{} {}', 'a')`, `{}`, "more {} than arguments"},
		{"Format object arg", `States.Format('{}', $.o)`, `{"o":{}}`, "must be a string, number"},
		{"StringToJson invalid", `States.StringToJson('{x')`, `{}`, "invalid JSON"},
		{"ArrayPartition zero", `States.ArrayPartition($.a, 0)`, `{"a":[1]}`, "positive"},
		{"ArrayGetItem range", `States.ArrayGetItem($.a, 3)`, `{"a":[1]}`, "out of range"},
		{"ArrayLength not array", `States.ArrayLength($.s)`, `{"s":"x"}`, "must be an array"},
		{"ArrayRange too big", `States.ArrayRange(0, 5000, 1)`, `{}`, "more than 1000"},
		{"ArrayRange step zero", `States.ArrayRange(0, 5, 0)`, `{}`, "step"},
		{"Base64Decode invalid", `States.Base64Decode('***')`, `{}`, "illegal base64"},
		{"Hash algorithm", `States.Hash('a', 'SHA-3')`, `{}`, "unsupported algorithm"},
		{"JsonMerge deep", `States.JsonMerge($.a, $.a, true)`, `{"a":{}}`, "deep merge"},
		{"MathAdd float", `States.MathAdd(1.5, 1)`, `{}`, "must be an integer"},
		{"MathRandom empty range", `States.MathRandom(5, 5)`, `{}`, "greater than start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := evalIntrinsic(t, tt.expr, tt.input)
			if x.Status != StatusFailed || x.Error != ErrNameIntrinsicFailure || !strings.Contains(x.Cause, tt.cause) {
				t.Fatalf("got %s %s %q, want %s ~%q", x.Status, x.Error, x.Cause, ErrNameIntrinsicFailure, tt.cause)
			}
		})
	}
	x := evalIntrinsic(t, `States.ArrayLength($.missing)`, `{}`)
	if x.Error != ErrNameRuntime {
		t.Errorf("missing path argument: got %s, want %s", x.Error, ErrNameRuntime)
	}
}

// TestIntrinsicCatchable checks States.IntrinsicFailure in a Task's
// Parameters can be caught, unlike States.Runtime.
func TestIntrinsicCatchable(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
	  "Parameters":{"x.$":"States.ArrayGetItem($.a, 5)"},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
	  "C":{"Type":"Pass","End":true}}}`
	x := runDef(t, def, `{"a":[]}`, nil)
	mustSucceed(t, x)
	if !strings.Contains(string(x.Output), ErrNameIntrinsicFailure) {
		t.Errorf("output %s", x.Output)
	}
}
