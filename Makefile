# lading — two commands do all the set-up on a fresh machine: `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= config.example.yaml
BIN_DIR = .build/release
# The Swift runtime and Foundation linked in (a larger binary, about 90 MB): a command
# starts in about 5 ms instead of 8-12 ms of dynamic linking, most of a nightly no-op
# rerun's time (README, Performance).
RELEASE_FLAGS = -c release --static-swift-stdlib
APT_PACKAGES_BUILD = libsqlite3-dev zlib1g-dev libssl-dev libpq-dev pkg-config
# postgresql: the server the PostgreSQL tests start privately (and the benchmark compares against).
# systemd: systemd-analyze, which DeployCLITests runs on deploy/systemd's units.
# chromium: the headless browser that renders `history --html` pages in the tests.
APT_PACKAGES_TEST = sqlite3 postgresql systemd chromium

.PHONY: all deps deps-test build run test soak bench clean

all: build

# Installs the system libraries only when they are missing (needs root and apt-get).
deps:
	@missing=""; for p in $(APT_PACKAGES_BUILD); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The sqlite3 CLI: tests inspect warehouses with it and the benchmark compares against it;
# PostgreSQL's server binaries: tests start a private cluster; chromium renders the HTML history.
# (`ok installed`: `dpkg -s` also succeeds for a package removed but not purged.)
deps-test: deps
	@missing=""; for p in $(APT_PACKAGES_TEST); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed$$' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# promtool (Debian's prometheus package) checks the metrics file and deploy/'s rules: MetricsCLITests
	@# says so if it is missing, DeployCLITests fails.
	@command -v promtool >/dev/null 2>&1 || { echo "installing: prometheus (for promtool)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) || \
	  echo "could not install prometheus: DeployCLITests will fail for want of promtool"; }

build: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product lading

run: build
	$(BIN_DIR)/lading run --config $(CONFIG)

test: deps-test
	$(SWIFT) build --build-tests
	@# Stops test PostgreSQL clusters a crashed test process left behind, pass or fail.
	$(SWIFT) test --skip-build; status=$$?; scripts/pg-test-cleanup; exit $$status
	@# Random operator nights through the real binary: a fixed set of seeds (issue 12).
	python3 Tests/nights/random_nights.py --bin .build/debug/lading --fixed

# Longer random nights: SOAK_SECONDS (default one hour) of new seeds from SOAK_SEED, on
# SOAK_BACKEND's warehouse (sqlite, or postgres on a private cluster the harness starts).
SOAK_SECONDS ?= 3600
SOAK_SEED ?= 1000
SOAK_BACKEND ?= sqlite
soak: deps-test
	$(SWIFT) build --product lading
	python3 Tests/nights/random_nights.py --bin .build/debug/lading --backend $(SOAK_BACKEND) --seed-start $(SOAK_SEED) --soak-seconds $(SOAK_SECONDS)

# The PostgreSQL rows start a private cluster (deps-test installs the server);
# `make bench BENCH_FLAGS=--no-postgres` leaves them out.
BENCH_FLAGS ?=
bench: deps-test build
	$(SWIFT) build $(RELEASE_FLAGS) --product lading-bench
	python3 bench/bench.py --bin $(BIN_DIR) $(BENCH_FLAGS)

clean:
	rm -rf .build state warehouse.sqlite warehouse.sqlite-wal warehouse.sqlite-shm warehouse.sqlite-journal

# Coverage-guided fuzzing (issue 19, Fuzz/README.md): every libFuzzer target of Fuzz/
# for FUZZ_SECONDS each, one at a time; fails on a crash, leak, sanitizer report or
# broken property. Long, so neither `make test` nor CI runs it.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= csv jsonl gzip values config lock timestamp
.PHONY: fuzz
fuzz: deps
	Fuzz/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)
