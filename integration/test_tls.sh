#!/usr/bin/env bash
# TLS termination (issue 12; CONFIG.md: the TLS paragraph under "A server",
# listen maps {address, tls: true}, the tls block, redirect placeholders
# {host} and {uri}, X-Forwarded-Proto, /status "tls"), with certificates
# made here by `openssl` (a CA; ECDSA P-256 leaves for a.test, b.test,
# *.w.test, v13.test and the default server; a second leaf for a.test; a
# key that matches none) and clients curl and python's ssl module
# (helpers/tlsclient.py):
# SNI (exact, wildcard, unknown name and no SNI -> the default server's
# certificate), Host routing over TLS, 100 MiB down and up byte for byte,
# a chunked upload, versions (TLS 1.1 refused, a TLSv1.3-only server),
# plain HTTP on the TLS port (a plain 400), silent and half-hello clients
# closed by timeouts.header, garbage closed at once, 500 handshakes at
# once, keep-alive and pipelining, SIGHUP with a new certificate (and with
# a key that does not match: the old one kept), -t/-T, the scheme seen by
# redirects, CGI and the proxy, /status counts, session resumption (and
# none across certificates).
# Functions run by poll, check and trap (SC2317); stop_server's optional
# argument (SC2119):
# shellcheck disable=SC2317,SC2119
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=integration/proxy_lib.sh
. "$(dirname "$0")/proxy_lib.sh"

if ! command -v openssl >/dev/null; then
    fail "openssl is required (the certificates are made by it)"
    exit 0
fi
TLSC=$HELPERS/tlsclient.py

# ------------------------------------------------------------ certificates
C=$T/certs
mkdir -p "$C"
ossl() { openssl "$@" 2>>"$T/openssl.err" >/dev/null; }
newkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
newkey "$C/ca.key"
ossl req -x509 -new -key "$C/ca.key" -subj "/CN=portico test CA" -days 2 -out "$C/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
# leaf FILE NAME: FILE.key and FILE.pem, CN=NAME and SAN DNS:NAME, signed by the CA
leaf() {
    newkey "$C/$1.key"
    ossl req -new -key "$C/$1.key" -subj "/CN=$2" -out "$C/$1.csr"
    printf '%s\n' "subjectAltName=DNS:$2" "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$C/$1.ext"
    ossl x509 -req -in "$C/$1.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 2 -extfile "$C/$1.ext" -out "$C/$1.pem"
}
leaf dflt default.test
leaf a a.test
leaf a2 a.test
leaf b b.test
leaf w '*.w.test'
leaf v13 v13.test
leaf v12 v12.test
newkey "$C/other.key"
for f in ca dflt a a2 b w v13 v12; do
    if ! openssl x509 -noout -in "$C/$f.pem" 2>/dev/null; then
        fail "openssl makes the certificates" "$f: $(tail -3 "$T/openssl.err")"
        exit 0
    fi
done
# fp FILE: the SHA-256 of a certificate's DER, as python's tlsclient prints it
fp() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
FP_DFLT=$(fp "$C/dflt.pem") FP_A=$(fp "$C/a.pem") FP_A2=$(fp "$C/a2.pem") FP_B=$(fp "$C/b.pem")
FP_W=$(fp "$C/w.pem") FP_V13=$(fp "$C/v13.pem") FP_V12=$(fp "$C/v12.pem")
# The served a.test files: a.pem/a.key now, a2's content on the first reload.
cp "$C/a.pem" "$C/served-a.pem"
cp "$C/a.key" "$C/served-a.key"

# ------------------------------------------------------------ sites, config
for s in dflt a b w v13 v12 slow; do
    mkdir -p "$T/www/$s"
    echo "site-$s-root" >"$T/www/$s/index.html"
done
mkdir -p "$T/up" "$T/cgi"
cat >"$T/cgi/env.sh" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
env | sort
EOF
up_start E || exit 0 # the proxy's backend (a JSON echo of each request)

