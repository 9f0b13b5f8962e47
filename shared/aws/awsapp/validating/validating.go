// Package validating connects a function's core to input validation
// (shared/platform/validation). Only the functions whose main imports it link the
// validator library, which makes the linker keep every exported method
// of every reachable type.
package validating

import (
	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/platform/validation"
)

// Validator validates the input the function takes from outside.
func Validator() awsapp.Adapter {
	return awsapp.Adapter{Service: awsapp.Validation, Connect: func(_ awsapp.Conn, deps *app.Deps) {
		deps.Validator = validation.New()
	}}
}
