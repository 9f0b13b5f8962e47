// Package smsclient connects a function to AWS End User Messaging SMS
// (pinpointsmsvoicev2) for texts. Only the functions whose main imports it
// link that client.
package smsclient

import (
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"

	"github.com/cxloop/cxloop/shared/app"
	"github.com/cxloop/cxloop/shared/awsapp"
	"github.com/cxloop/cxloop/shared/sms"
)

// Texter sends the function's texts from SMS_ORIGINATION_IDENTITY, with the
// SMS_CONFIGURATION_SET's delivery events and the optional SMS_OPT_OUT_LIST.
func Texter() awsapp.Adapter {
	return awsapp.Adapter{Service: awsapp.SMS, Connect: func(c awsapp.Conn, deps *app.Deps) {
		deps.Texter = sms.New(pinpointsmsvoicev2.NewFromConfig(c.AWS, func(o *pinpointsmsvoicev2.Options) { o.BaseEndpoint = c.Endpoint(pinpointsmsvoicev2.ServiceID) }), sms.Config{
			OriginationIdentity: c.Getenv("SMS_ORIGINATION_IDENTITY"), ConfigurationSet: c.Getenv("SMS_CONFIGURATION_SET"),
			OptOutList: c.Getenv("SMS_OPT_OUT_LIST"),
		})
	}}
}