PORT=$(new_port)   # plain HTTP
PT=$(new_port)     # TLS: the default server, a.test, b.test, *.w.test, v13.test, v12.test
PH=$(new_port)     # TLS, timeouts.header 1s
U=http://127.0.0.1:$PORT
CFG=$T/tls.yaml
cat >"$CFG" <<EOF
workers: 2
timeouts: {header: $((10 * SLOW))s}
error_log: "-"
log_level: info
access_log: off
servers:
  - listen: [$PORT, {address: "127.0.0.1:$PT", tls: true}]
    default: true
    names: [default.test]
    tls:
      certificate: $C/dflt.pem
      key: $C/dflt.key
    root: $T/www/dflt
    locations:
      /:
        methods: [GET, HEAD]
      /status:
        status: true
      /up/:
        root: $T/up
        methods: [GET, HEAD, PUT, POST]
        upload: true
        limits: {body_size: 200m}
      /cgi-bin/:
        root: $T/cgi
        cgi: {.sh: /bin/sh}
      /px/:
        proxy: http://127.0.0.1:${UP_PORT[E]}
      /secure/:
        redirect: {to: "https://{host}:$PT{uri}", status: 308}
  - listen: [{address: "127.0.0.1:$PT", tls: true}]
    names: [a.test]
    tls:
      certificate: $C/served-a.pem
      key: $C/served-a.key
    root: $T/www/a
    locations:
      /: {}
  - listen: [{address: "127.0.0.1:$PT", tls: true}]
    names: [b.test]
    tls: {certificate: $C/b.pem, key: $C/b.key}
    root: $T/www/b
    locations:
      /: {}
  - listen: [{address: "127.0.0.1:$PT", tls: true}]
    names: ["*.w.test"]
    tls: {certificate: $C/w.pem, key: $C/w.key}
    root: $T/www/w
    locations:
      /: {}
  - listen: [{address: "127.0.0.1:$PT", tls: true}]
    names: [v13.test]
    tls: {certificate: $C/v13.pem, key: $C/v13.key, protocols: [TLSv1.3]}
    root: $T/www/v13
    locations:
      /: {}
  - listen: [{address: "127.0.0.1:$PT", tls: true}]
    names: [v12.test]
    tls: {certificate: $C/v12.pem, key: $C/v12.key, protocols: [TLSv1.2]}
    root: $T/www/v12
    locations:
      /: {}
  - listen: [{address: "127.0.0.1:$PH", tls: true}]
    tls: {certificate: $C/dflt.pem, key: $C/dflt.key}
    timeouts: {header: 1s}
    root: $T/www/slow
    locations:
      /: {}
EOF
head -c 100M /dev/urandom >"$T/www/dflt/big.bin"
head -c 5M /dev/urandom >"$T/chunked.bin"

# tc COMMAND [tlsclient.py options]: the python client against the TLS
# address (TPORT, else $PT) trusting the test CA; J is its JSON, jv reads it
tc() {
    J=$(python3 "$TLSC" "$@" --port "${TPORT:-$PT}" --cafile "$C/ca.pem" --timeout $((10 * SLOW)) \
        2>>"$T/tlsclient.err")
    [ -n "$J" ] || J='{"error":"tlsclient.py printed nothing"}'
}
jv() { jq -r "$1" <<<"$J" 2>/dev/null; }
jc() { jq -c "${1:-.}" <<<"$J" 2>/dev/null; }
# cu NAME [curl args] PATH: curl to https://NAME:$PT/PATH, verified against the CA
cu() {
    local name=$1
    shift
    local path=${*: -1}
    http --cacert "$C/ca.pem" --resolve "$name:$PT:127.0.0.1" "${@:1:$#-1}" "https://$name:$PT$path"
}
tls_stat() { curl -s --max-time "$MAXT" "$U/status" | jq -r ".tls.$1" 2>/dev/null; }
tls_stat_is() { [ "$(tls_stat "$1")" = "$2" ]; }
children() { pgrep -P "$SERVER_PID" | sort | tr '\n' ' '; }

# ------------------------------------------------------------ -t and -T
# (before the start: no port is bound by them)
tconf() { # $1: file, $2: certificate, $3: key, $4: extra listen item options
    cat >"$1" <<EOF
servers:
  - listen: [{address: "127.0.0.1:$PT", tls: true}]
    tls:
      certificate: $2
      key: $3
    root: $T/www/a
    locations:
      /: {}
EOF
}
# pos_of FILE TEXT: "line:col" where TEXT first starts in FILE (errors
# name a value's place)
pos_of() {
    awk -v k="$2" '{ i = index($0, k); if (i) { print NR ":" i; exit } }' "$1"
}
run_t() { OUT=$("$PORTICO_BIN" -t -c "$1" 2>&1); RC=$?; }

