#!/usr/bin/env bash
# The JSON access log (issue 13, item 6; CONFIG.md "Logs"; docs/config.md
# "Logs"): `access_log: {path, format: json}` writes one object per line,
# its keys in CONFIG.md's order; every line parses with jq and is valid
# UTF-8 whatever the client sent. Checked field by field for a GET, a
# HEAD, a 404, a 505, a proxied request (helpers/upstream.py) and one whose
# server is down (502); hostile bytes (control bytes, quotes, invalid
# UTF-8: lone, overlong, surrogate, truncated) in the target, User-Agent
# and Referer sent over a raw socket, and requests refused before their
# head was whole; SIGUSR1 reopens the file; SIGTERM writes every buffered
# line; the map form with `format: combined` is the combined format as
# before (test_logs.sh checks that format itself); -T and config errors.
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=integration/proxy_lib.sh
. "$(dirname "$0")/proxy_lib.sh"

ROOT=$T/root
mkdir -p "$ROOT"
python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(1000))' "$ROOT/k.bin"
KSIZE=1000

up_start A || exit 0
UP=127.0.0.1:${UP_PORT[A]}
DEAD=127.0.0.1:$(new_port) # nothing listens there
PORT=$(new_port)
U=http://127.0.0.1:$PORT
ACC=$T/access.log

# write_cfg FILE ACCESS_LOG_VALUE
write_cfg() {
    cat >"$1" <<EOF
workers: 2
error_log: $T/error.log
access_log: $2
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    locations:
      /:
        methods: [GET, HEAD]
      /api/:
        proxy: http://$UP
      /down/:
        proxy: http://$DEAD
EOF
}

# The lines of FILE that do not hold exactly one JSON object in valid
# UTF-8 with CONFIG.md's keys in its order (upstream and upstream_ms only
# together, at the end), "ms" written with three decimals, a time in ISO
# 8601 with its offset, within 10 s of now; or a last line without its
# newline. Prints "BAD <why>: <line>" for each, nothing when all are good.
cat >"$T/jsoncheck.py" <<'EOF'
import datetime, json, re, sys
KEYS = ["time", "remote", "host", "method", "target", "proto", "status", "bytes",
        "referer", "ua", "ms"]
data = open(sys.argv[1], "rb").read()
if data and not data.endswith(b"\n"):
    print("BAD unterminated last line: %r" % data[-80:])
now = datetime.datetime.now(datetime.timezone.utc)
for raw in data.split(b"\n")[:-1] if data else []:
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        print("BAD not UTF-8 (%s): %r" % (e, raw[:200]))
        continue
    if any(ord(c) < 0x20 for c in text):
        print("BAD a raw control byte: %r" % raw[:200])
        continue
    try:
        o = json.loads(text)
    except ValueError as e:
        print("BAD not JSON (%s): %r" % (e, raw[:200]))
        continue
    keys = list(o) if isinstance(o, dict) else None
    if keys not in (KEYS, KEYS + ["upstream", "upstream_ms"]):
        print("BAD keys %s: %r" % (keys, raw[:200]))
        continue
    kinds = {k: type(o[k]).__name__ for k in keys}
    want = {k: "str" for k in keys}
    want.update(status="int", bytes="int", ms="float", upstream_ms="float")
    if kinds != {k: want[k] for k in keys}:
        print("BAD types %s: %r" % (kinds, raw[:200]))
        continue
    if not re.search(r',"ms":\d+\.\d{3}[,}]', text) or (
            "upstream_ms" in o and not re.search(r',"upstream_ms":\d+\.\d{3}\}$', text)):
        print("BAD ms not with 3 decimals: %r" % raw[:200])
        continue
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", o["time"]):
        print("BAD time %r" % o["time"])
        continue
    skew = abs((datetime.datetime.fromisoformat(o["time"]) - now).total_seconds())
    if skew > 10:
        print("BAD time %s is %d s from now" % (o["time"], skew))
EOF
jsoncheck() { python3 "$T/jsoncheck.py" "$1"; }

