# vigil: `make run` starts the demo, `make test` runs every test. `make help` lists the rest.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
# Fuzz budgets are execution counts (about 10 s each here), not durations: with a duration, Go 1.26's fuzz
# coordinator can fail a clean run with "context deadline exceeded" as the time runs out (golang/go#75804,
# fixed in Go 1.27).
FUZZ_SEGFILE ?= 150000x
FUZZ_CONFIG  ?= 150000x
FUZZ_STORE   ?= 150000x
STATICCHECK_VERSION := v0.8.2

# The UI is built with Node.js and npm (esbuild, TypeScript, hls.js); the binary embeds web/ui/dist.
UI_SRC := $(wildcard web/ui/src/*) web/ui/build.mjs web/ui/package.json web/ui/tsconfig.json

.PHONY: help build ui run test test-browser check fuzz bench bench-live bench-seek bench-store bench-auth clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ui ## build bin/vigil (with its UI)
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/vigil ./cmd/vigil

ui: web/ui/dist/index.html ## type-check and bundle the web UI into web/ui/dist (embedded by the build)

web/ui/node_modules/.package-lock.json: web/ui/package-lock.json
	cd web/ui && npm ci --no-audit --no-fund --loglevel=error

web/ui/dist/index.html: web/ui/node_modules/.package-lock.json $(UI_SRC)
	cd web/ui && npm run --silent typecheck && npm run --silent build

run: build ## start the demo: simulated cameras recorded into ./demo-data, web server on 127.0.0.1:8080
	./bin/vigil demo

test: check ## every test: formatting, vet, staticcheck, unit and integration tests (race detector on), browser tests, fuzz targets briefly
	$(GO) test -race -count=1 ./...
	$(MAKE) test-browser
	$(MAKE) fuzz

test-browser: build ## the UI in headless Chromium (/usr/bin/chromium, driven by playwright-core) against a demo
	cd web/ui && VIGIL_BIN=$(CURDIR)/bin/vigil npm test

check: ui ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fuzz: ## run each fuzz target for its execution budget on top of its committed corpus
	$(GO) test -run '^$$' -fuzz '^FuzzScan$$' -fuzztime $(FUZZ_SEGFILE) -fuzzminimizetime 200x ./segfile
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZ_CONFIG) -fuzzminimizetime 200x ./config
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeFragments$$' -fuzztime $(FUZZ_STORE) -fuzzminimizetime 200x ./store

bench: build ## the recorder load harness (N = 10 50 100 200 cameras); figures go into BENCHMARKS.md
	bench/run.sh

bench-live: build ## glass-to-browser latency of live view in headless Chromium (4 demo cameras, 30 s each)
	cd web/ui && VIGIL_BIN=$(CURDIR)/bin/vigil node bench/live-latency.mjs 30

bench-seek: ## seek latency over HTTP: playlist, init and first fragment at a random second of 30 days x 200 cameras (builds ~12 GB under the temp folder once)
	$(GO) test -run '^$$' -bench Seek -benchtime 2000x -count 3 -timeout 0 ./web

bench-auth: ## what signing in costs: argon2id per login, and the guard per request (token, session, signed link) against a public route
	$(GO) test -run '^$$' -bench VerifyPassword -benchtime 50x -count 3 ./auth
	$(GO) test -run '^$$' -bench Guard -benchtime 5000x -count 3 ./web

bench-store: ## the store's query benchmark (30 days x 200 cameras of rows)
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./store

clean: ## remove build output (not demo-data)
	rm -rf bin web/ui/dist web/ui/node_modules
