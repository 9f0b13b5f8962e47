package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkPassStep measures one execution of a single Pass state with
// Parameters, including persistence to the memory store.
func BenchmarkPassStep(b *testing.B) {
	d, err := Parse([]byte(single(`{"Type":"Pass","Parameters":{"a.$":"$.a","b":"lit"},"ResultPath":"$.r","End":true}`)))
	if err != nil {
		b.Fatal(err)
	}
	eng := NewEngine(Config{Clock: NewManualClock(t0)})
	eng.Register("sm", d)
	ctx := context.Background()
	in := json.RawMessage(`{"a":1}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := eng.StartExecution(ctx, "sm", fmt.Sprintf("e%d", i), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTaskLoop runs a Choice/Task loop of ten iterations per execution.
func BenchmarkTaskLoop(b *testing.B) {
	def := `{"StartAt":"Check","States":{
	  "Check":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":10,"Next":"Inc"}],"Default":"Done"},
	  "Inc":{"Type":"Task","Resource":"` + fnARN + `inc","Next":"Check"},
	  "Done":{"Type":"Succeed"}}}`
	d, err := Parse([]byte(def))
	if err != nil {
		b.Fatal(err)
	}
	inv := InvokerFunc(func(_ context.Context, _ string, p json.RawMessage) (json.RawMessage, error) {
		var v struct{ I int }
		if err := json.Unmarshal(p, &v); err != nil {
			return nil, err
		}
		return json.RawMessage(fmt.Sprintf(`{"i":%d}`, v.I+1)), nil
	})
	eng := NewEngine(Config{Clock: NewManualClock(t0), Invoker: inv})
	eng.Register("sm", d)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, err := eng.StartExecution(ctx, "sm", fmt.Sprintf("e%d", i), json.RawMessage(`{"i":0}`))
		if err != nil || x.Status != StatusSucceeded {
			b.Fatal(err, x.Status)
		}
	}
}
