// Package cost measures what cxloop costs to run on AWS: Counter, an
// aws-sdk-go-v2 middleware, counts every AWS call the production adapters
// make (and prices DynamoDB calls in request units); the package's test
// runs whole survey lifecycles through them and turns the counts into list
// prices per 10,000 surveys, kept in README.md's "What it costs" section.
package cost

// List prices, us-east-1, on-demand, without free tiers (the free tiers
// are noted where they matter). Each was checked against the page cited
// next to it in 2026; where the page itself could not be read the figure
// is the well-known published price, as said.
const (
	// API Gateway HTTP API: first 300 million requests a month, per request.
	// https://aws.amazon.com/api-gateway/pricing/ ("HTTP APIs", us-east-1:
	// $1.00 per million for the first 300 million); the same figure in
	// https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html
	APIGatewayPerRequest = 1.00 / 1e6

	// Lambda: $0.20 per million requests; Arm duration $0.0000133334 per
	// GB-second for the first 7.5 billion GB-seconds a month.
	// https://aws.amazon.com/lambda/pricing/ (read through a mirror of
	// the page; the Arm tier figures as quoted by
	// https://cloudchipr.com/blog/aws-lambda-pricing).
	LambdaPerRequest     = 0.20 / 1e6
	LambdaPerGBSecondArm = 0.0000133334

	// DynamoDB on-demand (Standard table class), since the 50% cut of
	// 1 November 2024: $0.625 per million write request units, $0.125 per
	// million read request units.
	// https://aws.amazon.com/dynamodb/pricing/on-demand/ (units defined
	// there; the page's price table is rendered by script, so the figures
	// are the published ones as quoted by
	// https://airbyte.com/data-engineering-resources/dynamodb-pricing).
	DynamoDBPerWRU = 0.625 / 1e6
	DynamoDBPerRRU = 0.125 / 1e6

	// SQS standard queue: $0.40 per million requests (each 64 KB chunk of a
	// payload is a request) after 1 million free a month.
	// https://aws.amazon.com/sqs/pricing/ (as quoted by
	// https://cloudburn.io/blog/amazon-sqs-pricing, March 2026).
	SQSPerRequest = 0.40 / 1e6

	// SES outbound email: $0.10 per 1,000 emails (per recipient).
	// https://aws.amazon.com/ses/pricing/ (well-known published price; the
	// pricing page itself was not in the searchable corpus, the FAQ
	// https://aws.amazon.com/ses/faqs/ points to it).
	SESPerEmail = 0.10 / 1000

	// SNS standard topic: $0.50 per million publishes; deliveries to
	// Lambda are free. SES publishes one event per email to the topic the
	// ses-events function reads (template.yaml, EmailEventDestination).
	// https://aws.amazon.com/sns/pricing/ (well-known published price).
	SNSPerPublish = 0.50 / 1e6

	// Step Functions Standard: $0.025 per 1,000 state transitions after
	// 4,000 free a month. https://aws.amazon.com/step-functions/pricing/
	// ("US East (N. Virginia) $0.0250" per 1,000).
	SFNPerTransition = 0.025 / 1000

	// CloudWatch Logs, Standard log class: $0.50 per GB ingested (the
	// first tier); here 1 GB = 10^9 bytes, the dearer reading.
	// https://aws.amazon.com/cloudwatch/pricing/ (as quoted by
	// https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/).
	LogsPerGB = 0.50

	// CloudWatch standard-resolution metric alarm: $0.10 a month.
	// https://aws.amazon.com/cloudwatch/pricing/ (well-known published price).
	AlarmPerMonth = 0.10

	// EventBridge Scheduler: $1.00 per million invocations after 14 million
	// free a month. https://aws.amazon.com/eventbridge/pricing/ (as quoted
	// by https://cloudburn.io/blog/amazon-eventbridge-pricing, March 2026).
	SchedulerPerInvocation = 1.00 / 1e6
)
