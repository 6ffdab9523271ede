# Build, test and run the local demo stack. Targets that start servers or
# install packages expect root on Debian, as on the CI machines.

GO           ?= go
STACK        := $(GO) run ./deploy/local/stack
# The Kinesis emulator is an npm package installed into this folder, never
# globally: its package.json goes here and node_modules stays untracked.
KINESIS_DIR  := deploy/local/kinesis

.PHONY: all deps deps-mariadb deps-chromium deps-kinesis deps-bench up down clean build test test-deploy test-race bench bench-backfill bench-observability bench-resync bench-replay bench-verify demo loadgen

all: build

# deps installs the servers the tests and the local stack need;
# deps-chromium the headless browser the status page test drives.
deps: deps-mariadb deps-kinesis

# tzdata gives the servers named time zones (a verify test loads one).
deps-mariadb:
	@if [ ! -x /usr/sbin/mariadbd ] || [ ! -f /usr/share/zoneinfo/Europe/Paris ]; then \
		echo "installing mariadb-server and tzdata"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server tzdata; \
	fi

deps-chromium:
	@if ! command -v chromium >/dev/null; then \
		echo "installing chromium"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

deps-kinesis:
	@if [ -f $(KINESIS_DIR)/package.json ] && [ ! -d $(KINESIS_DIR)/node_modules ]; then \
		echo "installing the Kinesis emulator"; \
		npm install --prefix $(KINESIS_DIR) --no-audit --no-fund; \
	fi

# deps-bench installs strace, which the checkpoint benchmark counts fsyncs with.
deps-bench:
	@if ! command -v strace >/dev/null; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y strace; \
	fi

# up starts the four local MariaDB servers and the Kinesis emulator (or
# keeps them running), creates the demo stream and writes .local/stack.env.
up: deps
	$(STACK) up

# down stops the servers and the emulator by the pids in .local/stack.env.
down:
	$(STACK) down

# clean stops the servers and removes their data and the binaries.
clean: down
	rm -rf .local bin

build:
	$(GO) build -o bin/tributary ./cmd/tributary

# The deployment files' checks that need compose, Kubernetes or Prometheus libraries
# live in modules of their own, outside the product's go.mod.
DEPLOY_MODULES := deploy/compose deploy/kubernetes deploy/monitoring

test: deps deps-chromium
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...
	$(MAKE) test-deploy

test-deploy:
	@set -e; for m in $(DEPLOY_MODULES); do \
		echo "== $$m"; \
		(cd $$m && $(GO) vet ./... && $(GO) test -count=1 ./...); \
	done

# test-race takes about twice as long as test on two cores.
test-race: deps deps-chromium
	$(GO) test -race -count=1 -timeout 50m ./...

# bench runs the end-to-end benchmarks once each (they print ratios against
# a baseline measured in the same run) and the envelope micro-benchmark.
bench: deps deps-bench
	$(GO) test -run '^$$' -bench . -benchtime 1x -count=1 -timeout 30m -v ./internal/bench/
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./internal/envelope/
	$(GO) test -run '^$$' -bench . -count=1 -v ./internal/lookup/
	$(GO) test -run '^$$' -bench . -benchtime 1x -count=1 -timeout 30m -v ./internal/sink/kinesis/

# bench-backfill runs the backfill benchmark alone (make bench runs it
# with the others): a 1,000,000-row copy through tributary against
# mariadb-dump piped into mariadb, peak RSS, and a live writer's rate
# during a backfill against without.
bench-backfill: deps
	$(GO) test -run '^$$' -bench BenchmarkBackfill -benchtime 1x -count=1 -timeout 30m -v ./internal/bench/

# bench-observability drains one backlog with the heartbeat and the HTTP
# endpoints busy against at rest (make bench runs it with the others).
bench-observability: deps
	$(GO) test -run '^$$' -bench BenchmarkObservabilityOverhead -benchtime 1x -count=1 -timeout 30m -v ./internal/bench/

# bench-resync runs the resync benchmark alone: 10,000 scattered keys of
# a 100,000-row table repaired through a running service, its time and
# source queries against a whole-table backfill and one SELECT per key.
bench-resync: deps
	$(GO) test -run '^$$' -bench BenchmarkResync -benchtime 1x -count=1 -timeout 30m -v ./internal/bench/

# bench-replay runs the replay benchmark alone (make bench runs it with
# the others): a window of 125,000 row changes replayed into a MariaDB
# target against the live stream draining the same window.
bench-replay: deps
	$(GO) test -run '^$$' -bench BenchmarkReplay -benchtime 1x -count=1 -timeout 30m -v ./internal/bench/

# bench-verify runs the verify benchmark alone: its fast path and its row
# path against a chunked checksum query in the same run.
bench-verify: deps
	$(GO) test -run '^$$' -bench BenchmarkVerify -benchtime 1x -count=1 -timeout 30m -v ./internal/bench/

demo: deps
	bash deploy/local/demo.sh

# loadgen writes a mixed workload to the running stack's source clusters
# (make up first) at RATE transactions per second (0 is as fast as
# possible) until DURATION has passed or TRANSACTIONS have been written
# (0 is no limit for either).
DURATION     ?= 20s
RATE         ?= 100
TRANSACTIONS ?= 0
loadgen:
	$(STACK) loadgen --duration $(DURATION) --rate $(RATE) --transactions $(TRANSACTIONS)
