// Command api is the Lambda function behind the HTTP API and pages (API Gateway payload 2.0), with `cxloop dev`'s handler.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sesclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sfnclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sqsclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/validating"
	"github.com/cxloop/cxloop/shared/aws/lambdafn"
	"github.com/cxloop/cxloop/shared/web/httpapi"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	log := lambdacontext.NewLogger().With("service", "cxloop-api", "version", version)
	b, err := awsapp.New(context.Background(), "api", log, sesclient.Mailer(), sfnclient.Workflow(), sqsclient.Queue(), validating.Validator())
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(lambdafn.HTTP(httpapi.New(b.App, httpapi.Config{APIKey: b.APIKey, Logger: log, PageRatePerMinute: b.PageRatePerMinute})))
}
