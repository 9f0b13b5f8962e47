package asl

import (
	"fmt"
	"testing"
)

// TestChoiceOperators evaluates one rule per case against a fixed input.
func TestChoiceOperators(t *testing.T) {
	t.Parallel()
	input := `{"s":"hello","s2":"world","n":10,"n2":10.0,"f":1.5,"b":true,"nul":null,
	  "ts":"2024-05-01T12:00:00Z","ts2":"2024-05-01T13:00:00+01:00","later":"2024-05-02T00:00:00Z",
	  "star":"a*b","bs":"a\\b","arr":[1,2],"obj":{"k":"v"},"badts":"2024-05-01 12:00:00"}`
	tests := []struct {
		rule string
		want bool
	}{
		{`"Variable":"$.s","StringEquals":"hello"`, true},
		{`"Variable":"$.s","StringEquals":"Hello"`, false},
		{`"Variable":"$.n","StringEquals":"10"`, false},
		{`"Variable":"$.s","StringEqualsPath":"$.s2"`, false},
		{`"Variable":"$.s","StringLessThan":"world"`, true},
		{`"Variable":"$.s","StringLessThanPath":"$.s2"`, true},
		{`"Variable":"$.s","StringGreaterThan":"hello"`, false},
		{`"Variable":"$.s2","StringGreaterThanPath":"$.s"`, true},
		{`"Variable":"$.s","StringLessThanEquals":"hello"`, true},
		{`"Variable":"$.s","StringLessThanEqualsPath":"$.s"`, true},
		{`"Variable":"$.s","StringGreaterThanEquals":"hellp"`, false},
		{`"Variable":"$.s","StringGreaterThanEqualsPath":"$.s"`, true},
		{`"Variable":"$.s","StringMatches":"h*o"`, true},
		{`"Variable":"$.s","StringMatches":"*ll*"`, true},
		{`"Variable":"$.s","StringMatches":"h*x"`, false},
		{`"Variable":"$.star","StringMatches":"a\\*b"`, true},
		{`"Variable":"$.s","StringMatches":"hel\\*lo"`, false},
		{`"Variable":"$.bs","StringMatches":"a\\\\b"`, true},
		{`"Variable":"$.s","StringMatches":"*"`, true},
		{`"Variable":"$.n","NumericEquals":10`, true},
		{`"Variable":"$.n","NumericEqualsPath":"$.n2"`, true},
		{`"Variable":"$.s","NumericEquals":10`, false},
		{`"Variable":"$.f","NumericLessThan":2`, true},
		{`"Variable":"$.f","NumericLessThanPath":"$.n"`, true},
		{`"Variable":"$.n","NumericGreaterThan":9.99`, true},
		{`"Variable":"$.n","NumericGreaterThanPath":"$.f"`, true},
		{`"Variable":"$.n","NumericLessThanEquals":10`, true},
		{`"Variable":"$.n","NumericLessThanEqualsPath":"$.f"`, false},
		{`"Variable":"$.n","NumericGreaterThanEquals":11`, false},
		{`"Variable":"$.n","NumericGreaterThanEqualsPath":"$.n2"`, true},
		{`"Variable":"$.b","BooleanEquals":true`, true},
		{`"Variable":"$.b","BooleanEqualsPath":"$.b"`, true},
		{`"Variable":"$.s","BooleanEquals":true`, false},
		{`"Variable":"$.ts","TimestampEquals":"2024-05-01T12:00:00Z"`, true},
		{`"Variable":"$.ts","TimestampEqualsPath":"$.ts2"`, true},
		{`"Variable":"$.ts","TimestampLessThan":"2024-05-01T12:00:01Z"`, true},
		{`"Variable":"$.ts","TimestampLessThanPath":"$.later"`, true},
		{`"Variable":"$.ts","TimestampGreaterThan":"2024-05-01T12:00:00Z"`, false},
		{`"Variable":"$.later","TimestampGreaterThanPath":"$.ts"`, true},
		{`"Variable":"$.ts","TimestampLessThanEquals":"2024-05-01T12:00:00Z"`, true},
		{`"Variable":"$.later","TimestampLessThanEqualsPath":"$.ts"`, false},
		{`"Variable":"$.ts","TimestampGreaterThanEquals":"2024-05-01T12:00:00Z"`, true},
		{`"Variable":"$.ts","TimestampGreaterThanEqualsPath":"$.ts2"`, true},
		{`"Variable":"$.badts","TimestampEquals":"2024-05-01T12:00:00Z"`, false},
		{`"Variable":"$.nul","IsNull":true`, true},
		{`"Variable":"$.s","IsNull":true`, false},
		{`"Variable":"$.s","IsNull":false`, true},
		{`"Variable":"$.s","IsPresent":true`, true},
		{`"Variable":"$.missing","IsPresent":true`, false},
		{`"Variable":"$.missing","IsPresent":false`, true},
		{`"Variable":"$.missing.deeper","IsPresent":false`, true},
		{`"Variable":"$.f","IsNumeric":true`, true},
		{`"Variable":"$.s","IsNumeric":true`, false},
		{`"Variable":"$.s","IsString":true`, true},
		{`"Variable":"$.n","IsString":false`, true},
		{`"Variable":"$.b","IsBoolean":true`, true},
		{`"Variable":"$.nul","IsBoolean":true`, false},
		{`"Variable":"$.ts","IsTimestamp":true`, true},
		{`"Variable":"$.badts","IsTimestamp":true`, false},
		{`"Variable":"$.s","IsTimestamp":false`, true},
		{`"Variable":"$.arr[1]","NumericEquals":2`, true},
		{`"Variable":"$.obj.k","StringEquals":"v"`, true},
		{`"Variable":"$$.Execution.Name","StringEquals":"x"`, true},
		{`"And":[{"Variable":"$.s","IsString":true},{"Variable":"$.n","NumericEquals":10}]`, true},
		{`"And":[{"Variable":"$.s","IsString":true},{"Variable":"$.n","NumericEquals":11}]`, false},
		{`"Or":[{"Variable":"$.s","IsNumeric":true},{"Variable":"$.n","NumericEquals":10}]`, true},
		{`"Or":[{"Variable":"$.s","IsNumeric":true},{"Variable":"$.n","NumericEquals":11}]`, false},
		{`"Not":{"Variable":"$.s","StringEquals":"hello"}`, false},
		{`"Not":{"Not":{"Variable":"$.s","StringEquals":"hello"}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			def := fmt.Sprintf(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{%s,"Next":"Yes"}],"Default":"No"},
			  "Yes":{"Type":"Pass","Result":true,"End":true},"No":{"Type":"Pass","Result":false,"End":true}}}`, tt.rule)
			x := runDef(t, def, input, nil)
			mustSucceed(t, x)
			assertJSON(t, x.Output, fmt.Sprint(tt.want))
		})
	}
}

func TestChoiceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rule, wantErr string
	}{
		{"no match no default", `"Variable":"$.n","NumericEquals":2`, ErrNameNoChoiceMatched},
		{"missing variable", `"Variable":"$.missing","StringEquals":"x"`, ErrNameRuntime},
		{"missing path operand", `"Variable":"$.n","NumericEqualsPath":"$.missing"`, ErrNameRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def := fmt.Sprintf(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{%s,"Next":"Yes"}]},"Yes":{"Type":"Succeed"}}}`, tt.rule)
			x := runDef(t, def, `{"n":1}`, nil)
			if x.Status != StatusFailed || x.Error != tt.wantErr {
				t.Fatalf("got %s %s %s, want FAILED %s", x.Status, x.Error, x.Cause, tt.wantErr)
			}
		})
	}
}

// TestChoiceDocExample reproduces the Choice state example of the AWS docs:
// a value of 9 is not in [1,2,3] nor 4 nor 5 and goes to the Default.
func TestChoiceDocExample(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"ChoiceStateX","States":{
	 "ChoiceStateX":{"Type":"Choice","Choices":[
	  {"Not":{"Variable":"$.type","StringEquals":"Private"},"Next":"Public"},
	  {"Variable":"$.value","NumericEquals":0,"Next":"ValueIsZero"},
	  {"And":[{"Variable":"$.value","NumericGreaterThanEquals":20},{"Variable":"$.value","NumericLessThan":30}],"Next":"ValueInTwenties"}],
	  "Default":"DefaultState"},
	 "Public":{"Type":"Pass","Result":"Public","End":true},
	 "ValueIsZero":{"Type":"Pass","Result":"ValueIsZero","End":true},
	 "ValueInTwenties":{"Type":"Pass","Result":"ValueInTwenties","End":true},
	 "DefaultState":{"Type":"Fail","Cause":"No Matches!"}}}`
	tests := []struct{ input, want, wantErr string }{
		{`{"type":"Public","value":0}`, `"Public"`, ""},
		{`{"type":"Private","value":0}`, `"ValueIsZero"`, ""},
		{`{"type":"Private","value":25}`, `"ValueInTwenties"`, ""},
		{`{"type":"Private","value":30}`, ``, "No Matches!"},
	}
	for _, tt := range tests {
		x := runDef(t, def, tt.input, nil)
		if tt.wantErr != "" {
			if x.Status != StatusFailed || x.Cause != tt.wantErr {
				t.Errorf("%s: got %s %q", tt.input, x.Status, x.Cause)
			}
			continue
		}
		mustSucceed(t, x)
		assertJSON(t, x.Output, tt.want)
	}
}

func TestMatchWildcard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"log-*.txt", "log-2024.txt", true},
		{"log-*.txt", "log-.txt", true},
		{"log-*.txt", "log-2024.txtx", false},
		{"*.log", "a.b.log", true},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{"", "", true},
		{"", "a", false},
		{"**", "", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
	}
	for _, tt := range tests {
		if got := matchWildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("matchWildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
