#!/usr/bin/env bash
# cxloop's AWS stack on MiniStack (an open-source AWS emulator, pinned in
# infra/tools/requirements.txt): no AWS account, no Docker.
#
#   stack.sh up      start MiniStack on 127.0.0.1, build with the SAM CLI for
#                    this machine, deploy template.yaml (its defaults plus the
#                    required parameters) as stack cxloop-local, print the URLs
#                    and leave it running                     (make aws-local)
#   stack.sh test    the same on a free port with the two test deployments
#                    (email only with the defaults, and SMS configured), both
#                    with small timings, then the end-to-end suite, then down
#                                                             (make aws-local-test)
#   stack.sh down    stop what up (or test) started          (make aws-local-stop)
#
# Everything it keeps is under .aws-sam/awslocal (or awslocal-test): the
# process ids, MiniStack's log, the API key and the stack outputs (stack.env,
# which the suite reads). See infra/README.md, "The AWS stack on MiniStack".
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV="$ROOT/infra/tools/.venv"
MODE="${1:-}"

case "$MODE" in
  up)   STATE="$ROOT/.aws-sam/awslocal"; PORT="${AWS_LOCAL_PORT:-4566}" ;;
  test) STATE="$ROOT/.aws-sam/awslocal-test"; PORT="" ;;
  down) ;;
  *) echo "usage: $0 up|test|down" >&2; exit 2 ;;
esac

export SAM_CLI_TELEMETRY=0
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

# The emulator's processes are stopped by the process-group id they were
# started with (setsid), never by name.
stop_dir() {
  local dir=$1 name pid
  for name in ministack recorder; do
    [ -f "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      echo "stopped $name ($pid)"
    fi
    rm -f "$dir/$name.pid"
  done
}

if [ "$MODE" = down ]; then
  stop_dir "$ROOT/.aws-sam/awslocal"
  stop_dir "$ROOT/.aws-sam/awslocal-test"
  exit 0
fi

[ -x "$VENV/bin/sam" ] || { echo "no SAM CLI in $VENV: run make tools" >&2; exit 1; }
stop_dir "$STATE"
rm -rf "$STATE"
mkdir -p "$STATE/tmp"
if [ "$MODE" = test ]; then
  trap 'stop_dir "$STATE"' EXIT
fi

if [ -z "$PORT" ]; then
  PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
ENDPOINT="http://127.0.0.1:$PORT"
if "$VENV/bin/python" -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$PORT"; then
  echo "127.0.0.1:$PORT is in use (a MiniStack already running? make aws-local-stop, or AWS_LOCAL_PORT=...)" >&2
  exit 1
fi

# MiniStack passes its own environment on to the functions it runs as local
# processes (AWS does not: see infra/README.md). That is how the functions
# find the emulator (AWS_ENDPOINT_URL) and, in the test deployments, the
# recording fake for SMS, SES v2 and Step Functions (AWS_ENDPOINT_URL_<ID>),
# without a change to the template or the code.
ms_env=(BIND_HOST=127.0.0.1 GATEWAY_PORT="$PORT" AWS_ENDPOINT_URL="$ENDPOINT"
  MINISTACK_REGION=us-east-1 IOT_MTLS_ENABLED=0 SFTP_ENABLED=0 TMPDIR="$STATE/tmp")
if [ "$MODE" = test ]; then
  (cd "$ROOT" && go build -o "$STATE/recorder" ./infra/awslocal/recorder)
  setsid "$STATE/recorder" -addr 127.0.0.1:0 -forward "$ENDPOINT" -url-file "$STATE/recorder.url" \
    >"$STATE/recorder.log" 2>&1 < /dev/null &
  echo $! > "$STATE/recorder.pid"
  for _ in $(seq 100); do [ -s "$STATE/recorder.url" ] && break; sleep 0.1; done
  RECORDER=$(cat "$STATE/recorder.url")
  ms_env+=(AWS_ENDPOINT_URL_SESV2="$RECORDER" AWS_ENDPOINT_URL_SFN="$RECORDER"
    AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2="$RECORDER")
fi
env "${ms_env[@]}" setsid "$VENV/bin/python" -m hypercorn ministack.app:app \
  --bind "127.0.0.1:$PORT" --keep-alive 75 >"$STATE/ministack.log" 2>&1 < /dev/null &
echo $! > "$STATE/ministack.pid"
for i in $(seq 300); do
  curl -fsS "$ENDPOINT/_ministack/ready" >/dev/null 2>&1 && break
  [ "$i" = 300 ] && { echo "MiniStack did not start; see $STATE/ministack.log" >&2; exit 1; }
  sleep 0.1
done
export AWS_ENDPOINT_URL="$ENDPOINT"

SENDER=feedback@example.com
BUCKET=cxloop-awslocal-artifacts
# A verified test sender (SES, and MiniStack's SES, sends only from one),
# and the bucket sam deploy uploads the functions to: one made here rather
# than --resolve-s3, whose managed stack two concurrent deploys would both
# try to create.
"$VENV/bin/python" - "$SENDER" "$BUCKET" <<'PY'
import sys, boto3
boto3.client("sesv2").create_email_identity(EmailIdentity=sys.argv[1])
boto3.client("s3").create_bucket(Bucket=sys.argv[2])
PY

# Built for this machine's architecture: MiniStack runs the bootstrap
# binaries as local processes, whatever the template's Architectures says.
case "$(uname -m)" in
  x86_64|amd64) export LAMBDA_GOARCH=amd64 ;;
  *)            export LAMBDA_GOARCH=arm64 ;;
esac
start=$(date +%s)
"$VENV/bin/sam" build >"$STATE/sam-build.log" 2>&1 || { cat "$STATE/sam-build.log" >&2; exit 1; }
echo "sam build: $(( $(date +%s) - start )) s"

