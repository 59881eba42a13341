# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 machine.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)

.PHONY: all build demo test test-unit test-integration test-asan bench install package clean bootstrap contract \
	fuzz mutate test-tsan test-valgrind test-faults test-alloc

all: build

bootstrap:
	@bash scripts/bootstrap

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

demo: bootstrap build
	@bash scripts/demo

# make test runs ThreadSanitizer over one test of each threaded path (the
# concurrent sync engine and its writer, kill -9 resume, the Mailchimp pool,
# the daemon's worker, jobs, lease keeper and endpoint, health's probes) and
# every unit test but TSAN_QUICK_SKIP; `make test-tsan` runs the longer list
# (tests/tsan/run), those included.
TSAN_QUICK = ^(unit/[a-z_]+|integration/t_(sync_basic|concurrency|kill9|mc_push|daemon_basic|daemon_overlap|daemon_report|health))$$
# The storage tests that run on one thread in one process: they start no
# thread (SQLite's checkpointer starts only past 4000 WAL pages, which none
# of them writes; test_store_sqlite, which does, stays) and fork nothing
# (strace -f -e clone,clone3,fork,vfork: none), so ThreadSanitizer has no
# second thread to find a race with. Their code is checked by the plain and
# the ASan + UBSan passes; under TSan they took 250 of the pass's 490 test-s.
TSAN_QUICK_SKIP = ^unit/test_store_(aggregates|backends|backfill|cents|dict|orgs|pages|plugins|seed|sqlcore|views|writes)$$

# The plain pass runs what the ASan pass cannot: the server variants (the
# sanitizer builds run on SQLite only) and the tests labelled "plain"
# (valgrind, the packages). The ASan pass, built as the plain build is
# (RelWithDebInfo: -O2 -g) and instrumented, runs every other test on the same
# code with the same assertions, so running them plain as well proved nothing
# more (it took about 190 s of make test's wall time).
PLAIN_PASS = ^(plain|postgresql|mysql)$$

test: bootstrap build
	@cd $(BUILD) && ctest --output-on-failure -j 2 -L '$(PLAIN_PASS)'
	@$(MAKE) --no-print-directory test-asan
	@TSAN_TESTS='$(TSAN_QUICK)' TSAN_SKIP='$(TSAN_QUICK_SKIP)' $(MAKE) --no-print-directory test-tsan
	@bash tests/contract/run
	@bash tests/contract/mailchimp
	@bash tests/contract/schema

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -L unit

test-integration: build
	@cd $(BUILD) && ctest --output-on-failure -L integration

test-asan:
	@cmake -S . -B $(ASAN_BUILD) -DCS_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j 2

# ThreadSanitizer over the threaded paths, in build-tsan/ (tests/tsan/run).
test-tsan:
	@JOBS=$(JOBS) bash tests/tsan/run

# The integration suite with classy-sync under valgrind memcheck (tests/valgrind/run).
test-valgrind: bootstrap build
	@BUILD=$(abspath $(BUILD)) bash tests/valgrind/run

# The fault campaign: faults x syncs, 20 seeded kill -9 (tests/faults/run; FAULT_SEED=N replays).
test-faults: bootstrap build
	@BUILD=$(abspath $(BUILD)) bash tests/faults/run

# Every allocation site of one small full sync failed in turn (tests/alloc/run).
test-alloc: bootstrap build
	@BUILD=$(abspath $(BUILD)) bash tests/alloc/run

# The mutation campaign (tests/mutate/mutations.txt) on a scratch copy in build-mutate/.
mutate: bootstrap
	@bash tests/mutate/run

# libFuzzer targets (clang) in build-fuzz/, FUZZ_SECONDS each (tests/fuzz/run).
FUZZ_SECONDS ?= 60
fuzz: bootstrap
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run

contract: bootstrap build
	@bash tests/contract/run
	@bash tests/contract/mailchimp
	@bash tests/contract/schema

bench: bootstrap build
	@bash bench/run
	@bash bench/ceiling
	@bash bench/mailchimp
	@bash bench/status_page
	@bash bench/report

# The same install rules as `make package` (cmake/package.cmake): the binaries,
# man page, completion, unit, sysusers.d entry, and PREFIX/etc/classy-sync
# (/etc when PREFIX is /usr; an existing configuration is kept).
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian packages build/classy-sync_<version>_<arch>.deb and
# build/classy-sync-sandbox_<version>_<arch>.deb (CPack; Depends from dpkg-shlibdeps).
package: bootstrap build
	@cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
