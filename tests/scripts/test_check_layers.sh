#!/usr/bin/env bash
# Tests for scripts/check-layers and scripts/check-sizes: each runs on small
# fixture trees (built in a temporary directory) and must exit with the
# expected status and report exactly the expected file:line places.
set -u

scripts=$(cd "$(dirname "$0")/../../scripts" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# put TREE FILE: write stdin to TREE/FILE.
put() {
    mkdir -p "$(dirname "$tmp/$1/$2")"
    cat > "$tmp/$1/$2"
}

# func NAME LINES: a C function whose body, from `{` to `}`, is LINES long.
# Braces in strings, char literals and comments must not be counted.
func() {
    printf 'int %s(int x)\n{\n' "$1"
    printf '    /* } { */\n    const char *s = "}}";\n    char c = '"'"'{'"'"';\n'
    for ((i = 5; i < $2 - 1; i++)); do printf '    x += %d; // }\n' "$i"; done
    printf '    return x + s[0] + c;\n}\n'
}

# filler N: N lines of C comment.
filler() {
    for ((i = 0; i < $1; i++)); do printf '/* line %d */\n' "$i"; done
}

# check NAME STATUS "PLACES" COMMAND...: COMMAND exits with STATUS and the
# file:line places of its `file:line: message` lines are exactly PLACES
# (space-separated, any order).
check() {
    local name=$1 want_status=$2 want_places=$3
    shift 3
    local out status places want
    out=$("$@" 2>&1)
    status=$?
    places=$(printf '%s\n' "$out" | grep -oE '^[^ :]+:[0-9]+:' | sed 's/:$//' | sort | xargs)
    want=$(printf '%s\n' $want_places | sort | xargs)
    if [ "$status" = "$want_status" ] && [ "$places" = "$want" ]; then
        echo "ok   $name"
    else
        echo "FAIL $name: exit $status (want $want_status), places [$places] (want [$want])"
        printf '%s\n' "$out" | sed 's/^/     | /'
        failures=$((failures + 1))
    fi
}

# expect_line NAME LINE COMMAND...: COMMAND prints LINE exactly.
expect_line() {
    local name=$1 line=$2
    shift 2
    if "$@" 2>&1 | grep -qxF -- "$line"; then
        echo "ok   $name"
    else
        echo "FAIL $name: no line '$line' in:"
        "$@" 2>&1 | sed 's/^/     | /'
        failures=$((failures + 1))
    fi
}

# A clean tree: every layer including only what it may; a 60-line function
# and a 700-line file are at the limits, not past them.
clean() {
    put "$1" src/lib/str.h <<< '#include <stddef.h>'
    put "$1" src/core/loop.h <<< '#include "lib/str.h"'
    printf '#include "loop.h"\n#include <stdio.h>\n' | put "$1" src/core/loop.c
    put "$1" src/http/parse.h <<< '#include "lib/str.h"'
    put "$1" src/config/config.h <<< '#include "http/parse.h"'
    put "$1" src/handlers/handler.h <<< '#include "config/config.h"'
    put "$1" src/upstream/pool.h <<< '#include "core/loop.h"'
    printf '#include "core/loop.h"\n#include "config/config.h"\n#include "handlers/handler.h"\n' |
        put "$1" src/server/conn.c
    printf '#include "handlers/handler.h"\n#include "upstream/pool.h"\n' | put "$1" src/handlers/proxy.c
    put "$1" src/handlers/proxy_pick.c <<< '#include "upstream/pool.h"'
    printf '#include "server/conn.h"\n' | put "$1" src/handlers/static.c
    put "$1" src/server/conn.h <<< '#include "http/parse.h"'
    printf '#include "handlers/proxy.h"\n#include "upstream/pool.h"\n' | put "$1" src/main.c
    put "$1" src/handlers/proxy.h <<< ''
    func at_limit 60 | put "$1" src/core/sixty.c
    filler 700 | put "$1" src/core/seven_hundred.c
}

clean clean
check "clean tree: check-layers" 0 "" "$scripts/check-layers" --root "$tmp/clean"
check "clean tree: check-sizes" 0 "" "$scripts/check-sizes" --root "$tmp/clean"

# core including http.
clean core_http
put core_http src/http/y.h <<< ''
printf '/* x */\n#include "core/loop.h"\n#include "http/y.h"\n' | put core_http src/core/x.c
check "core includes http" 1 "src/core/x.c:3" "$scripts/check-layers" --root "$tmp/core_http"
expect_line "core includes http: message" \
    "src/core/x.c:3: core may not include http/y.h (core may include: core, lib)" \
    "$scripts/check-layers" --root "$tmp/core_http"

# The other rules: server takes only handler.h from handlers, only proxy
# files take upstream, config takes no handler header, a directory
# without a rule, an include of a file that is not there.
clean rules
put rules src/handlers/static.h <<< ''
printf '#include "handlers/handler.h"\n#include "handlers/static.h"\n' | put rules src/server/route.c
put rules src/handlers/cgi.c <<< '#include "upstream/pool.h"'
put rules src/config/load.c <<< '#include "handlers/handler.h"'
put rules src/extra/a.c <<< '#include "lib/str.h"'
printf '\n#include "core/nothere.h"\n' | put rules src/core/missing.c
check "layer rules" 1 \
    "src/server/route.c:2 src/handlers/cgi.c:1 src/config/load.c:1 src/extra/a.c:1 src/core/missing.c:2" \
    "$scripts/check-layers" --root "$tmp/rules"
expect_line "unknown directory: message" "src/extra/a.c:1: no rule for src/extra/" \
    "$scripts/check-layers" --root "$tmp/rules"

# A header cycle: a.h -> b.h -> c.h -> a.h, reported once, at a.h's include.
clean cycle
printf '#pragma once\n#include "core/b.h"\n' | put cycle src/core/a.h
put cycle src/core/b.h <<< '#include "core/c.h"'
put cycle src/core/c.h <<< '#include "core/a.h"'
put cycle src/core/user.c <<< '#include "core/b.h"'
check "header cycle" 1 "src/core/a.h:2" "$scripts/check-layers" --root "$tmp/cycle"
expect_line "header cycle: message" \
    "src/core/a.h:2: include cycle: core/a.h -> core/b.h -> core/c.h -> core/a.h" \
    "$scripts/check-layers" --root "$tmp/cycle"

# One function of 61 lines (its name on line 3) and a file of 701 lines.
clean sizes
{ printf '#include <stddef.h>\n\n'; func too_long 61; } | put sizes src/core/long.c
filler 701 | put sizes src/core/big.c
check "61-line function, 701-line file" 1 "src/core/long.c:3 src/core/big.c:701" \
    "$scripts/check-sizes" --root "$tmp/sizes"
expect_line "61-line function: message" "src/core/long.c:3: function too_long is 61 lines (limit 60)" \
    "$scripts/check-sizes" --root "$tmp/sizes"

# An allowlisted parser may have long functions, but not a long file.
clean parser_ok
func parse_state_machine 150 | put parser_ok src/http/http_parse.c
check "allowlisted parser: long function ok" 0 "" "$scripts/check-sizes" --root "$tmp/parser_ok"
clean parser
func parse_state_machine 150 | put parser src/http/http_parse.c
{ func uri_decode 90; filler 650; } | put parser src/http/uri.c
check "allowlisted parser: long file not ok" 1 "src/http/uri.c:701" \
    "$scripts/check-sizes" --root "$tmp/parser"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
