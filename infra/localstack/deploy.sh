#!/usr/bin/env bash
# Deploys template.yaml to LocalStack (http://localhost:4566 unless
# AWS_ENDPOINT_URL says otherwise) with test parameters, and writes the
# stack's outputs to .aws-sam/localstack.env for test.sh.
#
# Needs: a running LocalStack (docker-compose.yml, with LOCALSTACK_AUTH_TOKEN:
# LocalStack needs an account and auth token since March 2026), the AWS CLI
# v2, and samlocal (`pip install aws-sam-cli-local`, a wrapper around the SAM
# CLI) or the SAM CLI itself (make tools puts one in infra/tools/.venv/bin),
# which honours AWS_ENDPOINT_URL through boto3.
set -euo pipefail
cd "$(dirname "$0")/../.."

export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-2}"
export AWS_REGION="$AWS_DEFAULT_REGION"
STACK="${STACK:-cxloop-local}"
SENDER="feedback@example.com"
API_KEY="${CXLOOP_API_KEY:-localstack-test-api-key}"
SIGNING_KEY="${CXLOOP_SIGNING_KEY:-$(openssl rand -hex 32)}"

# Build for the host's architecture: LocalStack runs the functions natively
# (LAMBDA_IGNORE_ARCHITECTURE=1), and an arm64 binary would not start on an
# amd64 host without emulation.
case "$(uname -m)" in
  x86_64|amd64) export LAMBDA_GOARCH=amd64 ;;
  *)            export LAMBDA_GOARCH=arm64 ;;
esac

if command -v samlocal >/dev/null; then SAM=samlocal; else SAM=sam; fi

curl -fsS "$AWS_ENDPOINT_URL/_localstack/health" >/dev/null || {
  echo "LocalStack is not answering at $AWS_ENDPOINT_URL" >&2; exit 1; }

# LocalStack's SES accepts mail only from verified identities, like SES's sandbox.
aws ses verify-email-identity --email-address "$SENDER"

"$SAM" build --build-in-source --parallel

deploy() {
  "$SAM" deploy --stack-name "$STACK" --resolve-s3 --capabilities CAPABILITY_IAM \
    --no-confirm-changeset --no-fail-on-empty-changeset \
    --parameter-overrides \
      "SenderEmail=\"cxloop test <$SENDER>\"" "SesIdentity=$SENDER" \
      "OrgName=cxloop test" "FallbackOwnerId=dana" \
      "ApiKey=$API_KEY" "SigningKey=$SIGNING_KEY" "PublicBaseUrl=$1"
}
output() {
  aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

# The API's id is known only after the first deploy; LocalStack serves it at
# http://<id>.execute-api.localhost.localstack.cloud:4566, so deploy again
# with that as the public base URL of the links in messages.
deploy ""
api_id="$(output ApiUrl | sed -E 's#^https?://([^.]+)\..*#\1#')"
api_url="http://$api_id.execute-api.localhost.localstack.cloud:4566"
deploy "$api_url"

mkdir -p .aws-sam
cat > .aws-sam/localstack.env <<ENV
AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
AWS_REGION=$AWS_REGION
CXLOOP_API_URL=$api_url
CXLOOP_API_KEY=$API_KEY
CXLOOP_TABLE_NAME=$(output TableName)
CXLOOP_SEND_QUEUE_URL=$(output SendQueueUrl)
CXLOOP_STATE_MACHINE_ARN=$(output StateMachineArn)
ENV
echo "cxloop API on LocalStack: $api_url"
