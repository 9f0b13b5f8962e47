// Command inbound-sms is the Lambda function that handles customers' text replies
// published to SNS by AWS End User Messaging SMS.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/awsapp/sfnclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/smsclient"
	"github.com/cxloop/cxloop/shared/aws/awsapp/validating"
	"github.com/cxloop/cxloop/shared/aws/lambdafn"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	log := lambdacontext.NewLogger().With("service", "cxloop-inbound-sms", "version", version)
	b, err := awsapp.New(context.Background(), "inbound-sms", log, smsclient.Texter(), sfnclient.Workflow(), validating.Validator())
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(lambdafn.InboundSMS(b.App, log))
}
