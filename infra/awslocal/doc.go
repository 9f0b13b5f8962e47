// Package awslocal holds cxloop's end-to-end suite for the AWS stack as
// deployed: template.yaml built by the SAM CLI and deployed through
// MiniStack's CloudFormation, the real bootstrap binaries run by its
// Lambda, the real state machine run by its Step Functions. The suite
// carries the awslocal build tag and talks only to the deployed API URL and
// the emulator's AWS APIs; run it with `make aws-local-test`, which starts
// MiniStack, deploys the two test stacks (infra/awslocal/stack.sh) and
// stops everything afterwards.
//
// MiniStack has no End User Messaging SMS: the SMS deployment's texts go to
// cxloop's recording fake (./recorder), which also records the SES v2 and
// Step Functions calls on their way to MiniStack. infra/README.md lists
// where MiniStack differs from AWS and how the suite handles each case.
package awslocal
