// Command send-survey is the Lambda function that sends the surveys queued on SQS,
// reporting partial batch failures and queueing throttled surveys again.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sesclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/smsclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sqsclient"
	"github.com/cxloop/cxloop/shared/aws/lambdafn"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	log := lambdacontext.NewLogger().With("service", "cxloop-send-survey", "version", version)
	b, err := awsapp.New(context.Background(), "send-survey", log, sesclient.Mailer(), smsclient.Texter(), sqsclient.Queue())
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(lambdafn.SendSurveys(b.App, sqsclient.New(b.Conn), log))
}