tconf "$T/ok.yaml" "$C/a.pem" "$C/a.key"
run_t "$T/ok.yaml"
check_eq "-t: a matching certificate and key -> exit 0" 0 "$RC"
OUT=$("$PORTICO_BIN" -T -c "$T/ok.yaml" 2>&1)
END_A=$(openssl x509 -noout -enddate -in "$C/a.pem" | cut -d= -f2)
check_match "-T: '# subject CN=a.test, expires <notAfter>' under the certificate" \
    "    certificate: $C/a\\.pem
    # subject CN=a\\.test, expires $END_A
    key: $C/a\\.key" "$OUT"

tconf "$T/mismatch.yaml" "$C/a.pem" "$C/other.key"
run_t "$T/mismatch.yaml"
check_eq "-t: a key that does not match its certificate -> exit 1" 1 "$RC"
check_match "... the error is at the key: entry (file:line:col), naming both files" \
    "^$T/mismatch\\.yaml:$(pos_of "$T/mismatch.yaml" "$C/other.key"): .*$C/other\\.key.*$C/a\\.pem|^$T/mismatch\\.yaml:$(pos_of "$T/mismatch.yaml" "$C/other.key"): .*$C/a\\.pem.*$C/other\\.key" "$OUT"
check_match "... and says they do not match" "match" "$OUT"
echo "this is not PEM" >"$C/junk.pem"
tconf "$T/junk.yaml" "$C/junk.pem" "$C/a.key"
run_t "$T/junk.yaml"
check_eq "-t: a certificate file that is not PEM -> exit 1" 1 "$RC"
check_match "... the error is at the certificate: entry, naming the file" \
    "^$T/junk\\.yaml:$(pos_of "$T/junk.yaml" "$C/junk.pem"): .*$C/junk\\.pem" "$OUT"
tconf "$T/keyjunk.yaml" "$C/a.pem" "$C/junk.pem"
run_t "$T/keyjunk.yaml"
check_eq "-t: a key file that is not PEM -> exit 1, at the key: entry" \
    "1 $T/keyjunk.yaml:$(pos_of "$T/keyjunk.yaml" "$C/junk.pem")" "$RC $(cut -d: -f1-3 <<<"$OUT")"
openssl pkey -in "$C/a.key" -aes256 -passout pass:secret -out "$C/enc.key" 2>>"$T/openssl.err"
tconf "$T/enc.yaml" "$C/a.pem" "$C/enc.key"
# On a terminal (script(1) gives one) OpenSSL's default passphrase prompt
# would wait there; without script, /dev/tty is not there to ask.
if command -v script >/dev/null; then
    OUT=$(timeout $((5 * SLOW)) script -qec "'$PORTICO_BIN' -t -c '$T/enc.yaml'" /dev/null 2>&1 </dev/null)
else
    OUT=$(timeout $((5 * SLOW)) "$PORTICO_BIN" -t -c "$T/enc.yaml" 2>&1 </dev/null)
fi
RC=$?
OUT=$(tr -d '\r' <<<"$OUT" | grep -v '^$')
check_eq "-t (on a terminal): an encrypted key -> exit 1 at once, no passphrase prompt, at the key: entry" \
    "1 $T/enc.yaml:$(pos_of "$T/enc.yaml" "$C/enc.key")" "$RC $(head -1 <<<"$OUT" | cut -d: -f1-3)"
check_match "... saying it is encrypted" "enc\\.key.*encrypted" "$OUT"
sed '/^    tls:$/,/^      key:/d' "$T/ok.yaml" >"$T/noblock.yaml"
run_t "$T/noblock.yaml"
check_eq "-t: tls: true without a tls block -> exit 1" 1 "$RC"
check_match "... at the listen item, saying the server has no tls" "^$T/noblock\\.yaml:2:[0-9]+: .*tls" "$OUT"

# ------------------------------------------------------------ start
start_server "$CFG" || exit 0
KIDS=$(children)
H0=$(tls_stat handshakes)
F0=$(tls_stat failures)
check_eq "/status has tls counters from the start" "0 0" "$H0 $F0"

# ---- 1. SNI picks the certificate ----
for n in a b; do
    tc info --sni "$n.test" --get /
    fpv=FP_${n^^}
    check_eq "SNI $n.test: the $n.test certificate (verified by the CA; CN, SAN, fingerprint)" \
        "$n.test $n.test ${!fpv}" "$(jv '"\(.cn) \(.san[0]) \(.sha256)"')"
    check_eq "... and the $n.test site" "200 site-$n-root" "$(jv '"\(.status) \(.body)"' | tr -d '\n')"
