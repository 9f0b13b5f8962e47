# cxloop — common tasks. `make test` is what CI runs (through .ci/run).

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUNCTIONS := $(notdir $(wildcard functions/*))
LDFLAGS   := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
PYTHON    ?= python3
VENV      := infra/tools/.venv
# templ's generator, at the version of the runtime in go.mod.
TEMPL       := github.com/a-h/templ/cmd/templ@v0.3.1100

.PHONY: dev test tools lint unit difftest asl-validate build clean

## dev: run the whole system locally (http://127.0.0.1:8080) with demo data
dev:
	$(GO) run ./cmd/cxloop dev --addr 127.0.0.1:8080 --data .cxloop --demo

## tools: install the pinned test tools: npm (infra/tools/package-lock.json), Python (infra/tools/requirements.txt, into infra/tools/.venv) and Chromium
tools: infra/tools/node_modules/.package-lock.json $(VENV)/.installed chromium

# The Python tools (SAM CLI, cfn-lint, MiniStack with the SAM translator,
# schemathesis) in a venv of their own, rebuilt from the hashed pins only
# when requirements.txt changes; nothing is fetched when they run.
$(VENV)/.installed: infra/tools/requirements.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r infra/tools/requirements.txt
	touch $@

# Debian's Chromium for the browser tests; installed when missing and we may
# (root with apt-get, as on CI and a fresh machine of ours), else explained.
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is not installed: the browser tests will be skipped (apt-get install chromium)"; fi; }

infra/tools/node_modules/.package-lock.json: infra/tools/package.json infra/tools/package-lock.json
	cd infra/tools && npm ci --no-audit --no-fund

## test: everything CI runs
test: tools lint unit asl-validate sam-validate difftest browser fuzz apifuzz

lint: templ-check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## templ: format the .templ components and generate their _templ.go files (commit both)
.PHONY: templ templ-check
templ:
	$(GO) run $(TEMPL) fmt shared
	$(GO) run $(TEMPL) generate -path shared

## templ-check: fail if the .templ files are not formatted or their generated code is stale (on a clean clone, as in CI: if what is committed is)
# It formats and generates, and fails if that changed any file: templ
# generate also writes the _templ.go file of a new .templ file, and
# deletes one whose .templ file is gone.
TEMPL_FILES = find shared -name '*.templ' -o -name '*_templ.go' | LC_ALL=C sort | xargs sha256sum
templ-check:
	@before=$$($(TEMPL_FILES)); $(MAKE) --no-print-directory templ >/dev/null || exit 1; \
	if [ "$$before" != "$$($(TEMPL_FILES))" ]; then \
		echo "templ components were not formatted, or their generated code was stale: make templ has fixed them, commit the result"; \
		git --no-pager status --short -- '*.templ' '*_templ.go'; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...
	CXLOOP_TEST_BACKGROUND=1 $(GO) test -race -count=1 ./shared/local/devserver/

asl-validate: tools
	cd infra/tools && for f in ../statemachine/*.asl.json; do node_modules/.bin/asl-validator --json-path "$$f" || exit 1; done

difftest: tools
	$(GO) test -count=1 -tags difftest -run Diff ./shared/local/asl/

clean:
	rm -rf bin .aws-sam $(VENV)

# ---------------------------------------------------------------------------
# SAM builds (template.yaml: Metadata BuildMethod makefile, CodeUri .).
# `sam build` runs `make build-<LogicalId>` with ARTIFACTS_DIR set; each
# target builds one ./functions/<name> package with the one root go.mod.
# SAM calls the targets by name, so they are explicit, one per function
# (infra/templatecheck holds them to the template).

# The template's Architectures; infra/localstack/deploy.sh builds for the host.
LAMBDA_GOARCH ?= arm64
LAMBDA_GOENV  := GOOS=linux GOARCH=$(LAMBDA_GOARCH) CGO_ENABLED=0
# validator_novalidatefn drops go-playground/validator's `validateFn` rule
# (unused here): its reflective method lookup would keep every exported
# method in the binary and add megabytes.
LAMBDA_TAGS   := lambda.norpc,validator_novalidatefn
LAMBDA_GO_BUILD = $(LAMBDA_GOENV) $(GO) build -tags $(LAMBDA_TAGS) -trimpath -ldflags "$(LDFLAGS)"
LAMBDA_BUILD  = $(LAMBDA_GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap

.PHONY: build-ApiFunction build-SendSurveyFunction build-InboundSmsFunction build-SesEventsFunction \
	build-SweeperFunction build-IngestEventFunction build-AssignOwnerFunction build-NotifyOwnerFunction \
	build-EscalateFunction build-ReassignedFunction build-RecordOutcomeFunction build-NotifyCustomerFunction \
	build-AskRecoveryFunction build-RecordFailureFunction localstack-test

build-ApiFunction:
	$(LAMBDA_BUILD) ./functions/api
build-SendSurveyFunction:
	$(LAMBDA_BUILD) ./functions/send-survey
build-InboundSmsFunction:
	$(LAMBDA_BUILD) ./functions/inbound-sms
build-SesEventsFunction:
	$(LAMBDA_BUILD) ./functions/ses-events
build-SweeperFunction:
	$(LAMBDA_BUILD) ./functions/sweeper
build-IngestEventFunction:
	$(LAMBDA_BUILD) ./functions/ingest-event
build-AssignOwnerFunction:
	$(LAMBDA_BUILD) ./functions/assign-owner
build-NotifyOwnerFunction:
	$(LAMBDA_BUILD) ./functions/notify-owner
build-EscalateFunction:
	$(LAMBDA_BUILD) ./functions/escalate
build-ReassignedFunction:
	$(LAMBDA_BUILD) ./functions/reassigned
build-RecordOutcomeFunction:
	$(LAMBDA_BUILD) ./functions/record-outcome
build-NotifyCustomerFunction:
	$(LAMBDA_BUILD) ./functions/notify-customer
build-AskRecoveryFunction:
	$(LAMBDA_BUILD) ./functions/ask-recovery
build-RecordFailureFunction:
	$(LAMBDA_BUILD) ./functions/record-failure

## sam-validate: AWS's own checks of template.yaml (sam validate --lint runs cfn-lint)
.PHONY: sam-validate sam-build aws-local aws-local-test aws-local-stop
SAM := SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam
sam-validate: $(VENV)/.installed
	$(SAM) validate --lint

## sam-build: sam build (BuildMethod makefile) of every function into .aws-sam/build, checked
sam-build: $(VENV)/.installed
	$(SAM) build
	@missing=0; for fn in $$(sed -n 's/^build-\([A-Za-z0-9]*\):.*/\1/p' Makefile); do \
		test -x .aws-sam/build/$$fn/bootstrap || { echo "sam build made no .aws-sam/build/$$fn/bootstrap"; missing=1; }; \
	done; exit $$missing

## aws-local: the AWS stack on MiniStack at 127.0.0.1:4566 (no account, no Docker); prints the API and dashboard URLs and keeps running
aws-local: $(VENV)/.installed
	infra/awslocal/stack.sh up

## aws-local-test: the end-to-end suite on two fresh MiniStack deployments (email only with the defaults; SMS configured), stopped afterwards
aws-local-test: $(VENV)/.installed
	infra/awslocal/stack.sh test

## aws-local-stop: stop what aws-local started
aws-local-stop:
	infra/awslocal/stack.sh down

## localstack-test: deploy the template to LocalStack and run the integration suite (needs Docker)
localstack-test:
	@if ! docker info >/dev/null 2>&1; then echo "skipping LocalStack: no Docker engine here"; exit 0; fi; \
	docker compose -f infra/localstack/docker-compose.yml up -d --wait && \
	infra/localstack/deploy.sh && infra/localstack/test.sh

## browser: the whole story in headless Chromium, keyboard and 360 px checks, axe audits (artifacts in artifacts/browser)
.PHONY: browser
browser: tools
	CXLOOP_REQUIRE_BROWSER=$${CI:+1} go test -count=1 -tags browser -run Browser ./shared/local/devserver/

## build: cross-compile every function for Lambda (linux/$(LAMBDA_GOARCH), CGO off, lambda.norpc, stripped) into bin/<name>/bootstrap, as the SAM build targets do
build:
	@for fn in $(FUNCTIONS); do \
		echo "bin/$$fn/bootstrap"; \
		$(LAMBDA_GO_BUILD) -o bin/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done
	@wc -c bin/*/bootstrap

## invoke: run a function locally on an events file through the Runtime API harness, like `sam local invoke -e` without Docker: make invoke FN=api EVENT=events/api/get-tasks-open.json
.PHONY: invoke
invoke:
	@if [ -z "$(FN)" ] || [ -z "$(EVENT)" ]; then echo "usage: make invoke FN=<function> EVENT=<events/...json> (see ls events/)"; exit 2; fi
	$(GO) run ./cmd/cxloop invoke --fn $(FN) --event $(EVENT)

## apifuzz: schemathesis (infra/tools/.venv) against infra/openapi.yaml on a running cxloop dev, bounded in examples (about a minute here) and time (6 min at most); report in artifacts/apifuzz/; CXLOOP_APIFUZZ_SEED=n repeats a run, CXLOOP_APIFUZZ_EXAMPLES=500 goes deeper
SCHEMATHESIS ?= $(CURDIR)/infra/tools/.venv/bin/schemathesis
.PHONY: apifuzz
apifuzz: tools
	CXLOOP_REQUIRE_APIFUZZ=$${CI:+1} CXLOOP_SCHEMATHESIS=$(SCHEMATHESIS) $(GO) test -count=1 -tags apifuzz -run '^TestAPIFuzz$$' -timeout 8m -v ./cmd/cxloop/

## fuzz: run each fuzz target for a number of executions, about 10 s each on the CI machine (corpora in each package's testdata/fuzz); FUZZTIME=30s runs each for a duration instead
# Counts, not durations: with a duration, Go 1.26's fuzzing coordinator can
# fail a clean run at the deadline with "context deadline exceeded"
# (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME ?=
.PHONY: fuzz
fuzz:
	$(GO) test -run XXX -fuzz '^FuzzDecodeInteraction$$' -fuzztime $(or $(FUZZTIME),60000x) ./shared/web/httpapi/
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(or $(FUZZTIME),500000x) ./shared/domain/reply/
	$(GO) test -run XXX -fuzz '^FuzzVerify$$' -fuzztime $(or $(FUZZTIME),700000x) ./shared/domain/token/
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(or $(FUZZTIME),200000x) ./shared/local/asl/
