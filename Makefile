# portico -- build, test, run, bench, sanitizer builds.
VERSION := 0.1.0
CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  ?=
CFLAGS  := $(OPT) $(SAN) $(CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -Isrc -DPORTICO_VERSION='"$(VERSION)"' -MMD -MP
YAML_CFLAGS := $(shell pkg-config --cflags yaml-0.1 2>/dev/null)
YAML_LIBS   := $(shell pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
LDLIBS  += $(YAML_LIBS) -lssl -lcrypto -lz
LDFLAGS += $(SAN)

BUILD   ?= build
LIB_SRC := $(sort $(wildcard src/lib/*.c src/core/*.c src/http/*.c src/config/*.c src/server/*.c src/upstream/*.c src/handlers/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/main.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN     ?= portico
# make Q= shows the full commands
Q       ?= @

.PHONY: all run test unit integration asan asan-test bench bench-workers bench-cgi bench-proxy bench-tls bench-gzip deps clean \
        valgrind fuzz check-layers
all: $(BIN)

$(BIN): $(LIB_OBJ) $(MAIN_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(YAML_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $(filter %.c %.o,$^) $(LDLIBS) $(CMOCKA_LIBS)

# Installs missing packages (as root) or says what to run: deps for
# everything make test needs, deps-run for building and running only (the
# CGI demos' python3 and php-cgi get a note when missing, not a stop).
deps:
	@scripts/deps.sh

deps-run:
	@scripts/deps.sh --run

# The ports make run and make demo serve on: the configurations' 8080 (plain
# HTTP) and 8443 (HTTPS), or others (make run PORT=8081 HTTPS_PORT=8444;
# scripts/serve.sh then renders the configuration into build/ with them).
# Not taken from the environment. The certificate for HTTPS is made on the
# first run, in build/tls/ (scripts/tls-cert.sh): trust build/tls/ca.pem.
PORT = 8080
HTTPS_PORT = 8443

# The build comes after deps-run, even with -j: it needs libyaml's headers.
run: deps-run
	@$(MAKE) -s --no-print-directory $(BIN)
	@PORTICO=./$(BIN) scripts/serve.sh run configs/default.yaml $(PORT) $(HTTPS_PORT)

# The multi-site demo of docker/compose.yaml, without Docker: localhost,
# blog.localhost, api.localhost and app.localhost on https://...:8443, port
# 8080 redirecting there (see configs/demo.yaml), the app's two processes
# beside it.
.PHONY: demo reload deps-run precompress
demo: deps-run
	@$(MAKE) -s --no-print-directory $(BIN) precompress
	@PORTICO=./$(BIN) scripts/serve.sh demo configs/demo.yaml $(PORT) $(HTTPS_PORT)

# The blog's stylesheets precompressed, for compress.precompressed in
# configs/demo.yaml: FILE.css.gz (gzip -9) and FILE.css.br (brotli, when
# installed: apt-get install brotli), made from the sources whenever these
# change and never committed (.gitignore). portico serves them only while
# they are not older than their stylesheet.
BLOG_CSS := $(wildcard sites/blog/css/*.css)
BROTLI := $(shell command -v brotli 2>/dev/null)
precompress: $(BLOG_CSS:%=%.gz) $(if $(BROTLI),$(BLOG_CSS:%=%.br))
	@[ -n "$(BROTLI)" ] || echo "precompress: no brotli command: only the .gz files (apt-get install brotli)"

sites/blog/css/%.css.gz: sites/blog/css/%.css
	@echo "  GZIP    $@"
	$(Q)gzip -9 -n -c $< >$@.tmp && mv $@.tmp $@

sites/blog/css/%.css.br: sites/blog/css/%.css
	@echo "  BROTLI  $@"
	$(Q)$(BROTLI) -q 11 -c $< >$@.tmp && mv $@.tmp $@

# SIGHUP to the portico that make run or make demo started (its pid_file in
# build/), after checking the configuration.
reload:
	@PORTICO=./$(BIN) scripts/serve.sh reload build

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $(RUNNER) ./$$t || fail=1; done; exit $$fail

integration: $(BIN)
	PORTICO_BIN=./$(BIN) integration/run.sh

test: deps
	$(MAKE) check-layers
	tests/scripts/test_bench_report.sh
	$(MAKE) unit
	$(MAKE) integration
	@if [ -x /usr/bin/chromium ] && command -v node >/dev/null && command -v certutil >/dev/null; then $(MAKE) e2e; \
	else echo "e2e: skipped, it needs /usr/bin/chromium, node and certutil (apt-get install chromium nodejs npm libnss3-tools)"; fi

# Browser tests (e2e/): playwright-core driving Debian's /usr/bin/chromium
# through the four demo sites over HTTPS, on a private copy of
# configs/demo.yaml and sites/ on free ports (its own certificate and CA,
# which chromium is made to trust with certutil; the app's two processes on
# two more ports); a screenshot of each failing test in build/e2e/.
.PHONY: e2e
e2e: $(BIN) e2e/node_modules/.package-lock.json
	PORTICO_BIN=./$(BIN) node --test-reporter=spec e2e/run.mjs

e2e/node_modules/.package-lock.json: e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund
	@touch $@

# The compose demo under podman, end to end (scripts/container-demo.sh, as
# root): base image, build, podman-compose up on a free port, the four
# sites (the app's two processes in the portico container), CGI and PHP,
# the volumes, a SIGHUP reload, a config of mode 0600, down. Exit 77:
# podman cannot start on this machine.
.PHONY: test-container
test-container:
	scripts/container-demo.sh

# The layering of the design's ARCHITECTURE.md ("Boundaries") and the file and
# function sizes of STYLE.md, after the test of the two checkers themselves.
check-layers:
	tests/scripts/test_check_layers.sh
	scripts/check-layers
	scripts/check-sizes

# The whole suite again with AddressSanitizer and UBSan.
ASAN_VARS := BUILD=build/asan BIN=portico-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
asan:
	$(MAKE) $(ASAN_VARS) portico-asan

asan-test: deps
	$(MAKE) $(ASAN_VARS) unit integration

valgrind: $(BIN) $(UNIT_BIN)
	@for t in $(UNIT_BIN); do valgrind -q --error-exitcode=1 --leak-check=full ./$$t >/dev/null || exit 1; done
	PORTICO_WRAP="valgrind -q --error-exitcode=99 --leak-check=full" PORTICO_BIN=./$(BIN) integration/run.sh

# Every benchmark case in one run (bench/run.sh): portico against nginx,
# h2o, lighttpd, HAProxy and Caddy wherever they do the same job, and
# against floor (bench/floor.c, the least a server can do): static files,
# 404, Connection: close, idle connections, PUT, CGI, the reverse proxy,
# TLS, gzip, two workers; interleaved rounds, medians, portico/best peer
# and calibration ratios. The report goes to stdout, build/bench/report.md
# and build/bench/report.html (a chart of CPU us per request). About 30
# minutes; ONLY=1k,404,proxy (cases or groups) for some, BENCH_QUICK=1 for
# a short trial. Others may benchmark on this machine too:
#   flock /tmp/portico-bench.lock make bench
BENCH_TOOLS := $(BUILD)/bench-floor $(BUILD)/bench-client
bench: $(BIN) $(BENCH_TOOLS)
	bench/run.sh

# The groups alone (make bench ONLY=...).
bench-workers bench-cgi bench-proxy bench-tls bench-gzip: $(BIN) $(BENCH_TOOLS)
	ONLY=$(@:bench-%=%) bench/run.sh

$(BUILD)/bench-floor: bench/floor.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $@ $<

$(BUILD)/bench-client: bench/tls_client.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(OPT) -std=c11 -Wall -Wextra -Werror -o $@ $< -lssl -lcrypto

# Slow clients and exhausted descriptors for a few minutes (not in make
# test): slowhttptest slowloris/slow body/slow read, 10,000 keep-alive
# connections, fd exhaustion, 2000 stalled uploads; SOAK_SECONDS per run.
.PHONY: soak
soak: $(BIN)
	@scripts/deps.sh slowhttptest
	scripts/soak.sh

# libFuzzer harnesses (needs clang); FUZZ_SECONDS per harness.
fuzz:
	fuzz/run.sh

clean:
	rm -rf build portico portico-asan

-include $(shell find build -name '*.d' 2>/dev/null)