done
tc info --no-sni --get /
check_eq "no SNI (by IP): the default server's certificate" "default.test $FP_DFLT" "$(jv '"\(.cn) \(.sha256)"')"
tc info --sni nomatch.test
check_eq "SNI matching no server: the default server's certificate" "default.test $FP_DFLT" "$(jv '"\(.cn) \(.sha256)"')"
tc info --sni x.w.test --get /
check_eq "SNI x.w.test: the *.w.test server's certificate and site" "*.w.test $FP_W 200" \
    "$(jv '"\(.cn) \(.sha256) \(.status)"')"
tc info --sni a.b.w.test
check_eq "SNI a.b.w.test: the wildcard too" "$FP_W" "$(jv .sha256)"
tc info --sni w.test
check_eq "SNI w.test (not under *.w.test): the default's" "$FP_DFLT" "$(jv .sha256)"
tc info --sni A.TEST
check_eq "SNI A.TEST: matched without case" "$FP_A" "$(jv .sha256)"
check_eq "ALPN: http/1.1" "http/1.1" "$(jv .alpn)"
cu a.test /
expect_status "curl https://a.test (certificate verified by curl: chain and name)" 200
expect_body "... the a.test site" site-a-root

# ---- 2. Host routing over TLS ----
cu b.test -H 'Host: a.test' /
expect_body "SNI b.test, Host a.test: the a.test site (Host routes the request)" site-a-root
cu default.test -H 'Host: x.w.test' /
expect_body "SNI default.test, Host x.w.test: the wildcard site" site-w-root
tc info --no-sni --get / --host b.test
check_eq "no SNI, Host b.test: the b.test site" "200 site-b-root" "$(jv '"\(.status) \(.body)"' | tr -d '\n')"
http "$U/"
expect_body "the plain port still serves the default site" site-dflt-root

# ---- 12 (first part). handshakes counted ----
sleep 0.2
H1=$(tls_stat handshakes)
check_eq "/status: 12 handshakes after 12 TLS connections (8 python, 4 curl)" 12 "$((H1 - H0))"
check_eq "... and no failure" "$F0" "$(tls_stat failures)"

# ---- 3. big bodies both ways ----
SUM_BIG=$(sha256sum <"$T/www/dflt/big.bin" | cut -d' ' -f1)
t0=$(date +%s.%N)
cu default.test --max-time $((60 * SLOW)) /big.bin
el=$(since "$t0")
expect_status "GET 100 MiB over TLS: 200" 200
check_eq "... byte for byte (sha256) (${el} s)" "$SUM_BIG" "$(sha256sum <"$BODY" | cut -d' ' -f1)"
rm -f "$BODY"
t0=$(date +%s.%N)
cu default.test --max-time $((60 * SLOW)) -T "$T/www/dflt/big.bin" -H 'Accept: application/json' /up/big.bin
el=$(since "$t0")
expect_status "PUT 100 MiB over TLS: 201" 201
check_eq "... the stored file byte for byte (sha256) (${el} s)" "$SUM_BIG" "$(sha256sum <"$T/up/big.bin" | cut -d' ' -f1)"
check_eq "... the answer gives its size" 104857600 "$(jq -r '.files[0].size' "$BODY" 2>/dev/null)"
rm -f "$T/up/big.bin"
REQ_N=$((REQ_N + 1))
BODY=$T/req$REQ_N.b
STATUS=$(curl -sS --max-time $((20 * SLOW)) --cacert "$C/ca.pem" --resolve "default.test:$PT:127.0.0.1" \
    -T - -o "$BODY" -w '%{http_code}' -v "https://default.test:$PT/up/chunked.bin" \
    <"$T/chunked.bin" 2>"$T/chunked.err")
LAST_REQ="curl -T - (chunked) https://default.test/up/chunked.bin"
expect_status "a chunked PUT of 5 MiB over TLS: 201" 201
check "... sent chunked" "grep -qi '^> Transfer-Encoding: chunked' '$T/chunked.err'"
check "... stored byte for byte" "cmp -s '$T/up/chunked.bin' '$T/chunked.bin'"

# ---- 4. versions ----
tc info --sni a.test --min TLSv1 --max TLSv1_1
check_match "a client offering TLS 1.0-1.1 only: refused by the server (protocol version alert)" \
    "ALERT_PROTOCOL_VERSION|alert protocol version" "$(jv .error)"
