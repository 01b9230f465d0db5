# Thin wrapper over CMake. The two commands a newcomer needs:
#   make run    install what is missing, build, create the dev PKI, run the hub
#   make test   install what is missing, build, run every test
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DEV_PKI := var/dev-pki
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test check-fresh bench bench-peers bench-growth package soak sanitize fuzz fuzz-smoke format clean

all: build

deps:
	@deploy/install-build-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); fi

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The dev PKI, made anew when it lacks the care coordinator's certificates
# (a PKI from before the second receiver).
$(DEV_PKI)/ca.pem $(DEV_PKI)/people/zorgcoordinator-1.pem:
	certs/gen-dev-pki.sh $(DEV_PKI)

# The hub and the console; Ctrl-C stops both.
run: build $(DEV_PKI)/people/zorgcoordinator-1.pem
	exec deploy/run-dev.sh $(BUILD_DIR)

# The whole suite, then every fuzz target for a short while.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz-smoke

# The README's two commands on a fresh Debian 12 root (debootstrap, kept in
# var/fresh-root). Not part of make test; run it when the dependencies or the
# set-up change. Needs root.
check-fresh:
	deploy/check-fresh.sh

bench: build $(DEV_PKI)/ca.pem
	bench/run-submit-bench.sh $(BUILD_DIR)
	bench/run-stream-bench.sh $(BUILD_DIR)
	bench/run-audit-bench.sh $(BUILD_DIR)
	bench/run-report-bench.sh $(BUILD_DIR)

bench-peers: build $(DEV_PKI)/ca.pem
	bench/compare-peers.sh $(BUILD_DIR)

bench-growth: build $(DEV_PKI)/ca.pem
	bench/run-growth-bench.sh $(BUILD_DIR)

# The Debian packages (build/ketenhub_VERSION_amd64.deb, the hub, and
# build/ketenhub-client_VERSION_amd64.deb, ketenctl and the partner
# library); see the operator guide.
package: build
	cd $(BUILD_DIR) && cpack -G DEB

# Long crash test: 100 SIGKILLs of the hub under load (make test runs 10).
soak: build
	cd $(BUILD_DIR) && KETENHUB_CRASH_CYCLES=100 ./tests/e2e_crash_test

# The whole suite under AddressSanitizer and UBSan, in its own build folder
# (not part of make test: it doubles the build time). The stalled-subscriber
# test measures the hub's memory, which ASan's allocator makes meaningless.
sanitize: deps
	@if [ ! -f build-sanitize/build.ninja ]; then \
	  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DKETENHUB_SANITIZE=ON; fi
	@cmake --build build-sanitize -j $(JOBS)
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L 'unit|e2e' -E StalledSubscriber

# libFuzzer targets under ASan and UBSan (clang, in build-fuzz): a short run
# of each (part of make test), and a long one (FUZZ_SECONDS per target).
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_SECONDS ?= 1800
fuzz-smoke: deps
	tests/fuzz/run-fuzzers.sh $(FUZZ_SMOKE_SECONDS)

fuzz: deps
	tests/fuzz/run-fuzzers.sh $(FUZZ_SECONDS)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
