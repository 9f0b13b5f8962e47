# cxloop — common tasks. `make test` is what CI runs (through .ci/run).

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUNCTIONS := $(notdir $(wildcard functions/*))
LDFLAGS   := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: dev test tools lint unit difftest asl-validate build clean

## dev: run the whole system locally (http://127.0.0.1:8080) with demo data
dev:
	$(GO) run ./cmd/cxloop dev --addr 127.0.0.1:8080 --data .cxloop --demo

## tools: install the pinned npm test tools
tools: infra/tools/node_modules/.package-lock.json

infra/tools/node_modules/.package-lock.json: infra/tools/package.json infra/tools/package-lock.json
	cd infra/tools && npm ci --no-audit --no-fund

## test: everything CI runs
test: tools lint unit asl-validate difftest

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

asl-validate: tools
	cd infra/tools && for f in ../statemachine/*.asl.json; do node_modules/.bin/asl-validator --json-path "$$f" || exit 1; done

difftest: tools
	$(GO) test -count=1 -tags difftest -run Diff ./shared/asl/

clean:
	rm -rf bin .aws-sam