tc info --sni a.test --min TLSv1 --max TLSv1_2
check_eq "... the same client allowed 1.2: TLSv1.2 (so it did offer the old versions)" "TLSv1.2" "$(jv .version)"
CURL_TLS=(curl -sS --max-time "$MAXT" --cacert "$C/ca.pem" --resolve "a.test:$PT:127.0.0.1"
    --resolve "v13.test:$PT:127.0.0.1" -o /dev/null -w '%{http_code}')
out=$("${CURL_TLS[@]}" --tlsv1.0 --tls-max 1.1 --ciphers 'DEFAULT@SECLEVEL=0' "https://a.test:$PT/" 2>&1)
rc=$?
check_eq "curl --tls-max 1.1: fails (exit 35) with the server's protocol version alert" \
    "35 alert" "$rc $(grep -o 'alert' <<<"$out" | head -1)"
out=$("${CURL_TLS[@]}" --tls-max 1.2 "https://v13.test:$PT/" 2>&1)
rc=$?
check_eq "protocols [TLSv1.3] (v13.test by SNI): curl --tls-max 1.2 refused" "35 alert" \
    "$rc $(grep -o 'alert' <<<"$out" | head -1)"
out=$("${CURL_TLS[@]}" --tls-max 1.2 "https://a.test:$PT/" 2>&1)
check_eq "... while a.test on the same address takes TLS 1.2" 200 "$out"
out=$("${CURL_TLS[@]}" --tlsv1.3 "https://v13.test:$PT/" 2>&1)
check_eq "... and v13.test takes TLS 1.3" 200 "$out"
tc info --sni v13.test --max TLSv1_2
check_match "python, v13.test, max TLS 1.2: protocol version alert" "ALERT_PROTOCOL_VERSION" "$(jv .error)"
tc info --sni v13.test --get /
check_eq "python, v13.test: TLSv1.3 and its site" "TLSv1.3 200 $FP_V13" "$(jv '"\(.version) \(.status) \(.sha256)"')"
tc info --sni v12.test --get /
check_eq "protocols [TLSv1.2] (v12.test): a client offering 1.3 gets TLSv1.2" "TLSv1.2 200 $FP_V12" \
    "$(jv '"\(.version) \(.status) \(.sha256)"')"
tc info --sni v12.test --min TLSv1_3
check_match "... one offering only 1.3: protocol version alert" "ALERT_PROTOCOL_VERSION" "$(jv .error)"

# ---- 5. plain HTTP on the TLS port ----
F1=$(tls_stat failures)
RAW_PORT=$PT raw 'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n'
expect_status "plain HTTP to the TLS port: a plain HTTP/1.1 400" 400
check_match "... its status line as text" "^HTTP/1\\.1 400 " "$(head -1 "$HDRS" | tr -d '\r')"
check_eq "... then the connection closes" eof "$(raw_field reason)"
expect_header "... saying so (Connection: close)" Connection close
check "/status: the plain request counted as a failure" "poll 3 tls_stat_is failures $((F1 + 1))"
http "$U/"
expect_status "the server still answers" 200

# ---- 6. silent, half-hello and garbage clients on the 1s-header address ----
TPORT=$PH
# four at once: silent; half a ClientHello; a handshake, then nothing; a
# handshake and part of a head
(tc raw --sni a.test --half-hello --wait $((5 * SLOW)) && echo "$J" >"$T/half.json") &
p2=$!
(tc raw --sni a.test --tls --wait $((5 * SLOW)) && echo "$J" >"$T/hsonly.json") &
p3=$!
(tc raw --sni a.test --tls --wait $((5 * SLOW)) \
    --send-hex "$(printf 'GET / HTTP/1.1\r\nHost: a.test\r\n' | od -An -tx1 | tr -d ' \n')" &&
    echo "$J" >"$T/parthead.json") &
p4=$!
tc raw --wait $((5 * SLOW)) && echo "$J" >"$T/silent.json"
wait $p2 $p3 $p4
J=$(cat "$T/silent.json")
check_eq "a silent TCP connection to the TLS port: closed by the server" eof "$(jv .how)"
check "... after timeouts.header 1s ($(jv .elapsed) s)" "between $(jv .elapsed) 0.9 $((2 * SLOW))"
J=$(cat "$T/half.json" 2>/dev/null)
check_eq "half a ClientHello, then nothing: closed by the server" "true" "$(jv .closed)"
check "... after timeouts.header 1s ($(jv .elapsed) s; $(jv .sent) bytes sent)" \
    "between $(jv .elapsed) 0.9 $((2 * SLOW))"
