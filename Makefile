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
LDLIBS  += $(YAML_LIBS)
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

.PHONY: all run test unit integration asan asan-test bench bench-workers bench-cgi bench-proxy deps clean \
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

# Installs missing packages (as root) or says what to run.
deps:
	@scripts/deps.sh

run: deps $(BIN)
	./$(BIN) -c configs/default.yaml

# The multi-site demo of docker/compose.yaml, without Docker: localhost,
# blog.localhost and api.localhost on port 8080 (see configs/demo.yaml).
.PHONY: demo
demo: $(BIN)
	./$(BIN) -c configs/demo.yaml

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $(RUNNER) ./$$t || fail=1; done; exit $$fail

integration: $(BIN)
	PORTICO_BIN=./$(BIN) integration/run.sh

test: deps
	$(MAKE) check-layers
	$(MAKE) unit
	$(MAKE) integration

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

bench: $(BIN)
	bench/run.sh

# Two workers against nginx's two, wrk -t2 -c200 on a 1 KiB file.
bench-workers: $(BIN)
	bench/workers.sh

# CGI requests per second against lighttpd's mod_cgi.
bench-cgi: $(BIN)
	bench/cgi.sh

# The reverse proxy against nginx, h2o and HAProxy, in front of one upstream
# nginx: 1 KiB and 1 MiB answers, req/s and proxy CPU per request.
bench-proxy: $(BIN)
	bench/proxy.sh

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
