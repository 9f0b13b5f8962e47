// Command assign-owner is the Lambda function that runs the closed-loop state machine's
// assign-owner task.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/looptask"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	log := lambdacontext.NewLogger().With("service", "cxloop-assign-owner", "version", version)
	b, err := awsapp.New(context.Background(), "assign-owner", log)
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(looptask.Handlers(b.App)["assign-owner"])
}
