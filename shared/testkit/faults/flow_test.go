package faults_test

import (
	"fmt"

	"github.com/cxloop/cxloop/shared/core/app"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/testkit/faults"
)

// cleanRun runs the scenario without faults, checks it, and returns the
// plan that counted every port's calls.
func cleanRun(t *testing.T) *faults.Plan {
	t.Helper()
	plan := faults.NewPlan().Record()
	e := start(t, t.TempDir(), wiring{plan: plan})
	if i, err := run(e, scenario(), 0); err != nil {
		t.Fatalf("clean run stopped at step %d: %v", i, err)
	}
	plan.Stop()
	checkInvariants(t, e, allowance{})
	return plan
}

func TestCleanRunCounts(t *testing.T) {
	t.Parallel()
	start := time.Now()
	plan := cleanRun(t)
	for _, p := range []faults.Port{faults.TablePort, faults.MailerPort, faults.TexterPort, faults.WorkflowPort, faults.QueuePort, faults.ClockPort, faults.Any} {
		t.Logf("%-8s %d calls", p, plan.Calls(p))
	}
	for _, p := range []faults.Port{faults.MailerPort, faults.TexterPort, faults.WorkflowPort, faults.QueuePort} {
		t.Logf("%s: %s", p, strings.Join(plan.Ops(p), " | "))
	}
	for i, op := range plan.Ops(faults.TablePort) {
		t.Logf("table %d %s", i+1, op)
	}
	t.Logf("took %s", time.Since(start))
}

// faultCase is one run of the scenario with one call failing.
type faultCase struct {
	rule faults.Rule
}

// cases lists every call number of every port, each with the kinds of
// failure that differ for it: every port's calls fail plainly (odd calls)
// or time out (even calls) — the two take the same path through the core,
// so alternating covers both without doubling the runs; calls with an
// effect also fail ambiguously (done, but reported failed); the clock's
// calls are skewed.
func cases(clean *faults.Plan) []faultCase {
	var out []faultCase
	for _, p := range []faults.Port{faults.TablePort, faults.MailerPort, faults.TexterPort, faults.WorkflowPort, faults.QueuePort, faults.ClockPort} {
		ops := clean.Ops(p)
		for i, op := range ops {
			n := i + 1
			if p == faults.ClockPort {
				out = append(out, faultCase{faults.Rule{Port: p, Call: n, Kind: faults.Skew}})
				continue
			}
			kind := faults.Fail
			if n%2 == 0 {
				kind = faults.Timeout
			}
			out = append(out, faultCase{faults.Rule{Port: p, Call: n, Kind: kind}})
			if p != faults.TablePort || strings.HasPrefix(op, "Put ") || strings.HasPrefix(op, "Delete ") {
				out = append(out, faultCase{faults.Rule{Port: p, Call: n, Kind: faults.Ambiguous}})
			}
		}
	}
	return out
}

// Every call of every port fails once, in its own fresh run of the whole
// flow; the client retries what failed, the sweeper and the workflow's
// retries do the rest, and the invariants hold.
func TestEveryCallFailingOnce(t *testing.T) {
	t.Parallel()
	clean := cleanRun(t)
	cs := cases(clean)
	t.Logf("%d runs: table %d, mailer %d, texter %d, workflow %d, queue %d, clock %d calls", len(cs),
		clean.Calls(faults.TablePort), clean.Calls(faults.MailerPort), clean.Calls(faults.TexterPort),
		clean.Calls(faults.WorkflowPort), clean.Calls(faults.QueuePort), clean.Calls(faults.ClockPort))
	for _, c := range cs {
		t.Run(fmt.Sprintf("%s-%03d-%s", c.rule.Port, c.rule.Call, c.rule.Kind), func(t *testing.T) {
			t.Parallel()
			plan := faults.NewPlan(c.rule)
			e := start(t, t.TempDir(), wiring{plan: plan})
			if i, err := run(e, scenario(), 0); err != nil {
				t.Errorf("the client could not get through at step %d despite retries: %v", i, err)
			}
			plan.Stop()
			checkInvariants(t, e, allowFor(plan))
			if t.Failed() {
				t.Logf("plan: %s", plan)
			}
		})
	}
}

// allowFor loosens the invariants exactly where the injected fault makes
// a message go twice or go missing by design.
func allowFor(plan *faults.Plan) allowance {
	a := allowance{dupSurvey: map[string]bool{}, dupNote: map[string]bool{}}
	for _, h := range plan.Hits() {
		op := strings.Fields(h.Op)
		if strings.HasPrefix(h.Op, "Put TASK#") || strings.HasPrefix(h.Op, "Get TASK#") {
			// The task email is at-least-once: it is marked sent after the
			// send, so a fault on that mark means one more task email at
			// the loop's next wait.
			a.dupStaff = true
		}
		if sv, ok := strings.CutPrefix(op[len(op)-1], "SURVEY#"); ok && sv == app.RecoverySurveyID(taskOf(emailID)) {
			// The recovery check is marked sent after the send: a fault on
			// that mark and the sweeper sends it again (at-least-once).
			a.dupSurvey[sv] = true
		}
		if strings.HasPrefix(h.Op, "Put MESSAGE#inbound-") || strings.HasPrefix(h.Op, "Get MESSAGE#inbound-") {
			// The thank-you is marked sent after the send: a fault on the
			// mark leaves it owed, and the sweeper sends it again once its
			// claim runs out (at-least-once).
			a.dupReply = true
		}
		if (h.Port != faults.MailerPort && h.Port != faults.TexterPort) || len(op) < 2 {
			continue
		}
		addr, purpose := op[1], ""
		if len(op) > 2 {
			purpose = op[2]
		}
		interaction := emailID
		if addr == kaiPhone {
			interaction = smsID
		}
		switch purpose {
		case "survey":
			// At-least-once: the provider took the message but the
			// sender heard a timeout, so a retry sends it again. SES and
			// End User Messaging have no idempotency key to prevent it.
			if h.Kind == faults.Ambiguous {
				a.dupSurvey[app.SurveyID(interaction)] = true
				a.dupSurvey[app.RecoverySurveyID(taskOf(interaction))] = true // the recovery check is a survey too
			}
		case "task", "escalation", "reminder":
			// Staff emails are at-least-once too: retried after a send
			// that the provider took but reported failed.
			a.dupStaff = a.dupStaff || h.Kind == faults.Ambiguous
		case "reply":
			// At-least-once: a reply the provider took but reported failed
			// is owed still, and sent again.
			a.dupReply = a.dupReply || h.Kind == faults.Ambiguous
		case "note":
			// At-least-once, the same way: the claim is given back after a
			// failed send and the workflow's retry sends it.
			a.dupNote[taskOf(interaction)] = a.dupNote[taskOf(interaction)] || h.Kind == faults.Ambiguous
		}
	}
	return a
}