# line MARKER: the (first) line whose target holds MARKER, as compact JSON
# (jq's output); L_N: how many lines hold it
line() {
    local all
    all=$(jq -c --arg m "$1" 'select(.target | contains($m))' "$ACC" 2>/dev/null)
    L_N=$(grep -c . <<<"$all")
    L=$(head -1 <<<"$all")
}
# f FIELD: a field of that line (jq -r)
f() { jq -r ".$1" <<<"$L"; }
# rawline MARKER: the line whose target holds MARKER, as written (bytes)
rawline() { grep -a -m1 -F -- "$1" "$ACC"; }

# ========================================================== json, -T, -t
write_cfg "$T/json.yaml" "{path: $ACC, format: json}"
"$PORTICO_BIN" -T -c "$T/json.yaml" >"$T/dump.txt" 2>&1
check "-T prints 'access_log: PATH (format json)'" "grep -qxF 'access_log: $ACC (format json)' '$T/dump.txt'"
write_cfg "$T/bad.yaml" "{path: $ACC, format: jsonl}"
out=$("$PORTICO_BIN" -t -c "$T/bad.yaml" 2>&1)
rc=$?
check_eq "-t: a format that is neither combined nor json is an error at its value (exit 1)" \
    "1|$T/bad.yaml:3:$((30 + ${#ACC})): 'access_log.format' must be combined or json" \
    "$rc|$(head -1 <<<"$out")"
write_cfg "$T/bad2.yaml" "{path: $ACC, fromat: json}"
out=$("$PORTICO_BIN" -t -c "$T/bad2.yaml" 2>&1)
check_match "-t: an unknown key in access_log is named, with the one meant" \
    "^$T/bad2.yaml:3:[0-9]+: unknown key 'fromat' in access_log \\(did you mean 'format'\\?\\)$" "$out"

start_server "$T/json.yaml" || exit 0
MASTER=$SERVER_PID

# ---- ordinary requests
http -e 'http://ref.test/page?x=1' -A 'agent/1.0 (test)' "$U/k.bin?m=get1"
http -I "$U/k.bin?m=head"
http "$U/missing?m=404"
size404=$(wc -c <"$BODY" | tr -d ' ')
raw 'GET /k.bin?m=h10 HTTP/1.0\r\n\r\n'
raw 'GET /k.bin?m=v2 HTTP/2.0\r\nHost: x\r\n\r\n'
expect_status "(HTTP/2.0 -> 505)" 505
http "$U/api/x?m=proxied&sleep=0.2"
expect_status "(proxied -> 200)" 200
http "$U/down/x?m=down"
expect_status "(upstream down -> 502)" 502
# ---- hostile bytes, as the raw bytes a client may send
# invalid UTF-8 in the target (obs-text: a valid request, a 404): a lone
# 0xff, an overlong '/', a surrogate, a truncated 4-byte sequence; a valid
# é and € among them
raw 'GET /m=hostile1/\xff\xc0\xaf\xed\xa0\x80\xf0\x9f\x98-caf\xc3\xa9\xe2\x82\xac HTTP/1.1\r\nHost: x\r\nUser-Agent: q"uo\\te \xfe\x80 caf\xc3\xa9\r\nReferer: \xc3\r\nConnection: close\r\n\r\n'
expect_status "(invalid UTF-8 in target and headers -> 404)" 404
# control bytes in the target: refused (400) in the request line
raw 'GET /m=hostile2\x01\x1b[31m\x7f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
expect_status "(control bytes in the target -> 400)" 400
# a control byte in the User-Agent: refused (400) in the headers
raw 'GET /m=hostile3 HTTP/1.1\r\nHost: x\r\nUser-Agent: a\x01b\r\nConnection: close\r\n\r\n'
expect_status "(a control byte in a header -> 400)" 400
# not HTTP at all: a TLS ClientHello's first bytes, and a NUL
raw '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'
raw 'G\x00T / HTTP/1.1\r\n\r\n'
# valid UTF-8 beyond the BMP, and a tab, in the User-Agent
raw 'GET /k.bin?m=utf8 HTTP/1.1\r\nHost: x\r\nUser-Agent: \xf0\x9f\x98\x80\tok\r\nConnection: close\r\n\r\n'
wait_for "$ACC" "m=utf8" 3
sleep 1.2 # the 400s of other workers too

