package faults_test

import (
	"fmt"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/testkit/faults"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Seeds is how many random kill points the restart test tries.
const seeds = 20

// cxloop dev dies at a random call of its table — the process is gone
// from that call on: nothing more is stored, sent (the outbox is in the
// table) or advanced (the executions are too) — and starts again on the
// same data dir. The client replays the step it was in, the sweeper and
// the interpreter's resume do the rest, and the invariants hold.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	for _, background := range []bool{false, true} {
		t.Run(fmt.Sprintf("background=%v", background), func(t *testing.T) {
			t.Parallel()
			killAndRestart(t, background)
		})
	}
}

// killAndRestart is TestKillAndRestart with the work done before each
// request returns, or after it (background).
func killAndRestart(t *testing.T, background bool) {
	count := faults.NewPlan()
	e := start(t, t.TempDir(), wiring{kill: count, background: background})
	if i, err := run(e, scenario(), 0); err != nil {
		t.Fatalf("clean run stopped at step %d: %v", i, err)
	}
	total := count.Calls(faults.TablePort)
	t.Logf("%d table calls in a clean run (outbox and executions included)", total)
	for seed := uint64(1); seed <= seeds; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
		rule := faults.Rule{Port: faults.TablePort, Call: 1 + rng.IntN(total), Kind: faults.Fail, Sticky: true}
		if rng.IntN(2) == 0 {
			rule.Kind = faults.Ambiguous // the last write landed, its reply did not
		}
		t.Run(strings.ReplaceAll(rule.String(), " ", "-"), func(t *testing.T) {
			t.Parallel()
			t.Logf("seed %d: dies at %s", seed, rule)
			dir := t.TempDir()
			kill := faults.NewPlan(rule).Record()
			dying := start(t, dir, wiring{kill: kill, background: background})
			steps := scenario()
			at, err := run(dying, steps, 0)
			t.Logf("client stopped at step %d: %v", at, err)
			ops := kill.Ops(faults.TablePort)
			if testing.Verbose() {
				t.Logf("ops before death: %s", strings.Join(ops[max(0, rule.Call-12):min(rule.Call, len(ops))], " | "))
			}
			dying.close()

			e := start(t, dir, wiring{background: background})
			if at < len(steps) {
				if i, err := run(e, steps, at); err != nil {
					t.Errorf("after restart, stopped at step %d: %v", i, err)
				}
			}
			// The last steps may have "succeeded" on the dead server (the
			// clock endpoint reports no store errors, and in the background
			// the work of a request outlives its reply): the last step again
			// gives the live one the time to finish, recovery check included.
			if err := steps[len(steps)-1].do(e); err != nil {
				t.Errorf("recover after restart: %v", err)
			}
			done := rule.Call - 1
			if rule.Kind == faults.Ambiguous {
				done++
			}
			allow := killAllowance(e, ops[:min(done, len(ops))])
			allow.closedBeforeNotice = background
			checkInvariants(t, e, allow)
		})
	}
}

// killAllowance names the at-least-once edges a death at that point may
// hit: a message handed to the outbox (the provider) but not yet marked
// sent is sent again after the restart. That holds for the survey (its
// send claim runs out and the sweeper sends it), the note (its claim runs
// out and the resumed workflow sends it) and the SMS thank-you (the
// sweeper sends a reply still owed), and for staff emails (task,
// escalation), which are sent before they are marked. A client that
// completes the follow-up right after the restart may do so before the
// loop noticed the SLA had passed: no escalation then.
func killAllowance(e *env, done []string) allowance {
	a := allowance{dupSurvey: map[string]bool{}, dupNote: map[string]bool{}, dupStaff: true, skipEscalation: true}
	byID := map[string]map[string]string{}
	for _, m := range e.outbox() {
		byID[m.ID] = m.Tags
	}
	// handedNotMarked reports whether a message of purpose was put in the
	// outbox with no later Put of the record that marks it sent.
	handedNotMarked := func(purpose string, match func(tags map[string]string) bool, mark string) bool {
		for i, op := range done {
			id, ok := strings.CutPrefix(op, "Put OUTBOXMSG#")
			if !ok || byID[id]["purpose"] != purpose || !match(byID[id]) {
				continue
			}
			if !slices.Contains(done[i+1:], mark) {
				return true
			}
		}
		return false
	}
	for _, id := range []string{emailID, smsID} {
		sv, task := app.SurveyID(id), taskOf(id)
		a.dupSurvey[sv] = handedNotMarked("survey", func(t map[string]string) bool { return t["survey_id"] == sv }, "Put SURVEY#"+sv)
		a.dupNote[task] = handedNotMarked("note", func(t map[string]string) bool { return t["task_id"] == task }, "Put TASK#"+task)
		rec := app.RecoverySurveyID(task)
		a.dupSurvey[rec] = handedNotMarked("survey", func(t map[string]string) bool { return t["survey_id"] == rec }, "Put SURVEY#"+rec)
	}
	a.dupReply = handedNotMarked("reply", func(map[string]string) bool { return true }, "Put MESSAGE#inbound-"+inboundID)
	return a
}
