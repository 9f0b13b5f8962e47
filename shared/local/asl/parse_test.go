package asl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	task := `"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f"`
	tests := []struct {
		name      string
		def       string
		wantState string
		wantField string
		wantMsg   string
	}{
		{"not json", `{`, "", "", "invalid JSON"},
		{"missing StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, "", "StartAt", "missing"},
		{"StartAt unknown", `{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}`, "", "StartAt", "does not exist"},
		{"unknown top field", `{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}}`, "", "Foo", "unsupported"},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, "", "QueryLanguage", "JSONata"},
		{"unknown type", single(`{"Type":"Sleep","End":true}`), "S", "Type", "unsupported state type"},
		{"unknown field", single(`{"Type":"Pass","Foo":1,"End":true}`), "S", "Foo", "not supported in a Pass"},
		{"Assign variables", single(`{"Type":"Pass","Assign":{"x":1},"End":true}`), "S", "Assign", "not supported"},
		{"Arguments", single(`{` + task + `,"Arguments":{},"End":true}`), "S", "Arguments", "not supported"},
		{"Credentials", single(`{` + task + `,"Credentials":{},"End":true}`), "S", "Credentials", "not supported"},
		{"ResultSelector on Pass", single(`{"Type":"Pass","ResultSelector":{},"End":true}`), "S", "ResultSelector", "not supported"},
		{"Next and End", `{"StartAt":"S","States":{"S":{"Type":"Pass","Next":"T","End":true},"T":{"Type":"Succeed"}}}`, "S", "Next", "exactly one"},
		{"neither Next nor End", single(`{"Type":"Pass"}`), "S", "Next", "exactly one"},
		{"Next unknown", single(`{"Type":"Pass","Next":"Nope"}`), "S", "Next", "unknown state"},
		{"unreachable", `{"StartAt":"S","States":{"S":{"Type":"Succeed"},"T":{"Type":"Succeed"}}}`, "T", "", "not reachable"},
		{"unknown intrinsic", single(`{"Type":"Pass","Parameters":{"x.$":"States.Nope(1)"},"End":true}`), "S", "Parameters", "unknown intrinsic"},
		{"intrinsic arity", single(`{"Type":"Pass","Parameters":{"x.$":"States.MathAdd(1)"},"End":true}`), "S", "Parameters", "takes 2 arguments"},
		{"bad .$ value", single(`{"Type":"Pass","Parameters":{"x.$":3},"End":true}`), "S", "Parameters", "must be a string"},
		{"filter path", single(`{"Type":"Pass","InputPath":"$.a[?(@.b)]","End":true}`), "S", "InputPath", "filter"},
		{"recursive descent", single(`{"Type":"Pass","Parameters":{"x.$":"$..a"},"End":true}`), "S", "Parameters", "recursive"},
		{"ResultPath wildcard", single(`{"Type":"Pass","ResultPath":"$.a[*]","End":true}`), "S", "ResultPath", "reference path"},
		{"unsupported resource", single(`{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","End":true}`), "S", "Resource", "unsupported resource"},
		{"activity resource", single(`{"Type":"Task","Resource":"arn:aws:states:us-east-1:1:activity:x","End":true}`), "S", "Resource", "unsupported resource"},
		{"invoke without FunctionName", single(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"Payload":{}},"End":true}`), "S", "Parameters", "FunctionName"},
		{"invoke async", single(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","InvocationType":"Event"},"End":true}`), "S", "Parameters", "RequestResponse"},
		{"heartbeat >= timeout", single(`{` + task + `,"TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}`), "S", "HeartbeatSeconds", "smaller"},
		{"timeout and path", single(`{` + task + `,"TimeoutSeconds":5,"TimeoutSecondsPath":"$.t","End":true}`), "S", "TimeoutSecondsPath", "mutually exclusive"},
		{"States.ALL not alone", single(`{` + task + `,"Retry":[{"ErrorEquals":["States.ALL","X"]}],"End":true}`), "S", "Retry[0]", "alone"},
		{"States.ALL retrier not last", single(`{` + task + `,"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}`), "S", "Retry[0].ErrorEquals", "last"},
		{"States.ALL catcher not last", `{"StartAt":"S","States":{"S":{` + task + `,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"T"},{"ErrorEquals":["X"],"Next":"T"}],"End":true},"T":{"Type":"Succeed"}}}`, "S", "Catch[0].ErrorEquals", "last"},
		{"Catch Next unknown", single(`{` + task + `,"Catch":[{"ErrorEquals":["X"],"Next":"Nope"}],"End":true}`), "S", "Catch", "unknown state"},
		{"retrier unknown field", single(`{` + task + `,"Retry":[{"ErrorEquals":["X"],"Foo":1}],"End":true}`), "S", "Retry[0].Foo", "unsupported"},
		{"bad BackoffRate", single(`{` + task + `,"Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}`), "S", "Retry[0].BackoffRate", ">= 1.0"},
		{"bad JitterStrategy", single(`{` + task + `,"Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}],"End":true}`), "S", "Retry[0].JitterStrategy", "FULL or NONE"},
		{"Choice without Choices", single(`{"Type":"Choice"}`), "S", "Choices", "non-empty"},
		{"Choice unknown operator", `{"StartAt":"S","States":{"S":{"Type":"Choice","Choices":[{"Variable":"$.a","StringContains":"x","Next":"T"}]},"T":{"Type":"Succeed"}}}`, "S", "Choices", "unsupported field"},
		{"Choice nested Next", `{"StartAt":"S","States":{"S":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Next":"T"},"Next":"T"}]},"T":{"Type":"Succeed"}}}`, "S", "Choices", "only top-level"},
		{"Choice bad operand", `{"StartAt":"S","States":{"S":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":"1","Next":"T"}]},"T":{"Type":"Succeed"}}}`, "S", "Choices", "must be a number"},
		{"Choice bad timestamp", `{"StartAt":"S","States":{"S":{"Type":"Choice","Choices":[{"Variable":"$.a","TimestampEquals":"yesterday","Next":"T"}]},"T":{"Type":"Succeed"}}}`, "S", "Choices", "RFC 3339"},
		{"Choice IsNullPath", `{"StartAt":"S","States":{"S":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNullPath":"$.b","Next":"T"}]},"T":{"Type":"Succeed"}}}`, "S", "Choices", "unsupported field"},
		{"Choice Default unknown", `{"StartAt":"S","States":{"S":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"T"}],"Default":"Nope"},"T":{"Type":"Succeed"}}}`, "S", "Default", "unknown state"},
		{"Wait two fields", single(`{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}`), "S", "Seconds", "exactly one"},
		{"Wait bad timestamp", single(`{"Type":"Wait","Timestamp":"tomorrow","End":true}`), "S", "Timestamp", "RFC 3339"},
		{"Fail with Next", `{"StartAt":"S","States":{"S":{"Type":"Fail","Next":"T"},"T":{"Type":"Succeed"}}}`, "S", "Next", "not supported in a Fail"},
		{"Fail Error and ErrorPath", single(`{"Type":"Fail","Error":"a","ErrorPath":"$.e"}`), "S", "ErrorPath", "mutually exclusive"},
		{"Parallel no branches", single(`{"Type":"Parallel","Branches":[],"End":true}`), "S", "Branches", "non-empty"},
		{"Parallel branch escapes", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"Out"}}}],"Next":"Out"},"Out":{"Type":"Succeed"}}}`, "B", "Next", "unknown state"},
		{"duplicate names", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"P2","States":{"P2":{"Type":"Succeed"}}},{"StartAt":"P2","States":{"P2":{"Type":"Succeed"}}}],"End":true}}}`, "P2", "", "duplicate"},
		{"Map distributed", single(`{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}`), "S", "ItemProcessor.ProcessorConfig.Mode", "INLINE"},
		{"Map ItemReader", single(`{"Type":"Map","ItemReader":{},"Iterator":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}`), "S", "ItemReader", "not supported"},
		{"Map both processors", single(`{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"Iterator":{"StartAt":"J","States":{"J":{"Type":"Succeed"}}},"End":true}`), "S", "ItemProcessor", "exactly one"},
		{"Map selector and params", single(`{"Type":"Map","ItemSelector":{},"Parameters":{},"Iterator":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}`), "S", "ItemSelector", "mutually exclusive"},
		{"InputPath context", single(`{"Type":"Pass","InputPath":"$$.Execution","End":true}`), "S", "InputPath", "context"},
		{"Format needs literal", single(`{"Type":"Pass","Parameters":{"x.$":"States.Format($.t)"},"End":true}`), "S", "Parameters", "string literal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.def))
			if err == nil {
				t.Fatal("Parse accepted the definition")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v is not a *LoadError", err, err)
			}
			if le.State != tt.wantState || le.Field != tt.wantField || !strings.Contains(le.Msg, tt.wantMsg) {
				t.Errorf("got state=%q field=%q msg=%q; want state=%q field=%q msg~%q", le.State, le.Field, le.Msg, tt.wantState, tt.wantField, tt.wantMsg)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	diff, _ := filepath.Glob(filepath.Join("testdata", "diff", "*.asl.json"))
	files = append(files, diff...)
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(b); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseDefinitionFields(t *testing.T) {
	t.Parallel()
	d, err := Parse([]byte(`{"Comment":"c","Version":"1.0","QueryLanguage":"JSONPath","TimeoutSeconds":60,"StartAt":"S","States":{"S":{"Type":"Succeed","Comment":"x"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Comment != "c" || d.TimeoutSeconds != 60 || d.StartAt() != "S" {
		t.Errorf("got %+v", d)
	}
}

// FuzzParse checks the loader never panics and that whatever it accepts
// re-parses from its canonical form.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "diff", "*.asl.json"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		if _, err := Parse(d.Raw()); err != nil {
			t.Fatalf("canonical form does not re-parse: %v", err)
		}
	})
}
