package looptask

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/infra/statemachine"
	"github.com/cxloop/cxloop/shared/local/asl"
)

func TestSubstitute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		def     string
		values  map[string]string
		want    string
		missing string
	}{
		{"all set", `{"a":"${X}","b":"${Y}"}`, map[string]string{"X": "1", "Y": "2"}, `{"a":"1","b":"2"}`, ""},
		{"repeated", `"${X}${X}"`, map[string]string{"X": "ab"}, `"abab"`, ""},
		{"missing named", `{"a":"${X}","b":"${Nope}"}`, map[string]string{"X": "1"}, "", "Nope"},
		{"not a placeholder", `{"a":"$X","b":"${}"}`, nil, `{"a":"$X","b":"${}"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Substitute([]byte(tt.def), tt.values)
			if tt.missing != "" {
				if err == nil || !strings.Contains(err.Error(), tt.missing) {
					t.Fatalf("err = %v, want one naming %s", err, tt.missing)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Substitute = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// The deployed file's placeholders are exactly the task functions and the SLA.
func TestClosedLoopPlaceholders(t *testing.T) {
	t.Parallel()
	got := Placeholders(statemachine.ClosedLoop)
	want := []string{"SlaHours"}
	for sub := range Functions {
		want = append(want, sub)
	}
	if len(got) != len(want) {
		t.Fatalf("placeholders %v, want %v", got, want)
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, ","), w) {
			t.Errorf("placeholder %s missing from %v", w, got)
		}
	}
	def, err := Substitute(statemachine.ClosedLoop, LocalSubstitutions("48"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asl.Parse(def); err != nil {
		t.Fatalf("the closed loop does not load in the interpreter: %v", err)
	}
}

func TestDecodeRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, p := range []string{`not json`, `{}`, `{"task_id":""}`, `[]`} {
		_, err := decode(json.RawMessage(p))
		var bad *BadInput
		if !errors.As(err, &bad) {
			t.Errorf("decode(%s) = %v, want *BadInput", p, err)
		}
	}
	in, err := decode(json.RawMessage(`{"task_id":"tk_1","token":"t"}`))
	if err != nil || in.TaskID != "tk_1" || in.Token != "t" {
		t.Errorf("decode = %+v, %v", in, err)
	}
}
