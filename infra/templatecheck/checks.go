package templatecheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/cxloop/cxloop/infra/statemachine"
	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/looptask"
)

// Repo is what the checks read besides the template: the repository root
// (for ./functions/<name> and the ASL file), the Makefile that holds the
// build-<LogicalId> targets, and each function's declared needs.
type Repo struct {
	Root     string
	Makefile []byte
	Needs    map[string]awsapp.Needs
}

// LoadRepo reads the repository at root, with awsapp.Functions as the needs.
func LoadRepo(root string) (Repo, error) {
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return Repo{}, err
	}
	return Repo{Root: root, Makefile: mk, Needs: awsapp.Functions}, nil
}

var (
	makeTarget  = regexp.MustCompile(`^build-([A-Za-z0-9]+):`)
	functionPkg = regexp.MustCompile(`\./functions/([a-z0-9-]+)\b`)
)

// BuildTargets reads the Makefile's build-<LogicalId> targets: logical id
// to the ./functions/<name> folder the recipe builds ("" when it names none).
func BuildTargets(makefile []byte) map[string]string {
	out := map[string]string{}
	current := ""
	for _, line := range strings.Split(string(makefile), "\n") {
		if m := makeTarget.FindStringSubmatch(line); m != nil {
			current = m[1]
			out[current] = ""
			continue
		}
		if current == "" {
			continue
		}
		if !strings.HasPrefix(line, "\t") {
			current = ""
			continue
		}
		if m := functionPkg.FindStringSubmatch(line); m != nil && out[current] == "" {
			out[current] = m[1]
		}
	}
	return out
}

// FunctionFolders maps each function's logical id to its ./functions
// folder, through its build-<LogicalId> target. Functions without a
// usable target are left out (CheckBuild reports them).
func FunctionFolders(t *Template, r Repo) map[string]string {
	targets := BuildTargets(r.Makefile)
	out := map[string]string{}
	for _, id := range t.Functions() {
		if dir := targets[id]; dir != "" {
			out[id] = dir
		}
	}
	return out
}

