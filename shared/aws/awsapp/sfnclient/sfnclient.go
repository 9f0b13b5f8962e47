// Package sfnclient connects a function to Step Functions: starting the
// closed-loop state machine and answering its task tokens. Only the
// functions whose main imports it link the Step Functions client.
package sfnclient

import (
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/sfn"
	"github.com/cxloop/cxloop/shared/core/app"
)

// Workflow runs the state machine STATE_MACHINE_ARN.
func Workflow() awsapp.Adapter {
	return awsapp.Adapter{Service: awsapp.Workflow, Connect: func(c awsapp.Conn, deps *app.Deps) {
		deps.Workflow = sfn.New(sfnsdk.NewFromConfig(c.AWS, func(o *sfnsdk.Options) { o.BaseEndpoint = c.Endpoint(sfnsdk.ServiceID) }), c.Getenv("STATE_MACHINE_ARN"), c.Logger)
	}}
}