bad=$(jsoncheck "$ACC" | head -3)
check_eq "every line: one JSON object, valid UTF-8, CONFIG.md's keys in order, ms with 3 decimals, time ISO 8601 now" "" "$bad"
n=$(grep -c . "$ACC")
parsed=$(jq -c . "$ACC" 2>/dev/null | grep -c .)
check_eq "every line parses with jq ($n lines)" "$n" "$parsed"

line m=get1
check_eq "GET: one line" 1 "$L_N"
check_eq "GET: remote" 127.0.0.1 "$(f remote)"
check_eq "GET: host (the Host header as sent)" "127.0.0.1:$PORT" "$(f host)"
check_eq "GET: method" GET "$(f method)"
check_eq "GET: target as sent" "/k.bin?m=get1" "$(f target)"
check_eq "GET: proto" HTTP/1.1 "$(f proto)"
check_eq "GET: status (a number)" "200 number" "$(f status) $(f 'status | type')"
check_eq "GET: bytes = the body sent, not the head" "$KSIZE" "$(f bytes)"
check_eq "GET: referer" "http://ref.test/page?x=1" "$(f referer)"
check_eq "GET: ua" "agent/1.0 (test)" "$(f ua)"
check "GET: ms is a number >= 0 below 5000" jq -e '.ms >= 0 and .ms < 5000' <<<"$L"
check "GET: no upstream fields" jq -e '(has("upstream") or has("upstream_ms")) | not' <<<"$L"
check_match "GET: the whole line as CONFIG.md shows it" \
    '^\{"time":"[0-9T:+-]{25}","remote":"127\.0\.0\.1","host":"127\.0\.0\.1:[0-9]+","method":"GET","target":"/k\.bin\?m=get1","proto":"HTTP/1\.1","status":200,"bytes":1000,"referer":"http://ref\.test/page\?x=1","ua":"agent/1\.0 \(test\)","ms":[0-9]+\.[0-9]{3}\}$' \
    "$(rawline m=get1)"

line m=head
check_eq "HEAD: method, status, bytes 0" "HEAD 200 0" "$(f method) $(f status) $(f bytes)"
line m=404
check_eq "404: status, bytes = the error page's size" "404 $size404" "$(f status) $(f bytes)"
check_eq "no Referer: \"\"" "" "$(f referer)"
check_match "curl's User-Agent" '^curl/' "$(f ua)"
line m=h10
check_eq "HTTP/1.0 without Host, Referer, User-Agent: proto, host, referer, ua" \
    'HTTP/1.0|||' "$(f proto)|$(f host)|$(f referer)|$(f ua)"
line m=v2
check_eq "505: the version as sent" "HTTP/2.0 505" "$(f proto) $(f status)"

line m=proxied
check_eq "proxied: upstream = the server used" "$UP" "$(f upstream)"
check_eq "proxied: status and target" "200 /api/x?m=proxied&sleep=0.2" "$(f status) $(f target)"
check "proxied: upstream_ms >= 200 (the backend slept 0.2 s): $(f upstream_ms)" \
    jq -e '.upstream_ms >= 200 and .upstream_ms < 5000' <<<"$L"
check "proxied: ms >= upstream_ms ($(f ms) >= $(f upstream_ms))" jq -e '.ms >= .upstream_ms' <<<"$L"
check_match "proxied: upstream and upstream_ms close the line" \
    ',"ms":[0-9]+\.[0-9]{3},"upstream":"127\.0\.0\.1:[0-9]+","upstream_ms":[0-9]+\.[0-9]{3}\}$' \
    "$(rawline m=proxied)"
line m=down
check_eq "upstream down: status 502, the server tried" "502 $DEAD" "$(f status) $(f upstream)"
check "upstream down: upstream_ms is a number" jq -e '.upstream_ms >= 0' <<<"$L"

# Hostile bytes: each invalid byte as \u00XX of its value (valid UTF-8 as
# it is), '"' and '\' escaped, control bytes as \u00XX: checked in the raw
# line, as written.
r=$(rawline m=hostile1)
check_match "invalid UTF-8 in the target: each bad byte \\u00XX, é and € as they are" \
    '"target":"/m=hostile1/\\u00ff\\u00c0\\u00af\\u00ed\\u00a0\\u0080\\u00f0\\u009f\\u0098-café€"' "$r"