J=$(cat "$T/hsonly.json" 2>/dev/null)
check_eq "a handshake, then no request: closed silently" "eof 0" "$(jv '"\(.how) \(.got_len)"')"
check "... timeouts.header 1s after the connect ($(jv .elapsed) s)" "between $(jv .elapsed) 0.9 $((2 * SLOW))"
J=$(cat "$T/parthead.json" 2>/dev/null)
check_match "a handshake and part of a head: 408 over TLS, then closed" "^HTTP/1\\.1 408 .*eof$" \
    "$(jv '"\(.got_head | split("\r\n")[0]) \(.how)"')"
check "... timeouts.header 1s after the connect ($(jv .elapsed) s)" "between $(jv .elapsed) 0.9 $((2 * SLOW))"
tc raw --send-hex "16$(printf 'not a TLS record at all' | od -An -tx1 | tr -d ' \n')" --wait $((5 * SLOW))
check_eq "0x16 then junk: closed" true "$(jv .closed)"
check "... at once ($(jv .elapsed) s)" "between $(jv .elapsed) 0 $(awk -v s="$SLOW" 'BEGIN { print 0.5 * s }')"
tc raw --send-hex "160301ffff$(printf 'junk' | od -An -tx1 | tr -d ' \n')" --wait $((5 * SLOW))
check "a record header announcing 64 KiB of handshake, then junk: closed at once ($(jv .elapsed) s)" \
    "[ $(jv .closed) = true ] && between $(jv .elapsed) 0 $(awk -v s="$SLOW" 'BEGIN { print 0.5 * s }')"
tc info --no-sni --get /
check_eq "the TLS address with the short header timeout still serves" "200 site-slow-root" \
    "$(jv '"\(.status) \(.body)"' | tr -d '\n')"
unset TPORT
poll 3 tls_stat_is failures $((F1 + 5))
check_eq "/status: the 4 connections that never finished a handshake counted as failures (5 with the plain one)" \
    5 "$(($(tls_stat failures) - F1))"

# ---- 7. 500 handshakes at once ----
H1=$(tls_stat handshakes)
t0=$(date +%s.%N)
tc many --n 500 --sni a.test --get / --want "$T/www/a/index.html"
el=$(since "$t0")
check_eq "500 clients at once, each a handshake and a GET: all 200 with the a.test page (${el} s)" \
    '500 0' "$(jv '"\(.ok) \(.failed)"')"
[ "$(jv .failed)" = 0 ] || echo "    $(jc '{statuses, errors}')"
check_eq "... /status counts 500 handshakes more" 500 "$(($(tls_stat handshakes) - H1))"
check_eq "... the workers survived (same pids)" "$KIDS" "$(children)"

# ---- 8. keep-alive and pipelining ----
H1=$(tls_stat handshakes)
out=$(curl -sS --max-time "$MAXT" --cacert "$C/ca.pem" --resolve "a.test:$PT:127.0.0.1" -o /dev/null \
    -o /dev/null -o /dev/null -w '%{http_code}/%{num_connects} ' "https://a.test:$PT/" "https://a.test:$PT/index.html" \
    "https://a.test:$PT/" 2>>"$T/curl.err")
check_eq "curl, 3 URLs: 3 answers on one TLS connection (num_connects 1, 0, 0)" "200/1 200/0 200/0 " "$out"
tc pipeline --sni b.test --n 3 --get /
check_eq "3 pipelined requests on one TLS connection: 3 answers" "200 200 200" "$(jv '.statuses | join(" ")')"
check_eq "... each with the page" "site-b-root|site-b-root|site-b-root" "$(jv '.bodies | join("|")' | tr -d '\n')"
head -c 200000 /dev/urandom >"$T/www/b/m.bin"
tc pipeline --sni b.test --n 40 --get /m.bin
check_eq "40 pipelined requests of 200 kB each (answers held back by a client that reads late): 40" \
    40 "$(jv '[.statuses[] | select(. == 200)] | length')"
check_eq "/status: 3 handshakes for those 3 connections" 3 "$(($(tls_stat handshakes) - H1))"
# Two requests in two TLS records of one TCP segment (OpenSSL reads both
# at once and keeps the second), the first answered with 16 MB the client
# leaves unread, so the server writes into a full socket; a third request
# arrives meanwhile. Its EPOLLIN edge comes while the server writes: the
# second request, served from OpenSSL's buffer, must not make the
# connection forget that the socket has bytes (it did: the third hung).
head -c 16M /dev/urandom >"$T/www/b/l.bin"
tc records --sni b.test --get /l.bin --then-get /
check_eq "2 records in one segment, a 16 MB answer unread, a 3rd request meanwhile: 3 answers" \
    "200 200 200|" "$(jv '.statuses | join(" ")')|$(jv '.error // empty')"

