#!/usr/bin/env bash
# Runs every integration/test_*.sh (or the ones named on the command line,
# e.g. `integration/run.sh static errors`) against $PORTICO_BIN and prints,
# as its very last line, "N passed, N failed". Exits 1 on any failure.
#
#   PORTICO_BIN=./portico integration/run.sh          (what `make integration` runs)
#   PORTICO_WRAP="valgrind -q --error-exitcode=99" ... (server under a wrapper)
#   KEEP_TMP=1 ...                                     (keep logs and bodies)
set -u

here=$(cd "$(dirname "$0")" && pwd)

PORTICO_BIN=${PORTICO_BIN:-$here/../portico}
case $PORTICO_BIN in
/*) ;;
*/*) PORTICO_BIN=$(cd "$(dirname "$PORTICO_BIN")" && pwd)/$(basename "$PORTICO_BIN") ;;
*) PORTICO_BIN=$(command -v "$PORTICO_BIN" || echo "$PORTICO_BIN") ;;
esac
export PORTICO_BIN
export PORTICO_WRAP=${PORTICO_WRAP:-}

results=$(mktemp "${TMPDIR:-/tmp}/portico-results.XXXXXX")
export PORTICO_RESULTS=$results
trap 'rm -f "$results" "$results.pids"' EXIT

if [ ! -x "$PORTICO_BIN" ]; then
    echo "integration: $PORTICO_BIN is missing or not executable (run make)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
for tool in curl python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "integration: $tool is required" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
done

tests=()
if [ $# -gt 0 ]; then
    for name in "$@"; do
        name=${name#test_}
        name=${name%.sh}
        tests+=("$here/test_$name.sh")
    done
else
    tests=("$here"/test_*.sh)
fi

# No test may take longer than this (seconds), valgrind or not.
limit=120
[ -n "$PORTICO_WRAP" ] && limit=900

start=$(date +%s)
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    if [ ! -f "$t" ]; then
        echo "FAIL $name: no such test" >>"$results"
        continue
    fi
    echo "== $name"
    t0=$(date +%s)
    timeout -k 10 "$limit" bash "$t"
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo "FAIL $name: timed out after $limit s" >>"$results"
        echo "  FAIL  timed out after $limit s"
    elif [ $rc -ne 0 ] && ! grep -q "^FAIL $name:" "$results"; then
        echo "FAIL $name: script exited with status $rc" >>"$results"
        echo "  FAIL  script exited with status $rc"
    fi
    echo "   ($(($(date +%s) - t0)) s)"
done

# A server left behind by a killed script is a failure, and is stopped.
if [ -f "$results.pids" ]; then
    while read -r pid; do
        if [ -r "/proc/$pid/stat" ] && [ "$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != Z ] &&
            tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$PORTICO_BIN"; then
            echo "FAIL run: server pid $pid left running" >>"$results"
            kill -KILL "$pid" 2>/dev/null
        fi
    done <"$results.pids"
fi

passed=$(grep -c '^PASS' "$results")
failed=$(grep -c '^FAIL' "$results")
if [ "$failed" -gt 0 ]; then
    echo
    echo "Failures:"
    grep '^FAIL' "$results" | sed 's/^FAIL /  /'
fi
echo "($(($(date +%s) - start)) s)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
