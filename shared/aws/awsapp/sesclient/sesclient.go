// Package sesclient connects a function to SES (sesv2) for email. Only the
// functions whose main imports it link the SES client.
package sesclient

import (
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/ses"
	"github.com/cxloop/cxloop/shared/core/app"
)

// Mailer sends the function's email through SES from SES_FROM, with the
// SES_CONFIGURATION_SET's delivery events.
func Mailer() awsapp.Adapter {
	return awsapp.Adapter{Service: awsapp.Mail, Connect: func(c awsapp.Conn, deps *app.Deps) {
		deps.Mailer = ses.New(sesv2.NewFromConfig(c.AWS, func(o *sesv2.Options) { o.BaseEndpoint = c.Endpoint(sesv2.ServiceID) }), ses.Config{
			From: c.Getenv("SES_FROM"), ConfigurationSet: c.Getenv("SES_CONFIGURATION_SET"),
		})
	}}
}
