# crawler: `make` builds build/crawler; `make check` runs every test;
# `make demo` crawls a generated local site. See README.md.

.DEFAULT_GOAL := all
PREFIX    ?= /usr/local
CC        ?= cc
PKGS      := libcurl libxml-2.0 jansson libpsl libxxhash libidn2 nettle zlib \
             libbrotlidec libzstd libdeflate hiredis
# gnutls: tests make their certificates with it and require client
# certificates in libmicrohttpd's handshake (tests/support/testca.c).
# libbrotlienc: the tests brotli what a test server sends (libzstd, above,
# compresses too).
TEST_PKGS := criterion libmicrohttpd gnutls libbrotlienc
DEBS      := build-essential pkg-config libcurl4-openssl-dev libxml2-dev \
             uthash-dev libcriterion-dev libjansson-dev libxxhash-dev \
             libpsl-dev libidn2-dev zlib1g-dev libmicrohttpd-dev jq groff-base man-db \
             clang libclang-rt-14-dev clang-tidy cppcheck valgrind \
             libmimalloc-dev libgnutls28-dev openssl nginx-light nettle-dev \
             libbrotli-dev libzstd-dev libdeflate-dev redis-server libhiredis-dev

comma     := ,
# The WARC reader the tests use (make deps installs it with npm).
WARCIO    := build/warcio/node_modules/.bin/warcio
# SANITIZER=address,undefined or SANITIZER=thread builds into its own tree.
SANITIZER ?=
ifeq ($(SANITIZER),)
BUILD     := build
SANFLAGS  :=
else
BUILD     := build-$(subst $(comma),-,$(SANITIZER))
SANFLAGS  := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# Only ask pkg-config once the packages are there (make deps installs them).
HAVE_DEPS := $(shell dpkg -s $(DEBS) >/dev/null 2>&1 && echo yes)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wno-missing-field-initializers $(SANFLAGS)
CRAWL_URL ?=
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Itests/support -MMD -MP \
            $(if $(CRAWL_URL),-DCRAWL_URL='"$(CRAWL_URL)"')
PKG_CFLAGS = $(if $(HAVE_DEPS),$(shell pkg-config --cflags $(PKGS) $(TEST_PKGS)))
PKG_LIBS   = $(if $(HAVE_DEPS),$(shell pkg-config --libs $(PKGS)))
TEST_LIBS  = $(if $(HAVE_DEPS),$(shell pkg-config --libs $(TEST_PKGS)))
# The generated site (tests/support/site.c) encodes with these.
SITE_LIBS  = $(if $(HAVE_DEPS),$(shell pkg-config --libs zlib libbrotlienc))
LDFLAGS  += $(SANFLAGS)
LDLIBS   := -lpthread -lm
# mimalloc takes over malloc in the crawler: pages, records and links are
# allocated by one thread and freed by another, which glibc's arenas pay
# for in lock contention (docs/PERFORMANCE.md). Not under a sanitizer,
# which brings its own allocator.
ALLOC_LIBS := $(if $(SANITIZER),,-Wl,--no-as-needed -lmimalloc -Wl,--as-needed)

