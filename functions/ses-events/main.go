// Command ses-events is the Lambda function that suppresses bounced and complaining
// addresses from SES events published to SNS.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sesclient"
	"github.com/cxloop/cxloop/shared/aws/lambdafn"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	log := lambdacontext.NewLogger().With("service", "cxloop-ses-events", "version", version)
	b, err := awsapp.New(context.Background(), "ses-events", log, sesclient.Mailer())
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(lambdafn.SESEvents(b.App, log))
}
