// Command ingest-event is the Lambda function that takes finished interactions from
// EventBridge.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sqsclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/validating"
	"github.com/cxloop/cxloop/shared/aws/lambdafn"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	log := lambdacontext.NewLogger().With("service", "cxloop-ingest-event", "version", version)
	b, err := awsapp.New(context.Background(), "ingest-event", log, sqsclient.Queue(), validating.Validator())
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(lambdafn.IngestEvent(b.App))
}
