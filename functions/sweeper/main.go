// Command sweeper is the Lambda function that runs on a schedule: delayed and lost sends,
// reminders, expiries, settling clicks and loops that failed to start.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sesclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sfnclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/smsclient"
	"github.com/cxloop/cxloop/shared/aws/lambdafn"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	log := lambdacontext.NewLogger().With("service", "cxloop-sweeper", "version", version)
	b, err := awsapp.New(context.Background(), "sweeper", log, sesclient.Mailer(), smsclient.Texter(), sfnclient.Workflow())
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(lambdafn.Sweep(b.App))
}
