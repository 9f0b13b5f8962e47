package cost

import (
	"fmt"
	"sort"
)

// Fixed assumptions: the numbers are counts, never timings, so the README
// table is the same on every machine.
const (
	// LambdaMemoryGB is every function's memory (template.yaml Globals:
	// MemorySize 256, arm64).
	LambdaMemoryGB = 0.25
	// LambdaSeconds is the assumed billed duration of one invocation. The
	// handlers do a few DynamoDB calls and at most one SES call each, tens
	// of milliseconds warm; 50 ms is a round, deliberately generous figure
	// (cold starts are rarer than one in ten at any volume worth pricing).
	LambdaSeconds = 0.050
	// LogEventOverhead is what CloudWatch Logs adds to each event's bytes
	// when it meters ingestion.
	LogEventOverhead = 26
	// ESMPollers is how many long-polling receivers Lambda's SQS event
	// source mapping runs on an idle queue (five, as Lambda documents), each
	// waiting 20 seconds.
	ESMPollers = 5
	// SweepsPerMonth is the sweeper's schedule, rate(5 minutes), over 30
	// days.
	SweepsPerMonth = 30 * 24 * 12
	// Alarms is the CloudWatch alarms in template.yaml.
	Alarms = 6
)

// PlatformLogSample is what Lambda itself logs per invocation in the JSON
// log format the template sets (platform.start and platform.report), with
// representative values; its length is counted for every invocation.
var PlatformLogSample = []string{
	`{"time":"2026-05-12T09:00:00.000Z","type":"platform.start","record":{"requestId":"6f1c7a52-3f0e-4b7d-9c55-0d6c5c0f2a11","version":"$LATEST"}}`,
	`{"time":"2026-05-12T09:00:00.050Z","type":"platform.report","record":{"requestId":"6f1c7a52-3f0e-4b7d-9c55-0d6c5c0f2a11","metrics":{"durationMs":48.512,"billedDurationMs":49,"memorySizeMB":256,"maxMemoryUsedMB":38},"status":"success"}}`,
}

// AccessLogSample is one API Gateway access log line in the template's
// format (HttpApiStage AccessLogSettings), with representative values.
const AccessLogSample = `{"requestId":"Jx2k5g3aIAMEVsw=","ip":"203.0.113.25","requestTime":"12/May/2026:09:00:00 +0000","method":"POST","routeKey":"$default","status":"200","responseLength":"1874","integrationError":"-","latency":"48"}`

// PlatformLogBytes is what CloudWatch meters for Lambda's own lines of one
// invocation.
func PlatformLogBytes() int {
	n := 0
	for _, l := range PlatformLogSample {
		n += len(l) + LogEventOverhead
	}
	return n
}

// AccessLogBytes is what CloudWatch meters for one access log line.
func AccessLogBytes() int { return len(AccessLogSample) + LogEventOverhead }

// Usage is what one survey's lifecycle uses of each billed AWS dimension.
type Usage struct {
	// APIRequests counts HTTP requests through API Gateway (each is also
	// one invocation of the api function).
	APIRequests int
	// Invocations counts Lambda invocations by function.
	Invocations map[string]int
	// DynamoDB on-demand request units.
	ReadUnits, WriteUnits float64
	// SQSRequests: SendMessage plus, per message, one ReceiveMessage and
	// one DeleteMessage by the event source mapping.
	SQSRequests int
	// Emails sent through SES (recipients).
	Emails int
	// SNSPublishes: SES's send and delivery events published to the SES
	// events topic.
	SNSPublishes int
	// Transitions: Step Functions states entered.
	Transitions int
	// Executions: closed-loop executions started.
	Executions int
	// IndexPartitionUnits: the index write units by index partition
	// (Counts.IndexPartitionUnits), for the capacity table.
	IndexPartitionUnits map[string]float64
	// SMS messages sent (none in the email lifecycles).
	SMS int
	// AppLogBytes: the JSON log lines the functions wrote, as metered (with
	// the per-event overhead); platform and access log lines are added from
	// the counts.
	AppLogBytes int
	// Calls are the AWS API calls the lifecycle made, for the record.
	Calls map[Op]int
}

// LambdaInvocations is the total of Invocations.
func (u Usage) LambdaInvocations() int {
	n := 0
	for _, v := range u.Invocations {
		n += v
	}
	return n
}

// LogBytes is everything ingested into CloudWatch Logs: the functions' own
// lines, Lambda's platform lines and API Gateway's access log.
func (u Usage) LogBytes() int {
	return u.AppLogBytes + u.LambdaInvocations()*PlatformLogBytes() + u.APIRequests*AccessLogBytes()
}

// Line is one billed dimension: how much of it, and what that costs.
type Line struct {
	Service  string
	Unit     string
	Price    string // the list price, for people
	Quantity float64
	Dollars  float64
}

