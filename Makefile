# Vigil build entry points. `make test` and `make demo` work on a fresh machine: they install what is
# missing (Debian packages via apt-get), build with warnings as errors, and run.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
APT_PACKAGES := protobuf-c-compiler libprotobuf-c-dev protobuf-compiler libsqlite3-dev libssl-dev libfaketime \
	postgresql-15 curl chromium chromium-driver systemd libcurl4-openssl-dev binutils pkg-config
PG_BIN := /usr/lib/postgresql/15/bin
INTEROP_PEER := Tests/Interop/build/vigil-interop-peer
BENCH_SCRATCH := .build-bench
PACKAGE_SCRATCH := .build-package
PROTO_SCRATCH := .build-proto
FUZZ_SCRATCH := .build-fuzz
FUZZ_TARGETS := frame hub-session json-ingest config
# Seconds of fuzzing per target: a smoke run by default, at least 10 minutes per target in make soak.
FUZZ_SECONDS ?= 60
SOAK_RESULTS := .build/reliability/soak-results.jsonl

.PHONY: help deps build test pg-cleanup interop-peer c-client powercut package bench proto format format-check demo soak soak-scenarios soak-fuzz soak-report fuzz clean

help:
	@echo "make demo    build, start a hub and agents with dev certificates, feed events, print status"
	@echo "make test    install what is missing, build, run every test"
	@echo "make package  Debian packages of the agent, the hub with vigilctl, and libvigil-dev in $(PACKAGE_SCRATCH)/debs"
	@echo "make bench   print codec, agent and end-to-end figures (release build)"
	@echo "make proto   regenerate Protocol/Generated/vigil.pb.swift from Protocol/vigil.proto"
	@echo "make format  apply swift-format;  make format-check  fail on a formatting diff"
	@echo "make soak    the full fault matrix, fuzzing and a 30-minute soak; writes Tests/Reliability/RESULTS.md"
	@echo "make fuzz    libFuzzer on every decoder (FUZZ_SECONDS each, default 60); crashes land in .build-fuzz/crashes"

# Installs the Debian packages the build and tests need, only when one is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build --build-tests

interop-peer: deps
	$(MAKE) -C Tests/Interop

# libvigil and its test program (Agent/Clients/C), which CClientTests runs against the built agent.
c-client: deps
	$(MAKE) -C Agent/Clients/C

# Debian packages (deploy/package.sh) from release builds with the Swift runtime linked in, so a host needs
# no Swift toolchain; libcurl4-openssl-dev is for linking FoundationNetworking statically. PackageTests checks
# them in make test.
package: deps c-client
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(PACKAGE_SCRATCH) --product vigil-agent
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(PACKAGE_SCRATCH) --product vigil-hub
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(PACKAGE_SCRATCH) --product vigilctl
	rm -rf $(PACKAGE_SCRATCH)/debs
	bash deploy/package.sh $(PACKAGE_SCRATCH)/release $(PACKAGE_SCRATCH)/debs

# The LD_PRELOAD power-loss injector, its replay tool and self-test (Tests/Reliability/PowerCut), used by
# PowerCutInterposerTests and the PowerLoss scenario.
powercut:
	$(MAKE) -C Tests/Reliability/PowerCut

# Tests run one at a time (--no-parallel): on 2 cores, tests that block a thread of the 2-thread cooperative
# pool (real sampling intervals) or burn CPU (100 A/A runs) starved the others' socket reads and URLSession
# callbacks for 20 s and more. The reliability scenarios follow in a process of their own.
# The PostgreSQL suites start a throwaway server of their own (Tests/Support/PostgresServer.swift) and stop it
# when the test process exits; pg-cleanup stops any a killed test process left behind.
test: build interop-peer c-client powercut package format-check
	$(SWIFT) test --skip-build --no-parallel --skip ReliabilityTests 2>&1 | tee .build/test-output.txt \
		| grep -vE '^(◇|↳) '; status=$${PIPESTATUS[0]}; $(MAKE) -s pg-cleanup; exit $$status
	$(SWIFT) test --skip-build --filter ReliabilityTests 2>&1 | tee .build/test-output-reliability.txt \
		| grep -vE '^(◇|↳) '; status=$${PIPESTATUS[0]}; $(MAKE) -s pg-cleanup; exit $$status

