package awsapp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// sdkConfig is the SDK configuration a function gets from the environment
// Lambda gives it: AWS_REGION and the execution role's credentials in
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. That is
// what config.LoadDefaultConfig resolves to inside Lambda; building it
// here leaves out that package's shared-config-file, SSO, STS and
// instance-metadata providers, which a function never uses and which cost
// each binary about 2 MB and each cold start about 3 ms. Endpoints are
// overridden as the SDK's own environment settings do (Conn.Endpoint).
func sdkConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	var missing []string
	if region == "" {
		missing = append(missing, "AWS_REGION")
	}
	if id == "" || secret == "" {
		missing = append(missing, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if len(missing) > 0 {
		return aws.Config{}, errors.New("aws config: not set: " + strings.Join(missing, ", ") + " (Lambda sets them from the function's region and execution role)")
	}
	// Settings the SDK's environment configuration would honour and this
	// one does not: refused, so that none is silently dropped.
	for _, name := range unsupportedEnv {
		if getenv(name) != "" {
			return aws.Config{}, fmt.Errorf("aws config: %s is set, but cxloop's functions do not support it", name)
		}
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN")),
	}
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return aws.Config{}, fmt.Errorf("aws config: AWS_MAX_ATTEMPTS=%q: want a whole number from 1", v)
		}
		cfg.RetryMaxAttempts = n
	}
	if v := getenv("AWS_RETRY_MODE"); v != "" {
		mode, err := aws.ParseRetryMode(v)
		if err != nil {
			return aws.Config{}, fmt.Errorf("aws config: AWS_RETRY_MODE: %w", err)
		}
		cfg.RetryMode = mode
	}
	return cfg, nil
}

// unsupportedEnv are the SDK environment settings that choose which
// endpoints a function may use (a compliance or network requirement) and
// that sdkConfig does not implement. Profiles, config files and other
// credential sources are not read either: Lambda gives a function its
// role's keys in the environment.
var unsupportedEnv = []string{"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"}

// Endpoint is the endpoint override for the service whose SDK id is
// serviceID (the client package's ServiceID): AWS_ENDPOINT_URL_ followed by
// the id upper-cased with spaces as underscores, else AWS_ENDPOINT_URL, as
// the SDK's environment configuration reads them; nil for the service's
// own AWS endpoint. Local stacks (LocalStack, SAM local, the test fakes)
// set these.
func (c Conn) Endpoint(serviceID string) *string {
	for _, name := range []string{"AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(serviceID, " ", "_")), "AWS_ENDPOINT_URL"} {
		if v := c.Getenv(name); v != "" {
			return &v
		}
	}
	return nil
}
