// Command api is the Lambda function that serves the HTTP API and pages (API Gateway HTTP
// API, payload 2.0) with the same handler as `cxloop dev`.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/awsapp"
	"github.com/cxloop/cxloop/shared/httpapi"
	"github.com/cxloop/cxloop/shared/lambdafn"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	log := lambdacontext.NewLogger().With("service", "cxloop-api", "version", version)
	b, err := awsapp.New(context.Background(), "api", log)
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(lambdafn.HTTP(httpapi.New(b.App, httpapi.Config{APIKey: b.APIKey, Logger: log, PageRatePerMinute: b.PageRatePerMinute})), lambda.WithEnableSIGTERM())
}