// CheckBuild checks that every function is built by `make
// build-<LogicalId>` from the repository root (BuildMethod makefile,
// CodeUri .), that the target builds an existing ./functions/<name> main
// package, and that each function awsapp declares is deployed exactly once.
// Whether the packages compile is checked separately (one go build).
func CheckBuild(t *Template, r Repo) []error {
	var errs []error
	targets := BuildTargets(r.Makefile)
	deployed := map[string][]string{}
	for _, id := range t.Functions() {
		res := t.Resources()[id]
		if bm := Path(res, "Metadata", "BuildMethod"); bm != "makefile" {
			errs = append(errs, fmt.Errorf("%s: Metadata.BuildMethod is %v, want makefile", id, bm))
		}
		if cu := Path(res, "Properties", "CodeUri"); cu != "." {
			errs = append(errs, fmt.Errorf("%s: CodeUri is %v, want . (the repository root, where the Makefile and go.mod are)", id, cu))
		}
		dir, ok := targets[id]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: the Makefile has no build-%s target", id, id))
			continue
		case dir == "":
			errs = append(errs, fmt.Errorf("%s: build-%s does not build a ./functions/<name> package", id, id))
			continue
		}
		main := filepath.Join(r.Root, "functions", dir, "main.go")
		if _, err := os.Stat(main); err != nil {
			errs = append(errs, fmt.Errorf("%s: builds ./functions/%s, which has no main.go", id, dir))
		}
		if _, ok := r.Needs[dir]; !ok {
			errs = append(errs, fmt.Errorf("%s: functions/%s is not declared in awsapp.Functions", id, dir))
		}
		deployed[dir] = append(deployed[dir], id)
	}
	for _, dir := range sortedKeys(r.Needs) {
		switch ids := deployed[dir]; len(ids) {
		case 0:
			errs = append(errs, fmt.Errorf("functions/%s is declared in awsapp.Functions but no template function builds it", dir))
		case 1:
		default:
			errs = append(errs, fmt.Errorf("functions/%s is built by several functions: %v", dir, ids))
		}
	}
	return errs
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// CheckSubstitutions checks the state machine: its DefinitionUri is the
// ASL file the local interpreter embeds, every ${...} in it has a
// DefinitionSubstitutions entry and every entry is used, and each
// <Task>FunctionArn names (!GetAtt X.Arn) the function built from the
// folder looptask binds that placeholder to locally.
func CheckSubstitutions(t *Template, r Repo) []error {
	var errs []error
	sms := t.OfType("AWS::Serverless::StateMachine")
	if len(sms) != 1 {
		return []error{fmt.Errorf("want one AWS::Serverless::StateMachine, found %v", sms)}
	}
	id := sms[0]
	props := t.Properties(id)
	uri, _ := props["DefinitionUri"].(string)
	if uri == "" {
		return []error{fmt.Errorf("%s: DefinitionUri is not a file path", id)}
	}
	def, err := os.ReadFile(filepath.Join(r.Root, uri))
	if err != nil {
		return []error{fmt.Errorf("%s: DefinitionUri: %w", id, err)}
	}
	if string(def) != string(statemachine.ClosedLoop) {
		errs = append(errs, fmt.Errorf("%s: DefinitionUri %s is not the definition the local interpreter runs (infra/statemachine)", id, uri))
	}
	used := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(string(def), -1) {
		used[m[1]] = true
	}
	subs, _ := props["DefinitionSubstitutions"].(map[string]any)
	for _, name := range sortedKeys(used) {
		if _, ok := subs[name]; !ok {
			errs = append(errs, fmt.Errorf("%s: ${%s} in %s has no DefinitionSubstitutions entry", id, name, uri))
		}
	}
	folders := FunctionFolders(t, r)
	for _, name := range sortedKeys(subs) {
		if !used[name] {
			errs = append(errs, fmt.Errorf("%s: substitution %s is not used in %s", id, name, uri))
			continue
		}
		want, isTask := looptask.Functions[name]
		if !isTask {
			continue
		}
		att, _ := Path(subs[name], "Fn::GetAtt").([]any)
		if len(att) != 2 || att[1] != "Arn" {
			errs = append(errs, fmt.Errorf("%s: substitution %s is not !GetAtt <Function>.Arn", id, name))
			continue
		}
		fn, _ := att[0].(string)
		if got := folders[fn]; got != want {
			errs = append(errs, fmt.Errorf("%s: substitution %s names %s (functions/%s), want the function built from functions/%s", id, name, fn, got, want))
		}
	}
	return errs
}

// Environment returns the variables a function gets: Globals.Function's
// merged with its own, as SAM merges them.
func Environment(t *Template, id string) map[string]any {
	env := map[string]any{}
	if g, ok := Path(t.Root, "Globals", "Function", "Environment", "Variables").(map[string]any); ok {
		for k, v := range g {
			env[k] = v
		}
	}
	if own, ok := Path(t.Properties(id), "Environment", "Variables").(map[string]any); ok {
		for k, v := range own {
			env[k] = v
		}
	}
	return env
}

// CheckEnv checks that every function has each environment variable its
// needs require (awsapp.Needs.Env), and is passed each optional one
// (awsapp.Needs.Optional), which may be a parameter left empty.
func CheckEnv(t *Template, r Repo) []error {
	var errs []error
	folders := FunctionFolders(t, r)
	for _, id := range t.Functions() {
		dir, ok := folders[id]
		if !ok {
			continue
		}
		env := Environment(t, id)
		for _, name := range r.Needs[dir].Env() {
			if v, ok := env[name]; !ok || v == nil || v == "" {
				errs = append(errs, fmt.Errorf("%s (functions/%s): environment variable %s is not set", id, dir, name))
			}
		}
		for _, name := range r.Needs[dir].Optional() {
			if _, ok := env[name]; !ok {
				errs = append(errs, fmt.Errorf("%s (functions/%s): optional environment variable %s is not passed (its feature could never be switched on)", id, dir, name))
			}
		}
	}
	return errs
}