# ---- 13. session resumption ----
for v in TLSv1_2 TLSv1_3; do
    tc resume --max "$v" --sni a.test --then a.test --then a.test --then b.test --then nomatch.test \
        --then a.test --then a.test
    check_eq "$v: a.test session offered again to a.test: resumed (4 times out of 4)" \
        "false true true true true" \
        "$(jv '"\(.first.reused) \(.then[0].reused) \(.then[1].reused) \(.then[4].reused) \(.then[5].reused)"')"
    check_eq "... its version" "$v" "$(jv '.then[0].version' | tr . _)"
    check_eq "$v: the a.test session offered with SNI b.test: not resumed, b.test's certificate" \
        "false b.test 200" "$(jv '"\(.then[2].reused) \(.then[2].cn) \(.then[2].status)"')"
    check_eq "$v: ... nor with a name of the default server" "false default.test" \
        "$(jv '"\(.then[3].reused) \(.then[3].cn)"')"
done

# ---- 11. the scheme: redirects, CGI, proxy ----
http -H 'Host: WWW.Example.TEST:8080' "$U/secure/a%20b/c?x=1&y=%2F"
expect_status "redirect {to: https://{host}:PORT{uri}, 308} on the plain port: 308" 308
expect_header "... Location: https, the host lower-cased without its port, the whole target" \
    Location "https://www.example.test:$PT/secure/a%20b/c?x=1&y=%2F"
http -H 'Host: Default.Test.' "$U/secure/"
expect_header "... a trailing dot dropped" Location "https://default.test:$PT/secure/"
cu default.test /secure/q?z=1
expect_header "... over TLS too" Location "https://default.test:$PT/secure/q?z=1"
cu default.test /cgi-bin/env.sh
expect_status "CGI over TLS: 200" 200
env_of() { sed -n "s/^$1=//p" "$BODY"; } # a variable of env.sh's output
check_eq "... HTTPS=on" on "$(env_of HTTPS)"
check_eq "... REQUEST_SCHEME=https" https "$(env_of REQUEST_SCHEME)"
check_eq "... SERVER_PORT: the TLS port" "$PT" "$(env_of SERVER_PORT)"
http "$U/cgi-bin/env.sh"
expect_status "CGI over plain HTTP: 200" 200
check_eq "... REQUEST_SCHEME=http" http "$(env_of REQUEST_SCHEME)"
check "... no HTTPS variable" "! grep -q '^HTTPS=' '$BODY'"
cu default.test -H 'X-Forwarded-Proto: http' /px/a?b=1
expect_status "proxy over TLS: 200 from the backend" 200
check_eq "... X-Forwarded-Proto: https (the client's one replaced)" https "$(seen x-forwarded-proto)"
check_eq "... X-Forwarded-Host: the client's Host" "default.test:$PT" "$(seen x-forwarded-host)"
http -H 'X-Forwarded-Proto: https' "$U/px/a"
check_eq "proxy over plain HTTP: X-Forwarded-Proto: http" http "$(seen x-forwarded-proto)"

# ---- 9. SIGHUP with a new certificate for a.test ----
# In flight at the reload, all made with the old certificate: a connection
# that finished its handshake but sent nothing yet, an idle keep-alive one,
# a 100 MiB download paused after 1 MiB, and sessions of a.test and b.test.
ln "$T/www/dflt/big.bin" "$T/www/a/big.bin"
R=$T/reload
mkdir -p "$R"
TCA=(python3 "$TLSC" --port "$PT" --cafile "$C/ca.pem" --timeout $((30 * SLOW)) --sni a.test)
"${TCA[@]}" hold --requests-before 0 --ready "$R/r1" --go "$R/go" >"$R/fresh.json" 2>>"$T/tlsclient.err" &
q1=$!
"${TCA[@]}" hold --requests-before 1 --ready "$R/r2" --go "$R/go" >"$R/idle.json" 2>>"$T/tlsclient.err" &
q2=$!
"${TCA[@]}" download --get /big.bin --first 1048576 --ready "$R/r3" --go "$R/go" >"$R/dl.json" 2>>"$T/tlsclient.err" &
q3=$!
"${TCA[@]}" resume --then a.test --ready "$R/r4" --go "$R/go" >"$R/resume-a.json" 2>>"$T/tlsclient.err" &
q4=$!
python3 "$TLSC" resume --port "$PT" --cafile "$C/ca.pem" --timeout $((30 * SLOW)) --sni b.test --then b.test \
    --ready "$R/r5" --go "$R/go" >"$R/resume-b.json" 2>>"$T/tlsclient.err" &
