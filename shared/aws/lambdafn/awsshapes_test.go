package lambdafn

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// samEvent runs `sam local generate-event` from the pinned SAM CLI
// (infra/tools/.venv, made by make tools): the sample events AWS's own
// tooling has for each source. Without the venv the test is skipped, or
// fails when CXLOOP_REQUIRE_SAM is set (CI).
func samEvent(t *testing.T, service, event string) []byte {
	t.Helper()
	sam := filepath.Join("..", "..", "..", "infra", "tools", ".venv", "bin", "sam")
	if _, err := os.Stat(sam); err != nil {
		if os.Getenv("CXLOOP_REQUIRE_SAM") != "" {
			t.Fatalf("the SAM CLI is not installed (%v): run make tools", err)
		}
		t.Skipf("the SAM CLI is not installed (make tools): %v", err)
	}
	cmd := exec.CommandContext(t.Context(), sam, "local", "generate-event", service, event)
	cmd.Env = append(os.Environ(), "SAM_CLI_TELEMETRY=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sam local generate-event %s %s: %v", service, event, err)
	}
	return out
}

// shape lists the JSON paths of a value with their kinds ("a.b[].c":
// "string"); an array's elements are merged into one "[]" path.
func shape(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[path] = "object"
		for k, e := range x {
			shape(e, path+"."+k, out)
		}
	case []any:
		out[path] = "array"
		for _, e := range x {
			shape(e, path+"[]", out)
		}
	case string:
		out[path] = "string"
	case float64:
		out[path] = "number"
	case bool:
		out[path] = "bool"
	case nil:
		out[path] = "null"
	}
}

func shapeOf(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	shape(v, "", out)
	return out
}

// Each events/ sample has the shape of AWS's own sample for its source:
// every field AWS's sample has is there with the same JSON type, except
// the fields AWS sends only when they apply (optional), and a JSON null
// where AWS sends null for a missing value. And the handlers parse AWS's
// own samples.
func TestEventsHaveAWSShapes(t *testing.T) {
	t.Parallel()
	sources := []struct {
		service, event string
		samples        []string // under events/
		// optional: paths AWS's sample has that a real event may omit;
		// maps: objects whose keys are data (headers, attributes), checked
		// only as objects.
		optional, maps []string
	}{
		{"apigateway", "http-api-proxy", []string{"api/*.json"}, []string{
			".cookies", ".body", ".pathParameters", ".stageVariables", ".queryStringParameters",
			".requestContext.authentication", ".requestContext.authorizer", // only behind an mTLS domain or an authorizer
		}, []string{".headers"}},
		{"sqs", "receive-message", []string{"send-survey/*.json"}, nil, []string{".Records[].messageAttributes"}},
		{"sns", "notification", []string{"ses-events/*.json", "inbound-sms/*.json"}, nil, []string{".Records[].Sns.MessageAttributes"}},
		// EventBridge's envelope. The sweeper's is EventBridge Scheduler's
		// Input from template.yaml, which has no account or region.
		{"cloudwatch", "scheduled-event", []string{"ingest-event/*.json"}, nil, nil},
		{"cloudwatch", "scheduled-event", []string{"sweeper/*.json"}, []string{".account", ".region"}, nil},
	}
	for _, src := range sources {
		aws := shapeOf(t, samEvent(t, src.service, src.event))
		for _, glob := range src.samples {
			files, err := filepath.Glob(filepath.Join("..", "..", "..", "events", glob))
			if err != nil || len(files) == 0 {
				t.Fatalf("no events/%s: %v", glob, err)
			}
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				ours := shapeOf(t, b)
				var problems []string
				for path, kind := range aws {
					if underAny(path, src.optional) || underAny(path, src.maps) && !slices.Contains(src.maps, path) || emptyArray(ours, path) {
						continue
					}
					got, ok := ours[path]
					switch {
					case !ok:
						problems = append(problems, fmt.Sprintf("%s (%s) missing", path, kind))
					case got != kind && got != "null" && kind != "null":
						problems = append(problems, fmt.Sprintf("%s is %s, AWS's is %s", path, got, kind))
					}
				}
				sort.Strings(problems)
				if len(problems) > 0 {
					t.Errorf("%s does not have the shape of `sam local generate-event %s %s`:\n  %s", f, src.service, src.event, strings.Join(problems, "\n  "))
				}
			}
		}
	}
}

// underAny reports whether path is one of prefixes or inside one.
func underAny(path string, prefixes []string) bool {
	for _, o := range prefixes {
		if path == o || strings.HasPrefix(path, o+".") || strings.HasPrefix(path, o+"[]") {
			return true
		}
	}
	return false
}

// emptyArray reports whether path is inside an array that is empty in
// ours, which then has no elements to compare.
func emptyArray(ours map[string]string, path string) bool {
	for i := strings.Index(path, "[]"); i >= 0; i = nextArray(path, i) {
		arr := path[:i]
		if ours[arr] == "array" && ours[arr+"[]"] == "" && !hasPrefixKey(ours, arr+"[]") {
			return true
		}
	}
	return false
}

func nextArray(path string, i int) int {
	j := strings.Index(path[i+2:], "[]")
	if j < 0 {
		return -1
	}
	return i + 2 + j
}

func hasPrefixKey(m map[string]string, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// The handlers take AWS's own sample events: they decode, and what is not
// cxloop's (a body that is no survey, a message that is no SES event) is
// refused as such, not as an unreadable event.
func TestHandlersParseAWSSampleEvents(t *testing.T) {
	t.Parallel()
	srv := startDev(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	decode := func(service, event string, v any) {
		t.Helper()
		if err := json.Unmarshal(samEvent(t, service, event), v); err != nil {
			t.Fatalf("AWS's %s %s sample does not decode: %v", service, event, err)
		}
	}

	var api events.APIGatewayV2HTTPRequest
	decode("apigateway", "http-api-proxy", &api)
	res, err := HTTP(http404{})(ctx, api)
	if err != nil || res.StatusCode != 404 || api.RequestContext.HTTP.Method != "POST" {
		t.Errorf("HTTP on AWS's sample = %+v, %v; want the request (POST /path/to/resource) served", res, err)
	}

	var batch events.SQSEvent
	decode("sqs", "receive-message", &batch)
	out, err := SendSurveys(srv.App, noLater{t}, log)(ctx, batch)
	if err != nil || len(out.BatchItemFailures) != 1 || out.BatchItemFailures[0].ItemIdentifier != batch.Records[0].MessageId {
		t.Errorf("SendSurveys on AWS's sample = %+v, %v; want its one message (not a survey) reported by id", out, err)
	}

	var note events.SNSEvent
	decode("sns", "notification", &note)
	if err := SESEvents(srv.App, log)(ctx, note); err == nil || !strings.Contains(err.Error(), note.Records[0].SNS.MessageID) {
		t.Errorf("SESEvents on AWS's sample = %v, want an error naming SNS message %s", err, note.Records[0].SNS.MessageID)
	}
	if err := InboundSMS(srv.App, log)(ctx, note); err == nil || !strings.Contains(err.Error(), note.Records[0].SNS.MessageID) {
		t.Errorf("InboundSMS on AWS's sample = %v, want an error naming SNS message %s", err, note.Records[0].SNS.MessageID)
	}

	var tick events.EventBridgeEvent
	decode("cloudwatch", "scheduled-event", &tick)
	if _, err := Sweep(srv.App)(ctx, tick); err != nil {
		t.Errorf("Sweep on AWS's sample: %v", err)
	}
}

type http404 struct{}

func (http404) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/path/to/resource" || r.URL.Query().Get("parameter2") != "value" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNotFound)
}
