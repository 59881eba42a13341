# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 machine.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)

.PHONY: all build demo test test-unit test-integration test-asan test-tsan bench install clean bootstrap contract

all: build

bootstrap:
	@bash scripts/bootstrap

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

demo: bootstrap build
	@bash scripts/demo

test: bootstrap build
	@cd $(BUILD) && ctest --output-on-failure -j 2
	@$(MAKE) --no-print-directory test-asan
	@bash tests/contract/run
	@bash tests/contract/mailchimp

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -L unit

test-integration: build
	@cd $(BUILD) && ctest --output-on-failure -L integration

test-asan:
	@cmake -S . -B $(ASAN_BUILD) -DCS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j 2

# ThreadSanitizer over the tests that run threads: the HTTP loop, the sync
# (strategy, writer, checkpointer), the daemon's jobs, alerts, Mailchimp.
TSAN_TESTS ?= unit/test_http|unit/test_sync|unit/test_alert|unit/test_mailchimp_pool|t_concurrency|t_sync|t_kill9|t_ties|t_faults|t_daemon_basic|t_daemon_overlap
test-tsan:
	@cmake -S . -B $(TSAN_BUILD) -DCS_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
		ctest --output-on-failure -j 2 -R '$(TSAN_TESTS)'

contract: bootstrap build
	@bash tests/contract/run
	@bash tests/contract/mailchimp

bench: bootstrap build
	@bash bench/run
	@bash bench/ceiling
	@bash bench/mailchimp

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
