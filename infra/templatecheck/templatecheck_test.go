package templatecheck

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
)

const root = "../.."

// mustLoad returns the repository's template and files.
func mustLoad(tb testing.TB) (*Template, Repo) {
	tb.Helper()
	t, err := Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	r, err := LoadRepo(root)
	if err != nil {
		tb.Fatal(err)
	}
	return t, r
}

type check struct {
	name string
	fn   func(*Template, Repo) []error
}

var checks = []check{
	{"build", CheckBuild},
	{"substitutions", CheckSubstitutions},
	{"env", CheckEnv},
	{"policies", CheckPolicies},
	{"queues", CheckQueues},
	{"schedules", CheckScheduleNames},
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	tmpl, repo := mustLoad(t)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, err := range c.fn(tmpl, repo) {
				t.Error(err)
			}
		})
	}
}

// TestFunctionsCompile builds every function package in one go build, as
// `make build-<LogicalId>` does (for the host's platform, to share the
// build cache with the other tests).
func TestFunctionsCompile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("compiles every function; skipped with -short")
	}
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "./functions/...")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./functions/...: %v\n%s", err, out)
	}
}

func TestShortTags(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse([]byte(`
A: !Ref X
B: !GetAtt Fn.Arn
C: !Sub "${X}-y"
D: !If [Cond, !Ref X, !Join ["", [a, !Select [0, !Split [",", "a,b"]]]]]
E: !Not [!Equals [!Ref X, ""]]
F: !Sub
  - "${a}"
  - {a: !ImportValue other}
G: !Condition IsProd
H: !GetAtt Res.Endpoint.Address
I: !FindInMap [M, K, V]
J: !Base64 text
K: !GetAZs ""
L: !Cidr [10.0.0.0/16, 4, 8]
M: !And [!Condition A, !Or [!Condition B, !Condition C]]
`))
	if err != nil {
		t.Fatal(err)
	}
	r := tmpl.Root
	for path, want := range map[string]string{
		"A": `map[Ref:X]`,
		"B": `map[Fn::GetAtt:[Fn Arn]]`,
		"C": `map[Fn::Sub:${X}-y]`,
		"D": `map[Fn::If:[Cond map[Ref:X] map[Fn::Join:[ [a map[Fn::Select:[0 map[Fn::Split:[, a,b]]]]]]]]]`,
		"E": `map[Fn::Not:[map[Fn::Equals:[map[Ref:X] ]]]]`,
		"F": `map[Fn::Sub:[${a} map[a:map[Fn::ImportValue:other]]]]`,
		"G": `map[Condition:IsProd]`,
		"H": `map[Fn::GetAtt:[Res Endpoint.Address]]`,
		"I": `map[Fn::FindInMap:[M K V]]`,
		"J": `map[Fn::Base64:text]`,
		"K": `map[Fn::GetAZs:]`,
		"L": `map[Fn::Cidr:[10.0.0.0/16 4 8]]`,
		"M": `map[Fn::And:[map[Condition:A] map[Fn::Or:[map[Condition:B] map[Condition:C]]]]]`,
	} {
		if got := sprint(r[path]); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	if _, err := Parse([]byte("A: !Bogus x\n")); err == nil {
		t.Error("an unknown tag parsed without error")
	}
}

// TestChecksCatchBreakage breaks a copy of the template (or the Makefile,
// or the declared needs) and expects the named check to fail, mentioning
// the given text.
func TestChecksCatchBreakage(t *testing.T) {
	t.Parallel()
	tmpl, repo := mustLoad(t)
	props := func(tm *Template, id string) map[string]any { return tm.Properties(id) }
	statements := func(tm *Template, id string) []any {
		for _, p := range props(tm, id)["Policies"].([]any) {
			if st, ok := Path(p, "Statement").([]any); ok {
				return st
			}
		}
		t.Fatalf("%s has no inline statements", id)
		return nil
	}
	setStatements := func(tm *Template, id string, st []any) {
		for _, p := range props(tm, id)["Policies"].([]any) {
			if m, ok := p.(map[string]any); ok && m["Statement"] != nil {
				m["Statement"] = st
			}
		}
	}
	dropAction := func(tm *Template, id, action string) {
		var keep []any
		for _, s := range statements(tm, id) {
			m := s.(map[string]any)
			switch a := m["Action"].(type) {
			case string:
				if a == action {
					continue
				}
			case []any:
				m["Action"] = slices.DeleteFunc(a, func(x any) bool { return x == action })
			}
			keep = append(keep, m)
		}
		setStatements(tm, id, keep)
	}
	subs := func(tm *Template) map[string]any {
		return props(tm, "ClosedLoopStateMachine")["DefinitionSubstitutions"].(map[string]any)
	}
	cases := []struct {
		name  string
		check func(*Template, Repo) []error
		tmpl  func(*Template)
		repo  func(*Repo)
		want  string
	}{
		{
			name: "CodeUri removed", check: CheckBuild,
			tmpl: func(tm *Template) { delete(props(tm, "SweeperFunction"), "CodeUri") },
			want: "SweeperFunction: CodeUri",
		},
		{
			name: "BuildMethod go1.x", check: CheckBuild,
			tmpl: func(tm *Template) {
				tm.Resources()["EscalateFunction"]["Metadata"] = map[string]any{"BuildMethod": "go1.x"}
			},
			want: "EscalateFunction: Metadata.BuildMethod",
		},
		{
			name: "build target missing", check: CheckBuild,
			repo: func(r *Repo) {
				r.Makefile = []byte(strings.Replace(string(r.Makefile), "build-ReassignedFunction:", "build-Reassigned:", 1))
			},
			want: "no build-ReassignedFunction target",
		},
		{
			name: "target builds a missing package", check: CheckBuild,
			repo: func(r *Repo) {
				r.Makefile = []byte(strings.Replace(string(r.Makefile), "./functions/escalate", "./functions/escalate-owner", 1))
			},
			want: "functions/escalate-owner, which has no main.go",
		},
		{
			name: "function not deployed", check: CheckBuild,
			tmpl: func(tm *Template) { delete(tm.Root["Resources"].(map[string]any), "AskRecoveryFunction") },
			want: "functions/ask-recovery is declared in awsapp.Functions but no template function builds it",
		},
		{
			name: "substitution removed", check: CheckSubstitutions,
			tmpl: func(tm *Template) { delete(subs(tm), "SlaHours") },
			want: "${SlaHours}",
		},
		{
			name: "unused substitution", check: CheckSubstitutions,
			tmpl: func(tm *Template) { subs(tm)["TableName"] = map[string]any{"Ref": "Table"} },
			want: "substitution TableName is not used",
		},
		{
			name: "substitution names the wrong function", check: CheckSubstitutions,
			tmpl: func(tm *Template) {
				subs(tm)["EscalateFunctionArn"] = map[string]any{"Fn::GetAtt": []any{"ReassignedFunction", "Arn"}}
			},
			want: "substitution EscalateFunctionArn names ReassignedFunction",
		},
		{
			name: "function env var removed", check: CheckEnv,
			tmpl: func(tm *Template) {
				delete(Path(props(tm, "ApiFunction"), "Environment", "Variables").(map[string]any), "STATE_MACHINE_ARN")
			},
			want: "ApiFunction (functions/api): environment variable STATE_MACHINE_ARN",
		},
		{
			name: "global env var removed", check: CheckEnv,
			tmpl: func(tm *Template) {
				delete(Path(tm.Root, "Globals", "Function", "Environment", "Variables").(map[string]any), "TABLE_NAME")
			},
			want: "environment variable TABLE_NAME",
		},
		{
			name: "optional env var not passed", check: CheckEnv,
			tmpl: func(tm *Template) {
				delete(Path(tm.Root, "Globals", "Function", "Environment", "Variables").(map[string]any), "SMS_ORIGINATION_IDENTITY")
			},
			want: "optional environment variable SMS_ORIGINATION_IDENTITY is not passed",
		},
		{
			name: "new need without its env var", check: CheckEnv,
			repo: func(r *Repo) {
				r.Needs = withNeeds(r.Needs, "ingest-event", func(n *awsapp.Needs) { n.Workflow = true })
			},
			want: "IngestEventFunction (functions/ingest-event): environment variable STATE_MACHINE_ARN",
		},
		{
			name: "action removed", check: CheckPolicies,
			tmpl: func(tm *Template) { dropAction(tm, "InboundSmsFunction", "states:StartExecution") },
			want: "InboundSmsFunction (functions/inbound-sms): Policies do not allow states:StartExecution",
		},
		{
			name: "table action removed", check: CheckPolicies,
			tmpl: func(tm *Template) { dropAction(tm, "RecordOutcomeFunction", "dynamodb:Query") },
			want: "Policies do not allow dynamodb:Query",
		},
		{
			name: "policy template removed", check: CheckPolicies,
			tmpl: func(tm *Template) {
				p := props(tm, "IngestEventFunction")
				p["Policies"] = p["Policies"].([]any)[:1]
			},
			want: "IngestEventFunction (functions/ingest-event): Policies do not allow sqs:SendMessage",
		},
		{
			name: "service not declared", check: CheckPolicies,
			tmpl: func(tm *Template) {
				p := props(tm, "AssignOwnerFunction")
				p["Policies"] = append(p["Policies"].([]any), map[string]any{"SQSSendMessagePolicy": map[string]any{"QueueName": "q"}})
			},
			want: "AssignOwnerFunction (functions/assign-owner): allows sqs:SendMessage*, but awsapp.Functions does not declare",
		},
		{
			name: "task tokens without the need", check: CheckPolicies,
			repo: func(r *Repo) { r.Needs = withNeeds(r.Needs, "api", func(n *awsapp.Needs) { n.TaskTokens = false }) },
			want: "allows states:SendTaskSuccess without TaskTokens",
		},
		{
			name: "visibility below 6 timeouts", check: CheckQueues,
			tmpl: func(tm *Template) { props(tm, "SendQueue")["VisibilityTimeout"] = 30 },
			want: "SendQueue: VisibilityTimeout 30 is less than 6 × SendSurveyFunction's Timeout",
		},
		{
			name: "no dead-letter queue", check: CheckQueues,
			tmpl: func(tm *Template) { delete(props(tm, "SendQueue"), "RedrivePolicy") },
			want: "SendQueue: RedrivePolicy.maxReceiveCount",
		},
		{
			name: "no maximum concurrency", check: CheckQueues,
			tmpl: func(tm *Template) {
				delete(Path(props(tm, "SendSurveyFunction"), "Events", "Send", "Properties").(map[string]any), "ScalingConfig")
			},
			want: "SendSurveyFunction.Send: no ScalingConfig.MaximumConcurrency",
		},
		{
			name: "schedule named by SAM", check: CheckScheduleNames,
			tmpl: func(tm *Template) {
				delete(Path(props(tm, "SweeperFunction"), "Events", "Sweep", "Properties").(map[string]any), "Name")
			},
			want: "SweeperFunction.Sweep: the schedule's Name",
		},
		{
			name: "unknown policy template", check: CheckPolicies,
			tmpl: func(tm *Template) {
				p := props(tm, "ReassignedFunction")
				p["Policies"] = append(p["Policies"].([]any), map[string]any{"SESCrudPolicy": map[string]any{"IdentityName": "x"}})
			},
			want: "policy template SESCrudPolicy is not known",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tm, r := tmpl.Clone(), repo
			if c.tmpl != nil {
				c.tmpl(tm)
			}
			if c.repo != nil {
				c.repo(&r)
			}
			errs := c.check(tm, r)
			for _, err := range errs {
				if strings.Contains(err.Error(), c.want) {
					return
				}
			}
			t.Errorf("no error mentions %q; got %v", c.want, errs)
		})
	}
}

func withNeeds(m map[string]awsapp.Needs, fn string, edit func(*awsapp.Needs)) map[string]awsapp.Needs {
	out := make(map[string]awsapp.Needs, len(m))
	for k, v := range m {
		out[k] = v
	}
	n := out[fn]
	edit(&n)
	out[fn] = n
	return out
}

func TestMatches(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern, action string
		want            bool
	}{
		{"sqs:SendMessage*", "sqs:SendMessage", true},
		{"sqs:SendMessage*", "sqs:SendMessageBatch", true},
		{"SQS:sendmessage", "sqs:SendMessage", true},
		{"states:SendTask*", "states:StartExecution", false},
		{"dynamodb:Get?tem", "dynamodb:GetItem", true},
		{"dynamodb:GetItem", "dynamodb:GetItems", false},
	} {
		if got := Matches(c.pattern, c.action); got != c.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", c.pattern, c.action, got, c.want)
		}
	}
}

func sprint(v any) string { return fmt.Sprint(v) }
