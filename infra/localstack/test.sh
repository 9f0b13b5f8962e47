#!/usr/bin/env bash
# Runs the LocalStack integration suite against the stack deploy.sh made.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f .aws-sam/localstack.env ]; then
  echo "no .aws-sam/localstack.env: run infra/localstack/deploy.sh first" >&2; exit 1
fi
set -a; . .aws-sam/localstack.env; set +a
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
exec go test -count=1 -tags localstack -v ./infra/localstack/...