LIB_SRC   := $(filter-out crawler/main.c,$(wildcard crawler/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ  := $(BUILD)/obj/crawler/main.o
SUP_OBJ   := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/support/*.c))
TEST_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/*_test.c))

.PHONY: all deps warcio check test demo install clean asan tsan tsan-e2e lint bench bench-quick

deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y $$missing || { apt-get update && apt-get install -y $$missing; }; \
	fi
	@$(MAKE) --no-print-directory warcio

# warcio (webrecorder's warcio.js) reads the WARC files back in the tests,
# which say so and go on without it when npm cannot install it.
warcio:
	@test -x $(WARCIO) || { command -v npm >/dev/null && \
		npm install --prefix build/warcio warcio; } || \
		echo "make: npm could not install warcio; WARC read-back by warcio will be skipped"

ifeq ($(HAVE_DEPS)$(filter deps clean,$(MAKECMDGOALS)),)
# Packages are missing: install them, then run the same goal again with
# pkg-config able to answer.
GOAL := $(firstword $(MAKECMDGOALS) all)
$(GOAL):
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(GOAL)
else

all: $(BUILD)/crawler $(BUILD)/sitegen

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libcrawler.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/crawler: $(MAIN_OBJ) $(BUILD)/libcrawler.a
	$(CC) $(LDFLAGS) -o $@ $(ALLOC_LIBS) $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/sitegen: $(BUILD)/obj/tests/sitegen.o $(SUP_OBJ) $(BUILD)/libcrawler.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS) $(LDLIBS)

$(BUILD)/test-crawler: $(TEST_OBJ) $(SUP_OBJ) $(BUILD)/libcrawler.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS) $(LDLIBS)

check: $(BUILD)/crawler $(BUILD)/sitegen $(BUILD)/test-crawler fuzz-replay warcio
	tests/check-source.sh
	groff -man -ww -z man/crawler.1
	@# A leak in a test's process is reported after Criterion has counted
	@# the test as passed, and does not change its exit status: the log
	@# is searched for one. Two frames of context keep the suppression of
	@# Criterion's own leak (tests/lsan.supp) from matching a test body.
	{ ASAN_OPTIONS=malloc_context_size=2 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  CRAWLER_BIN=$(CURDIR)/$(BUILD)/crawler \
		$(BUILD)/test-crawler $(TEST_ARGS) 2>&1; echo $$? >$(BUILD)/test.status; } | \
		tee $(BUILD)/test.log
	@test "$$(cat $(BUILD)/test.status)" = 0
	@! grep -q "ERROR: LeakSanitizer" $(BUILD)/test.log || \
		{ echo "make check: a test leaked (see $(BUILD)/test.log; for whole stacks run" \
		  "it again with ASAN_OPTIONS=fast_unwind_on_malloc=0 and no suppressions)"; exit 1; }
	@# The visited set's and the frontier's conformance suites again, on a
	@# real redis-server.
	@for suite in visited frontier; do \
		{ TEST_BACKEND=redis ASAN_OPTIONS=malloc_context_size=2 \
		  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
			$(BUILD)/test-crawler --filter "$$suite/*" 2>&1; \
		  echo $$? >$(BUILD)/test-redis-$$suite.status; } | \
			tee $(BUILD)/test-redis-$$suite.log; \
		test "$$(cat $(BUILD)/test-redis-$$suite.status)" = 0 || exit 1; \
		! grep -q "ERROR: LeakSanitizer" $(BUILD)/test-redis-$$suite.log || \
			{ echo "make check: a test leaked (see $(BUILD)/test-redis-$$suite.log)"; \
			  exit 1; }; \
	done
	E2E_VALGRIND=$(if $(SANITIZER),,1) tests/e2e.sh $(BUILD)/crawler $(BUILD)/sitegen

test: check

# Benchmarks beside wget2 (tests/bench/bench.sh; results in docs/PERFORMANCE.md):
# nginx serves written sites, sitegen the million-page one; parsebench times
# the parse alone, idealcrawl the best time the slow hosts allow.
BENCH_DEBS := wget2 wget gzip wrk nginx-light libnginx-mod-http-echo time

$(BUILD)/parsebench: $(BUILD)/obj/tests/bench/parsebench.o $(BUILD)/libcrawler.a
	$(CC) $(LDFLAGS) -o $@ $(ALLOC_LIBS) $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/idealcrawl: $(BUILD)/obj/tests/bench/idealcrawl.o $(BUILD)/obj/tests/support/site.o
	$(CC) $(LDFLAGS) -o $@ $^ $(SITE_LIBS) $(LDLIBS)

bench bench-quick: $(BUILD)/crawler $(BUILD)/sitegen $(BUILD)/parsebench $(BUILD)/idealcrawl
	@missing=""; for p in $(BENCH_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make $@: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y $$missing || { apt-get update && apt-get install -y $$missing; }; \
	fi
	tests/bench/bench.sh $^ $(if $(filter bench-quick,$@),quick,full)

# Static checks: cppcheck, and clang-tidy with the committed .clang-tidy.
# Library headers go in as -isystem so only our code is judged.
LINT_FLAGS = -std=c11 -D_GNU_SOURCE -Iinclude \
             $(patsubst -I%,-isystem %,$(shell pkg-config --cflags-only-I $(PKGS)))
lint:
	cppcheck --enable=warning,performance,portability --inline-suppr \
		--error-exitcode=1 --quiet -D_GNU_SOURCE -Iinclude \
		--suppress=missingIncludeSystem crawler/
	clang-tidy --quiet crawler/*.c -- $(LINT_FLAGS)

asan:
	$(MAKE) SANITIZER=address,undefined CC=clang check

# Criterion's sandbox (boxfort) cannot start under ThreadSanitizer, so the
# TSan run drives the instrumented binary through the end-to-end crawls.
tsan:
	$(MAKE) SANITIZER=thread CC=clang tsan-e2e

tsan-e2e: $(BUILD)/crawler $(BUILD)/sitegen
	TSAN_OPTIONS=halt_on_error=1 tests/e2e.sh $(BUILD)/crawler $(BUILD)/sitegen

demo: $(BUILD)/crawler $(BUILD)/sitegen
	tests/demo.sh $(BUILD)/crawler $(BUILD)/sitegen

install: $(BUILD)/crawler
	install -D -m 755 $(BUILD)/crawler $(DESTDIR)$(PREFIX)/bin/crawler
	install -D -m 644 man/crawler.1 $(DESTDIR)$(PREFIX)/share/man/man1/crawler.1

clean:
	rm -rf build build-* demo.jsonl demo-stats.json

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- Fuzzing (tests/fuzz/) ------------------------------------------------
# fuzz-replay: each fuzz target, built with $(CC) like the tests (ASan too
# under SANITIZER=), over its corpus and the crashes kept in regressions/.
# fuzz: libFuzzer + ASan + UBSan builds in build-fuzz/, FUZZ_SECONDS each on
# a copy of the corpus; crash inputs land in build-fuzz/; fails on a crash.
FUZZ_TARGETS := url parse css robots options record sitemap decode
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_FLAGS   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay-%)
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)

.PHONY: fuzz fuzz-build fuzz-replay

$(FUZZ_REPLAY): $(BUILD)/fuzz-replay-%: $(BUILD)/obj/tests/fuzz/%_fuzz.o \
		$(BUILD)/obj/tests/fuzz/replay.o $(BUILD)/libcrawler.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

fuzz-replay: $(FUZZ_REPLAY)
	@status=0; for t in $(FUZZ_TARGETS); do \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		$(BUILD)/fuzz-replay-$$t tests/fuzz/corpus/$$t \
			$$(test -d tests/fuzz/regressions/$$t && \
			   echo tests/fuzz/regressions/$$t) || status=1; \
	done; exit $$status

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(FUZZ_FLAGS) -c -o $@ $<

$(FUZZ_BIN): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%_fuzz.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
# ---- end of fuzzing ---------------------------------------------------------
endif