// Lines prices the usage, one line per billed dimension, in a fixed order.
func (u Usage) Lines() []Line {
	inv := float64(u.LambdaInvocations())
	gbs := inv * LambdaMemoryGB * LambdaSeconds
	logKB := float64(u.LogBytes()) / 1000
	return []Line{
		{"API Gateway (HTTP API)", "requests", "$1.00 / million", float64(u.APIRequests), float64(u.APIRequests) * APIGatewayPerRequest},
		{"Lambda requests", "invocations", "$0.20 / million", inv, inv * LambdaPerRequest},
		{"Lambda duration (arm64, 256 MB, 50 ms each)", "GB-seconds", "$0.0000133334 / GB-s", gbs, gbs * LambdaPerGBSecondArm},
		{"DynamoDB writes (on-demand)", "write request units", "$0.625 / million", u.WriteUnits, u.WriteUnits * DynamoDBPerWRU},
		{"DynamoDB reads (on-demand)", "read request units", "$0.125 / million", u.ReadUnits, u.ReadUnits * DynamoDBPerRRU},
		{"SQS (standard)", "requests", "$0.40 / million", float64(u.SQSRequests), float64(u.SQSRequests) * SQSPerRequest},
		{"SES", "emails", "$0.10 / 1,000", float64(u.Emails), float64(u.Emails) * SESPerEmail},
		{"SNS (SES send and delivery events)", "publishes", "$0.50 / million", float64(u.SNSPublishes), float64(u.SNSPublishes) * SNSPerPublish},
		{"Step Functions (Standard)", "state transitions", "$0.025 / 1,000", float64(u.Transitions), float64(u.Transitions) * SFNPerTransition},
		{"CloudWatch Logs", "KB ingested", "$0.50 / GB", logKB, logKB * 1000 / 1e9 * LogsPerGB},
	}
}

// Total is the cost of all lines.
func Total(lines []Line) float64 {
	t := 0.0
	for _, l := range lines {
		t += l.Dollars
	}
	return t
}

// ServiceDollars is the cost of the lines of one service.
func ServiceDollars(lines []Line, service string) float64 {
	t := 0.0
	for _, l := range lines {
		if l.Service == service {
			t += l.Dollars
		}
	}
	return t
}

// Lifecycle is one measured survey lifecycle and its share of the mix.
type Lifecycle struct {
	Key   string // short column name
	Title string // what happens
	Share float64
	Usage Usage
}

// Mix weighs the lifecycles' lines by their shares: the cost of one
// survey of the mix.
func Mix(lcs []Lifecycle) []Line {
	var out []Line
	for i, lc := range lcs {
		for j, l := range lc.Usage.Lines() {
			if i == 0 {
				out = append(out, Line{Service: l.Service, Unit: l.Unit, Price: l.Price})
			}
			out[j].Quantity += lc.Share * l.Quantity
			out[j].Dollars += lc.Share * l.Dollars
		}
	}
	return out
}

// FixedLine is a monthly cost that does not grow with surveys.
type FixedLine struct {
	What    string
	Count   string
	Dollars float64
	Note    string
}

// Fixed lists the monthly costs that do not scale with surveys. sweepRRU
// is the read units of one sweep that finds nothing (measured).
func Fixed(sweepRRU float64) []FixedLine {
	sweeps := float64(SweepsPerMonth)
	gbs := sweeps * LambdaMemoryGB * LambdaSeconds
	emptyReceives := float64(ESMPollers * 3 * 60 * 24 * 30)
	return []FixedLine{
		{"EventBridge Scheduler: sweeper runs", thousands(SweepsPerMonth) + " invocations", sweeps * SchedulerPerInvocation, "inside the 14 million free invocations a month"},
		{"Lambda: sweeper invocations", fmt.Sprintf("%s invocations, %.0f GB-s", thousands(SweepsPerMonth), gbs), sweeps*LambdaPerRequest + gbs*LambdaPerGBSecondArm, "50 ms each assumed"},
		{"DynamoDB: the sweeper's due-items query", fmt.Sprintf("%s queries, %s RRU", thousands(SweepsPerMonth), qty(sweeps*sweepRRU)), sweeps * sweepRRU * DynamoDBPerRRU, "one eventually consistent index query per run (measured)"},
		{"CloudWatch Logs: sweeper platform lines", fmt.Sprintf("%.1f MB", sweeps*float64(PlatformLogBytes())/1e6), sweeps * float64(PlatformLogBytes()) / 1e9 * LogsPerGB, "an empty sweep logs nothing itself"},
		{"SQS: event source mapping's empty long polls", thousands(int(emptyReceives)) + " receives", emptyReceives * SQSPerRequest, "5 pollers × one 20 s poll each; inside the 1 million free requests a month"},
		{"CloudWatch alarms", fmt.Sprintf("%d alarms", Alarms), Alarms * AlarmPerMonth, "template.yaml"},
	}
}

// FixedTotal is the sum of the fixed lines.
func FixedTotal(f []FixedLine) float64 {
	t := 0.0
	for _, l := range f {
		t += l.Dollars
	}
	return t
}

// sortedFunctions lists a usage's functions by name.
func sortedFunctions(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
