#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c with libFuzzer, ASan and UBSan into build/fuzz/
# and runs each for $FUZZ_SECONDS (default 30) on a temporary copy of its
# seed corpus fuzz/corpus/<name>/, with fuzz/<name>.dict when it exists.
#
#   fuzz/run.sh                  all harnesses
#   fuzz/run.sh http_parse uri   only these (names without the fuzz_ prefix)
#
# A harness names what it links on a line at its top:
#   // link: src/http/http_parse.c src/config/*.c -lyaml
# Prints one summary line per harness; exits 1 if any failed to build or
# crashed (crash inputs and logs are kept in build/fuzz/).
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1

CC_FUZZ=${CC_FUZZ:-clang}
SECONDS_EACH=${FUZZ_SECONDS:-30}
TIMEOUT_EACH=${FUZZ_TIMEOUT:-10}
OUT=build/fuzz
# shellcheck disable=SC2054 # the commas belong to -fsanitize=
CFLAGS_FUZZ=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
             -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Isrc)

if ! command -v "$CC_FUZZ" >/dev/null 2>&1; then
    echo "fuzz/run.sh: $CC_FUZZ not found; libFuzzer comes with clang:" >&2
    echo "    apt-get install clang    (as root)" >&2
    exit 1
fi

mkdir -p "$OUT"
work=$(mktemp -d "${TMPDIR:-/tmp}/portico-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# The harnesses to run: every fuzz/fuzz_*.c, or those named on the command line.
harnesses=()
if [ $# -gt 0 ]; then
    for n in "$@"; do
        n=${n#fuzz_}
        n=${n%.c}
        if [ ! -f "fuzz/fuzz_$n.c" ]; then
            echo "fuzz/run.sh: no harness fuzz/fuzz_$n.c" >&2
            exit 1
        fi
        harnesses+=("fuzz/fuzz_$n.c")
    done
else
    harnesses=(fuzz/fuzz_*.c)
fi

# Sources and libraries from the harness's "// link:" line (globs expanded).
link_args() {
    local line word lib
    line=$(head -n 5 "$1" | sed -n 's|^// link:||p' | head -n 1)
    for word in $line; do
        case $word in
        -lyaml)
            for lib in $(pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml); do
                echo "$lib"
            done
            ;;
        -l*) echo "$word" ;;
        *) # shellcheck disable=SC2086 # a glob to expand
            ls -d $word 2>/dev/null || echo "$word" ;;
        esac
    done
}

# "stat::name: value" from a libFuzzer log.
stat_of() {
    sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

failed=0
summary=()
for src in "${harnesses[@]}"; do
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    bin="$OUT/fuzz_$name"
    log="$OUT/$name.log"

    mapfile -t extra < <(link_args "$src")
    if ! "$CC_FUZZ" "${CFLAGS_FUZZ[@]}" -o "$bin" "$src" "${extra[@]}" >"$OUT/$name.build.log" 2>&1; then
        if grep -q "libclang_rt.fuzzer\|fuzzer.*not found\|cannot find.*fuzzer" "$OUT/$name.build.log"; then
            echo "fuzz/run.sh: $CC_FUZZ has no libFuzzer runtime: apt-get install clang" >&2
        fi
        cat "$OUT/$name.build.log" >&2
        summary+=("$(printf '%-12s BUILD FAILED (see %s)' "$name" "$OUT/$name.build.log")")
        failed=1
        continue
    fi

    corpus="$work/$name/corpus"
    artifacts="$OUT/artifacts/$name"
    mkdir -p "$corpus" "$artifacts"
    if [ -d "fuzz/corpus/$name" ]; then
        cp -r "fuzz/corpus/$name/." "$corpus/"
    fi
    opts=(-max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT_EACH" -print_final_stats=1
          -artifact_prefix="$artifacts/")
    if [ -f "fuzz/$name.dict" ]; then
        opts+=(-dict="fuzz/$name.dict")
    fi

    echo "== fuzz_$name: ${SECONDS_EACH}s (log: $log)" >&2
    TMPDIR="$work/$name" PORTICO_FUZZ_SITES="$PWD/tests/unit/data/config/sites" \
        "$bin" "${opts[@]}" "$corpus" >"$log" 2>&1
    rc=$?

    execs=$(stat_of "$log" number_of_executed_units)
    rate=$(stat_of "$log" average_exec_per_sec)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    if [ "$rc" -eq 0 ]; then
        summary+=("$(printf '%-12s ok      %10s execs %7s/s  cov %-5s corpus %s' \
            "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${corp:-?}")")
    else
        failed=1
        what=$(grep -m 1 -o 'ERROR: [A-Za-z]*: [a-z -]*[a-z]\|runtime error: .*' "$log" | cut -c 1-70)
        input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        summary+=("$(printf '%-12s CRASH   %10s execs  %s  input %s  (log %s)' \
            "$name" "${execs:-?}" "${what:-exit $rc}" "${input:-?}" "$log")")
    fi
done

echo
printf '%s\n' "${summary[@]}"
exit "$failed"