q5=$!
all_ready() { [ -e "$R/r1" ] && [ -e "$R/r2" ] && [ -e "$R/r3" ] && [ -e "$R/r4" ] && [ -e "$R/r5" ]; }
check "5 clients connected before the reload" poll 10 all_ready
old=$(children)
reloads() { grep -c 'configuration reloaded' "$SERVER_ERR"; }
n0=$(reloads)
cp "$C/a2.pem" "$C/served-a.pem"
cp "$C/a2.key" "$C/served-a.key"
kill -HUP "$SERVER_PID"
reloaded() { [ "$(reloads)" -gt "$n0" ]; }
check "SIGHUP with the new a.test files: 'configuration reloaded'" poll 5 reloaded
new_worker() { pgrep -P "$SERVER_PID" | grep -qvxF -f <(tr ' ' '\n' <<<"$old" | grep .); }
check "... new workers start" poll 5 new_worker
touch "$R/go"
tc info --sni a.test --get /
check_eq "after the reload, a new connection to a.test: the new certificate" "$FP_A2 200" "$(jv '"\(.sha256) \(.status)"')"
check_eq "... its serial is the new one's" \
    "$(openssl x509 -noout -serial -in "$C/a2.pem" | cut -d= -f2)" "$(jv .serial)"
check "... not the old one's" "[ '$(jv .serial)' != '$(openssl x509 -noout -serial -in "$C/a.pem" | cut -d= -f2)' ]"
tc info --sni b.test
check_eq "... b.test keeps its certificate" "$FP_B" "$(jv .sha256)"
wait $q1 $q2 $q3 $q4 $q5
J=$(cat "$R/fresh.json")
check_eq "a connection opened (handshake done) before the reload: its request after it is served (old certificate)" \
    "200 site-a-root $FP_A" "$(jv '"\(.after) \(.body) \(.sha256)"' | tr -d '\n')"
J=$(cat "$R/idle.json")
check_eq "an idle keep-alive connection (one request before): closed by the old worker at the reload, cleanly (as nginx does)" \
    "200 null EOFError: closed by the server" "$(jv '"\(.before[0]) \(.after) \(.error)"')"
J=$(cat "$R/dl.json")
check_eq "a 100 MiB download over TLS paused across the reload: whole (sha256), old certificate" \
    "200 104857600 $SUM_BIG $FP_A" "$(jv '"\(.status) \(.len) \(.sha256) \(.cert_sha256)"')"
J=$(cat "$R/resume-b.json")
check_eq "a b.test session from before the reload resumes after it (ticket keys survive SIGHUP)" \
    "true" "$(jv '.then[0].reused')"
J=$(cat "$R/resume-a.json")
check_eq "an a.test session from before is not resumed under the new certificate" \
    "true $FP_A false $FP_A2" "$(jv '"\(.ok) \(.first.sha256) \(.then[0].reused) \(.then[0].sha256)"')"
old_gone() { [ "$(pgrep -P "$SERVER_PID" | wc -l)" = 2 ]; }
check "the old workers exit" poll 10 old_gone
SERVER_CHILDREN=$(children)

# ---- 9b. SIGHUP with a key that does not match: the old configuration stays ----
cp "$C/other.key" "$C/served-a.key"
kill -HUP "$SERVER_PID"
check "SIGHUP with a mismatched key: 'reload failed' logged" "wait_log 'reload failed'"
line=$(grep 'reload failed' "$SERVER_ERR" | tail -1)
check_match "... at the key: entry (file:line:col), naming 'key'" \
    "configuration: $CFG:$(pos_of "$CFG" "$C/served-a.key"): .*'key'" "$line"
check_match "... naming both files" "served-a\\.key.*served-a\\.pem|served-a\\.pem.*served-a\\.key" "$line"
sleep 0.3
check_eq "... the workers are kept" "$SERVER_CHILDREN" "$(children)"
tc info --sni a.test --get /
check_eq "... a.test still gets the certificate in use (the second one)" "$FP_A2 200" "$(jv '"\(.sha256) \(.status)"')"
cu a.test /
expect_status "... curl verifies it and gets the page" 200
cp "$C/a2.key" "$C/served-a.key"

stop_server
exit 0
