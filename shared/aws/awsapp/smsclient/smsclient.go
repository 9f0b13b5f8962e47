// Package smsclient connects a function to AWS End User Messaging SMS
// (pinpointsmsvoicev2) for texts. Only the functions whose main imports it
// link that client.
package smsclient

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"

	"github.com/cxloop/cxloop/shared/aws/awsapp"
	"github.com/cxloop/cxloop/shared/aws/sms"
	"github.com/cxloop/cxloop/shared/core/app"
	"github.com/cxloop/cxloop/shared/domain/message"
)

// Texter sends the function's texts from SMS_ORIGINATION_IDENTITY, with the
// optional SMS_CONFIGURATION_SET's delivery events and SMS_OPT_OUT_LIST.
// Without an origination identity SMS is off: the core then sends no
// texts (app.Config.SMSOff), and a text that is tried all the same is
// refused with ErrOff instead of reaching the service.
func Texter() awsapp.Adapter {
	return awsapp.Adapter{Service: awsapp.SMS, Connect: func(c awsapp.Conn, deps *app.Deps) {
		if c.Getenv("SMS_ORIGINATION_IDENTITY") == "" {
			deps.Texter = off{}
			return
		}
		deps.Texter = sms.New(pinpointsmsvoicev2.NewFromConfig(c.AWS, func(o *pinpointsmsvoicev2.Options) { o.BaseEndpoint = c.Endpoint(pinpointsmsvoicev2.ServiceID) }), sms.Config{
			OriginationIdentity: c.Getenv("SMS_ORIGINATION_IDENTITY"), ConfigurationSet: c.Getenv("SMS_CONFIGURATION_SET"),
			OptOutList: c.Getenv("SMS_OPT_OUT_LIST"),
		})
	}}
}

// ErrOff is what a text gets when SMS is not configured.
var ErrOff = errors.New("SMS is not configured: SMS_ORIGINATION_IDENTITY (the template's SmsOriginationIdentity) is empty")

// off is the Texter of a deployment without SMS.
type off struct{}

func (off) SendSMS(context.Context, message.SMS) (string, error) { return "", ErrOff }