check_match "the User-Agent: quote, backslash, bad bytes, é" '"ua":"q\\"uo\\\\te \\u00fe\\u0080 café"' "$r"
check_match "a truncated sequence as the whole Referer" '"referer":"\\u00c3"' "$r"
line m=hostile1
check_eq "... and jq reads it: status 404, method GET" "404 GET" "$(f status) $(f method)"
line m=hostile2
check_eq "control bytes in the target: 400, the target as sent" \
    "400|/m=hostile2$(printf '\x01\x1b')[31m$(printf '\x7f')" "$(f status)|$(f target)"
check_match "... written \\u0001 \\u001b \\u007f" '"target":"/m=hostile2\\u0001\\u001b\[31m\\u007f"' \
    "$(rawline m=hostile2)"
line m=hostile3
check_eq "a control byte in the User-Agent: 400, the request line kept" "400|GET|HTTP/1.1" \
    "$(f status)|$(f method)|$(f proto)"
check_eq "refused before the request line: two 400 lines with method, target and proto \"\"" 2 \
    "$(jq -c 'select(.status == 400 and .method == "" and .target == "" and .proto == "")' "$ACC" | grep -c .)"
line m=utf8
check_eq "valid UTF-8 beyond the BMP passes as it is, a tab is \\u0009" \
    "$(printf '\xf0\x9f\x98\x80\tok')" "$(f ua)"
check "... written as the raw bytes" "grep -qaF '\"ua\":\"$(printf '\xf0\x9f\x98\x80')\\u0009ok\"' '$ACC'"

# ---- SIGUSR1: the file is reopened; what was buffered goes to the old one
http "$U/k.bin?m=before-usr1"
mv "$ACC" "$ACC.1"
kill -USR1 "$MASTER"
sleep 0.5
http "$U/k.bin?m=after-usr1"
wait_for "$ACC" "m=after-usr1" 3
check "SIGUSR1: a new file is created with the next line" "grep -qF 'm=after-usr1' '$ACC'"
check "SIGUSR1: the line buffered before it went to the old file" "grep -qF 'm=before-usr1' '$ACC.1'"
check "SIGUSR1: nothing of before in the new file" "! grep -qF 'm=before-usr1' '$ACC'"
check_eq "SIGUSR1: the new file's lines are JSON" "" "$(jsoncheck "$ACC" | head -3)"
check_eq "SIGUSR1: the old file's lines are JSON" "" "$(jsoncheck "$ACC.1" | head -3)"

# ---- SIGTERM right after a burst: every line is written, still JSON
for ((i = 0; i < 30; i++)); do
    echo "url = \"$U/k.bin?m=burst&i=$i\""
    echo "output = /dev/null"
done >"$T/burst.curl"
curl -s --max-time "$MAXT" -K "$T/burst.curl"
SERVER_CHILDREN=$(pgrep -P "$MASTER" | sort | tr '\n' ' ')
kill -TERM "$MASTER"
stop_server signalled
check_eq "SIGTERM right after 30 requests: all 30 lines are in the file" 30 "$(grep -c 'm=burst' "$ACC")"
check_eq "... every line still JSON" "" "$(jsoncheck "$ACC" | head -3)"

# ============================== {path, format: combined} and {format: json} on stdout
write_cfg "$T/comb.yaml" "{path: $T/comb.log, format: combined}"
start_server "$T/comb.yaml" || exit 0
http -A 'std/1' "$U/k.bin?m=comb"
stop_server
check_match "{format: combined}: the line is nginx's combined format, as before" \
    '^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} [+-][0-9]{4}\] "GET /k\.bin\?m=comb HTTP/1\.1" 200 1000 "-" "std/1"$' \
    "$(grep -m1 'm=comb' "$T/comb.log")"

write_cfg "$T/stdout.yaml" "{format: json}"
start_server "$T/stdout.yaml" || exit 0
http "$U/k.bin?m=stdout"
wait_for "$SERVER_OUT" "m=stdout" 3
stop_server
check_eq "{format: json} without path: JSON lines on stdout" "/k.bin?m=stdout" \
    "$(grep -aF 'm=stdout' "$SERVER_OUT" | jq -r .target 2>/dev/null)"
exit 0
