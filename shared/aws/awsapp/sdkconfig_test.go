package awsapp

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cxloop/cxloop/shared/testkit/awsfake"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSDKConfigFromLambdaEnvironment(t *testing.T) {
	t.Parallel()
	cfg, err := sdkConfig(envOf(map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "session",
	}))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil || cfg.Region != "eu-west-1" || creds.AccessKeyID != "AKID" || creds.SecretAccessKey != "secret" || creds.SessionToken != "session" {
		t.Errorf("config = region %q, credentials %+v, %v; want the environment's", cfg.Region, creds, err)
	}
}

func TestSDKConfigNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing", nil, []string{"AWS_REGION", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}},
		{"no secret", map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID"}, []string{"AWS_SECRET_ACCESS_KEY"}},
		{"no region", map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}, []string{"AWS_REGION"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := sdkConfig(envOf(tt.env))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
	if cfg, err := sdkConfig(envOf(map[string]string{"AWS_DEFAULT_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"})); err != nil || cfg.Region != "us-west-2" {
		t.Errorf("AWS_DEFAULT_REGION alone: region %q, %v", cfg.Region, err)
	}
}

func TestSDKConfigRetriesAndRefusals(t *testing.T) {
	t.Parallel()
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cfg, err := sdkConfig(envOf(base(map[string]string{"AWS_MAX_ATTEMPTS": "5", "AWS_RETRY_MODE": "adaptive"})))
	if err != nil || cfg.RetryMaxAttempts != 5 || cfg.RetryMode != aws.RetryModeAdaptive {
		t.Errorf("retry settings: %d %q, %v; want 5 adaptive", cfg.RetryMaxAttempts, cfg.RetryMode, err)
	}
	for _, bad := range []map[string]string{
		{"AWS_MAX_ATTEMPTS": "zero"}, {"AWS_MAX_ATTEMPTS": "0"}, {"AWS_RETRY_MODE": "sometimes"},
		{"AWS_USE_FIPS_ENDPOINT": "true"}, {"AWS_USE_DUALSTACK_ENDPOINT": "true"},
	} {
		if _, err := sdkConfig(envOf(base(bad))); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// The override variables are the ones the SDK's own environment
// configuration reads (awsfake's names are checked against the SDK).
func TestEndpointOverrides(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		sesv2.ServiceID:              awsfake.EndpointVars[awsfake.SESv2],
		pinpointsmsvoicev2.ServiceID: awsfake.EndpointVars[awsfake.SMS],
		sfn.ServiceID:                awsfake.EndpointVars[awsfake.SFN],
		sqs.ServiceID:                awsfake.EndpointVars[awsfake.SQS],
		dynamodb.ServiceID:           awsfake.DynamoDBEndpointVar,
	}
	for id, name := range want {
		c := Conn{Getenv: envOf(map[string]string{name: "http://127.0.0.1:1/" + id, "AWS_ENDPOINT_URL": "http://127.0.0.1:2"})}
		if got := c.Endpoint(id); got == nil || *got != "http://127.0.0.1:1/"+id {
			t.Errorf("Endpoint(%q) with %s set = %v, want its value", id, name, got)
		}
		c = Conn{Getenv: envOf(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2"})}
		if got := c.Endpoint(id); got == nil || *got != "http://127.0.0.1:2" {
			t.Errorf("Endpoint(%q) with only AWS_ENDPOINT_URL = %v, want it", id, got)
		}
		if got := (Conn{Getenv: envOf(nil)}).Endpoint(id); got != nil {
			t.Errorf("Endpoint(%q) with nothing set = %q, want nil", id, *got)
		}
	}
}
