// Command emptyfn is the reference for the functions' init time: an
// aws-lambda-go function that does nothing, built with the same flags.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })
}