pg-cleanup:
	@for dir in /tmp/vigil-pg-*; do \
		[ -d "$$dir/data" ] || continue; pid=$$(basename $$dir | cut -d- -f3); \
		if ! kill -0 $$pid 2>/dev/null; then \
			runuser -u postgres -- $(PG_BIN)/pg_ctl -D $$dir/data -m immediate -w stop >/dev/null 2>&1 || \
				$(PG_BIN)/pg_ctl -D $$dir/data -m immediate -w stop >/dev/null 2>&1; \
			rm -rf $$dir; \
		fi; \
	done

bench: deps c-client
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product vigil-bench
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product vigil-agent
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product vigil-hub
	$(BENCH_SCRATCH)/release/vigil-bench

# Builds protoc-gen-swift from the swift-protobuf dependency (minutes: done here, never in CI), then
# regenerates the Swift code and the stamp that GeneratedCodeTests checks.
proto: deps
	$(SWIFT) build -c release --scratch-path $(PROTO_SCRATCH) --product protoc-gen-swift
	protoc --plugin=protoc-gen-swift=$(PROTO_SCRATCH)/release/protoc-gen-swift \
		--swift_opt=Visibility=Public --swift_out=Protocol/Generated -I Protocol Protocol/vigil.proto
	cd Protocol && sha256sum vigil.proto > Generated/vigil.proto.sha256

SWIFT_SOURCES = Package.swift Protocol Agent Hub Tests

format:
	$(SWIFT) format format --in-place --recursive --parallel $(SWIFT_SOURCES)

format-check:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_SOURCES)

# A hub and three agents on dev certificates in a temp directory, a minute of traffic, then status.
demo: deps
	$(SWIFT) build --product vigil-hub
	$(SWIFT) build --product vigil-agent
	$(SWIFT) build --product vigilctl
	bash deploy/demo.sh .build/debug

# libFuzzer + AddressSanitizer build of the fuzz driver in its own scratch path (the normal build keeps
# vigil-fuzz as a plain replayer). New corpus entries go to .build-fuzz/corpus; crash inputs to
# .build-fuzz/crashes — copy each into Tests/Fuzz/Regressions/TARGET once fixed, so make test replays it.
fuzz: deps
	$(SWIFT) build --scratch-path $(FUZZ_SCRATCH) --product vigil-fuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DVIGIL_FUZZ
	bash Tests/Fuzz/run-fuzz.sh $(FUZZ_SCRATCH) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The full matrix (VIGIL_SOAK=1: 20+ faults per scenario, the 10-minute outage, the 30-minute soak), 10
# minutes of fuzzing per target, then Tests/Reliability/RESULTS.md from the recorded figures. The parts
# run alone too: soak-scenarios, soak-fuzz, and soak-report to write the report from what they recorded.
soak: build
	$(MAKE) soak-scenarios
	-$(MAKE) soak-fuzz
	$(MAKE) soak-report

soak-scenarios: build powercut
	rm -f $(SOAK_RESULTS)
	mkdir -p $(dir $(SOAK_RESULTS)) && git describe --always --dirty > $(dir $(SOAK_RESULTS))soak-commit
	VIGIL_SOAK=1 VIGIL_RELIABILITY_RESULTS=$$PWD/$(SOAK_RESULTS) $(SWIFT) test --skip-build --filter ReliabilityTests \
		2>&1 | tee .build/soak-output.txt | grep -vE '^(◇|↳) '; echo "scenarios exit $${PIPESTATUS[0]}" >> .build/soak-output.txt

soak-fuzz:
	rm -f $(FUZZ_SCRATCH)/fuzz-results.jsonl
	mkdir -p $(FUZZ_SCRATCH) && git describe --always --dirty > $(FUZZ_SCRATCH)/fuzz-commit
	$(MAKE) fuzz FUZZ_SECONDS=600

soak-report:
	python3 Tests/Reliability/make-report.py $(SOAK_RESULTS) $(FUZZ_SCRATCH)/fuzz-results.jsonl \
		.build/soak-output.txt > Tests/Reliability/RESULTS.md
	@echo "wrote Tests/Reliability/RESULTS.md"

clean:
	rm -rf .build $(BENCH_SCRATCH) $(FUZZ_SCRATCH) Tests/Interop/build Tests/Reliability/PowerCut/build