API_KEY="${CXLOOP_API_KEY:-$(openssl rand -hex 24)}"
echo "$API_KEY" > "$STATE/api.key"

# deploy STACK [Key=Value ...]: the template's defaults plus the required
# parameters and the given ones.
deploy() {
  local stack=$1; shift
  local t0; t0=$(date +%s)
  "$VENV/bin/sam" deploy --stack-name "$stack" --region us-east-1 --no-resolve-s3 --s3-bucket "$BUCKET" --s3-prefix "$stack" \
    --capabilities CAPABILITY_IAM --no-confirm-changeset --no-fail-on-empty-changeset \
    --parameter-overrides "SenderEmail=\"cxloop local <$SENDER>\"" "SesIdentity=$SENDER" \
      "ApiKey=$API_KEY" "SigningKey=$(openssl rand -hex 32)" "$@" \
    >"$STATE/deploy-$stack.log" 2>&1 || { cat "$STATE/deploy-$stack.log" >&2; return 1; }
  # MiniStack's CloudFormation passes the Number parameter behind the send
  # queue's ScalingConfig.MaximumConcurrency on as the string CloudFormation
  # parameters are, where AWS converts it; its SQS poller then fails on
  # every poll and no survey is sent from the queue (the sweeper sends them
  # minutes later). Here the mapping gets the same value as a number.
  "$VENV/bin/python" - "$stack" <<'PY'
import sys, boto3
res = boto3.client("cloudformation").describe_stack_resource(StackName=sys.argv[1], LogicalResourceId="SendSurveyFunctionSend")
uuid = res["StackResourceDetail"]["PhysicalResourceId"]
lam = boto3.client("lambda")
esm = lam.get_event_source_mapping(UUID=uuid)
n = int((esm.get("ScalingConfig") or {}).get("MaximumConcurrency") or 2)
lam.update_event_source_mapping(UUID=uuid, ScalingConfig={"MaximumConcurrency": n})
PY
  # MiniStack's EventBridge Scheduler sends the schedule's Input as it is,
  # without filling in the context attributes (<aws.scheduler.scheduled-time>
  # and the others) as EventBridge Scheduler does, and the sweeper cannot
  # read "<aws.scheduler.scheduled-time>" as a time. Here the deployed
  # schedule gets the same Input with those values filled in once; the
  # schedule itself still fires the sweeper. (infra/README.md, MiniStack.)
  "$VENV/bin/python" - "$stack-sweep" <<'PY'
import json, sys, time, boto3
sch = boto3.client("scheduler")
s = sch.get_schedule(Name=sys.argv[1])
target = s["Target"]
target["Input"] = (target["Input"]
    .replace("<aws.scheduler.execution-id>", "ministack-" + sys.argv[1])
    .replace("<aws.scheduler.scheduled-time>", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    .replace("<aws.scheduler.schedule-arn>", s["Arn"]))
json.loads(target["Input"])
keep = {k: s[k] for k in ("GroupName", "ScheduleExpression", "FlexibleTimeWindow", "State", "Description") if k in s}
sch.update_schedule(Name=s["Name"], Target=target, **keep)
PY
  {
    echo "STACK=$stack"
    "$VENV/bin/sam" list stack-outputs --stack-name "$stack" --region us-east-1 --output json |
      "$VENV/bin/python" -c 'import json,sys; [print("%s=%s" % (o["OutputKey"], o["OutputValue"])) for o in json.load(sys.stdin)]'
  } > "$STATE/$stack.env"
  echo "deployed $stack: $(( $(date +%s) - t0 )) s"
}

if [ "$MODE" = up ]; then
  deploy cxloop-local
  api=$(sed -n 's/^ApiUrl=//p' "$STATE/cxloop-local.env")
  cat <<EOF

cxloop runs on MiniStack at $ENDPOINT (stack cxloop-local)
  API:        $api
  dashboard:  $api/dashboard   (sign in with the API key)
  API key:    $API_KEY   (also in $STATE/api.key)
  sent email: $ENDPOINT/_ministack/ses/messages
  log:        $STATE/ministack.log
  stop:       make aws-local-stop
EOF
  exit 0
fi

# The test deployments: small timings so the suite sees the SLA pass, the
# escalations, the reminder, the expiry and the sweeper within minutes. The
# email-only one keeps every other default (SMS off); the SMS one sets an
# origination identity, whose texts go to the recording fake.
FAST=(SlaHours=0.01 EscalateEveryHours=0.01 RemindAfterHours=0.01 ExpireAfterDays=0.0015 SweepRateMinutes=1)
deploy cxloop-email "${FAST[@]}" &
email=$!
deploy cxloop-sms "${FAST[@]}" SmsOriginationIdentity=+15550100000 SmsConfigurationSet=cxloop-sms &
sms=$!
wait "$email"; wait "$sms"

t0=$(date +%s)
status=0
CXLOOP_AWSLOCAL_DIR="$STATE" CXLOOP_AWSLOCAL_ENDPOINT="$ENDPOINT" CXLOOP_AWSLOCAL_RECORDER="$RECORDER" \
  CXLOOP_API_KEY="$API_KEY" AWS_ENDPOINT_URL="$ENDPOINT" \
  go test -count=1 -tags awslocal -parallel 32 -timeout 9m -v ./infra/awslocal/ || status=$?
echo "suite: $(( $(date +%s) - t0 )) s"
if [ "$status" != 0 ]; then
  echo "--- MiniStack log (last 80 lines of $STATE/ministack.log)"; tail -n 80 "$STATE/ministack.log"
fi
exit "$status"