// policyTemplates expands the SAM policy templates the template may use to
// their actions, as SAM's policy_templates.json defines them.
var policyTemplates = map[string][]string{
	"DynamoDBCrudPolicy": {"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query",
		"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"},
	"DynamoDBReadPolicy":           {"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"},
	"DynamoDBWritePolicy":          {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"},
	"SQSSendMessagePolicy":         {"sqs:SendMessage*"},
	"SQSPollerPolicy":              {"sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"},
	"LambdaInvokePolicy":           {"lambda:InvokeFunction"},
	"StepFunctionsExecutionPolicy": {"states:StartExecution"},
	"SNSPublishMessagePolicy":      {"sns:Publish"},
}

// Allowed returns the IAM actions (possibly with wildcards) that a
// resource's Policies allow, in order. Managed policies named by string
// grant nothing the check can see; an unknown policy template is an error.
func Allowed(t *Template, id string) ([]string, error) {
	var out []string
	pols := t.Properties(id)["Policies"]
	items, ok := pols.([]any)
	if !ok && pols != nil {
		items = []any{pols}
	}
	for _, p := range items {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		if st, ok := m["Statement"]; ok {
			out = append(out, statementActions(st)...)
			continue
		}
		for name := range m {
			acts, ok := policyTemplates[name]
			if !ok {
				return nil, fmt.Errorf("%s: policy template %s is not known to templatecheck; add its actions to policyTemplates", id, name)
			}
			out = append(out, acts...)
		}
	}
	return out, nil
}

func statementActions(st any) []string {
	list, ok := st.([]any)
	if !ok {
		list = []any{st}
	}
	var out []string
	for _, s := range list {
		m, ok := s.(map[string]any)
		if !ok || m["Effect"] != "Allow" {
			continue
		}
		switch a := m["Action"].(type) {
		case string:
			out = append(out, a)
		case []any:
			for _, x := range a {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// Matches reports whether the IAM action pattern (with * and ?, case
// insensitive, as IAM compares actions) matches action.
func Matches(pattern, action string) bool {
	re := "(?i)^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString(re, action)
	return ok
}

// services maps an IAM service prefix to whether needs may use it.
var services = map[string]func(awsapp.Needs) bool{
	"dynamodb":  func(awsapp.Needs) bool { return true },
	"ses":       func(n awsapp.Needs) bool { return n.Mail },
	"sms-voice": func(n awsapp.Needs) bool { return n.SMS },
	"states":    func(n awsapp.Needs) bool { return n.Workflow || n.TaskTokens },
	"sqs":       func(n awsapp.Needs) bool { return n.Queue },
}

// CheckPolicies checks that each function's Policies allow every IAM
// action its adapters call (awsapp.Needs.Actions), and no action of a
// service it does not declare (least privilege at the service level; no
// "*" actions, no task-token actions without TaskTokens).
func CheckPolicies(t *Template, r Repo) []error {
	var errs []error
	folders := FunctionFolders(t, r)
	for _, id := range t.Functions() {
		dir, ok := folders[id]
		if !ok {
			continue
		}
		needs := r.Needs[dir]
		allowed, err := Allowed(t, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, want := range needs.Actions() {
			if !slices.ContainsFunc(allowed, func(p string) bool { return Matches(p, want) }) {
				errs = append(errs, fmt.Errorf("%s (functions/%s): Policies do not allow %s", id, dir, want))
			}
		}
		for _, a := range allowed {
			svc, _, _ := strings.Cut(strings.ToLower(a), ":")
			may, known := services[svc]
			switch {
			case a == "*" || strings.HasSuffix(a, ":*"):
				errs = append(errs, fmt.Errorf("%s (functions/%s): allows every action of %q", id, dir, a))
			case !known:
				errs = append(errs, fmt.Errorf("%s (functions/%s): allows %s, a service no function adapter uses", id, dir, a))
			case !may(needs):
				errs = append(errs, fmt.Errorf("%s (functions/%s): allows %s, but awsapp.Functions does not declare that service for it", id, dir, a))
			case Matches("states:SendTask*", a) && !needs.TaskTokens:
				errs = append(errs, fmt.Errorf("%s (functions/%s): allows %s without TaskTokens", id, dir, a))
			}
		}
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// functionTimeout is a function's Timeout, or the Globals' (3 s, Lambda's
// default, when neither says).
func functionTimeout(t *Template, id string) float64 {
	for _, v := range []any{Path(t.Properties(id), "Timeout"), Path(t.Root, "Globals", "Function", "Timeout")} {
		if n, ok := number(v); ok {
			return n
		}
	}
	return 3
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// CheckQueues checks that every SQS event source of a function is
// consistent with its queue, as infra/README.md ("Limits") explains: the
// queue's visibility timeout is at least 6 times the function's timeout
// (Lambda's advice, so a batch still running is not handed out again), the
// queue has a dead-letter queue after more than one receive, the function
// reports partial batch failures, and the event source caps the functions
// running at once (ScalingConfig.MaximumConcurrency), which keeps the
// send path within the SES sending rate.
func CheckQueues(t *Template, _ Repo) []error {
	var errs []error
	for _, id := range t.Functions() {
		events, _ := Path(t.Properties(id), "Events").(map[string]any)
		for _, name := range sortedKeys(events) {
			ev := events[name]
			if Path(ev, "Type") != "SQS" {
				continue
			}
			props, _ := Path(ev, "Properties").(map[string]any)
			att, _ := Path(props, "Queue", "Fn::GetAtt").([]any)
			if len(att) != 2 || att[1] != "Arn" {
				errs = append(errs, fmt.Errorf("%s.%s: Queue is not !GetAtt <Queue>.Arn", id, name))
				continue
			}
			queue, _ := att[0].(string)
			qp := t.Properties(queue)
			vis, ok := number(qp["VisibilityTimeout"])
			if timeout := functionTimeout(t, id); !ok || vis < 6*timeout {
				errs = append(errs, fmt.Errorf("%s: VisibilityTimeout %v is less than 6 × %s's Timeout (%v s)", queue, qp["VisibilityTimeout"], id, timeout))
			}
			if n, ok := number(Path(qp, "RedrivePolicy", "maxReceiveCount")); !ok || n < 2 {
				errs = append(errs, fmt.Errorf("%s: RedrivePolicy.maxReceiveCount is %v, want a dead-letter queue after 2 or more receives", queue, Path(qp, "RedrivePolicy", "maxReceiveCount")))
			}
			if rt, _ := props["FunctionResponseTypes"].([]any); !slices.Contains(rt, any("ReportBatchItemFailures")) {
				errs = append(errs, fmt.Errorf("%s.%s: FunctionResponseTypes lacks ReportBatchItemFailures", id, name))
			}
			if Path(props, "ScalingConfig", "MaximumConcurrency") == nil {
				errs = append(errs, fmt.Errorf("%s.%s: no ScalingConfig.MaximumConcurrency: nothing bounds the senders running at once", id, name))
			}
		}
	}
	return errs
}

// CheckScheduleNames checks that every EventBridge Scheduler schedule is
// named after the stack: SAM names a ScheduleV2 event <Function><Event>
// unless told, the same in every stack, and schedule names are unique per
// account, Region and group, so a second stack could not create its own.
func CheckScheduleNames(t *Template, _ Repo) []error {
	var errs []error
	for _, id := range t.Functions() {
		events, _ := Path(t.Properties(id), "Events").(map[string]any)
		for _, name := range sortedKeys(events) {
			if Path(events[name], "Type") != "ScheduleV2" {
				continue
			}
			sub, _ := Path(events[name], "Properties", "Name", "Fn::Sub").(string)
			if !strings.Contains(sub, "${AWS::StackName}") {
				errs = append(errs, fmt.Errorf("%s.%s: the schedule's Name does not contain ${AWS::StackName}", id, name))
			}
		}
	}
	return errs
}
