#!/usr/bin/env bash
# Virtual hosts (issue 5, item 1; docs/config.md, "Servers"), from
# configs/test/vhosts.yaml: several servers on one address and on several,
# selection by Host (exact name, case-insensitive, trailing dot, port
# ignored), the longest wildcard, the address's default server (flagged or
# first listed), HTTP/1.0 without Host, absolute-form targets, a wildcard
# and a specific address on one port, IPv6; config errors for two default
# servers or one name twice on an address.
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"

D=$T/www
for s in p1-first p1-a p1-wild p1-deep p1-default both p2-first p2-a p3-any p3-any2 p3-lo \
    p4-v6default p4-v6named; do
    mkdir -p "$D/$s"
    printf 'SERVER=%s\n' "$s" >"$D/$s/index.html"
done

HAVE_V6=0
python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))' 2>/dev/null && HAVE_V6=1
HAVE_LO2=0
python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.2", 0))' 2>/dev/null && HAVE_LO2=1

use_config vhosts # PORT (P1), PORT2 (P2)
P1=$PORT
P2=$PORT2
P3=$(free_port)
P4=$(free_port)
while [ "$P3" = "$P1" ] || [ "$P3" = "$P2" ]; do P3=$(free_port); done
while [ "$P4" = "$P1" ] || [ "$P4" = "$P2" ] || [ "$P4" = "$P3" ]; do P4=$(free_port); done
extra=()
if [ "$HAVE_V6" = 0 ]; then
    echo "  (no ::1 on this machine: the IPv6 checks are skipped)"
    extra+=("[::1]:@P4@=127.0.0.1:@P4@")
fi
[ "$HAVE_LO2" = 0 ] && extra+=("127.0.0.2:@P4@=127.0.0.1:$P1") # (not expected on Linux)
render "$CONFIGS/vhosts.yaml" "$CONFIG" "@DOCROOT@=$D" "${extra[@]}" "@P3@=$P3" "@P4@=$P4"

OUT=$("$PORTICO_BIN" -t -c "$CONFIG" 2>&1)
check_eq "-t vhosts.yaml (rendered): exit 0" 0 "$?"
[ "$HAVE_LO2" = 0 ] && sed -i "/127.0.0.2/d" "$CONFIG"

start_server "$CONFIG" || exit 0

# who [curl args...] URL: sets WHO, the server that answered (the SERVER=
# line of the index page, '' when none), and STATUS like http.
who() {
    http "$@"
    WHO=$(sed -n 's/^SERVER=//p' "$BODY" | head -1)
}

# expect_server NAME SERVER [curl args...] URL
expect_server() {
    local name=$1 want=$2 got
    shift 2
    who "$@"
    got=$WHO
    if [ "$STATUS" = 200 ] && [ "$got" = "$want" ]; then
        pass "$name"
    else
        fail "$name" "request: $LAST_REQ; expected 200 from $want, got $STATUS from '${got:-?}'"
    fi
}

# expect_raw_server NAME SERVER PORT DATA [HOST-ADDRESS]
expect_raw_server() {
    local name=$1 want=$2 got
    RAW_PORT=$3 raw --host "${5:-127.0.0.1}" --expect 1 "$4"
    got=$(sed -n 's/^SERVER=//p' "$BODY" | head -1)
    if [ "$STATUS" = 200 ] && [ "$got" = "$want" ]; then
        pass "$name"
    else
        fail "$name" "request: $LAST_REQ on port $3; expected 200 from $want, got $STATUS from '${got:-?}'"
    fi
}

U1=http://127.0.0.1:$P1
U2=http://127.0.0.1:$P2

# ---- P1: exact names ----
expect_server "--resolve a.test -> a" p1-a --resolve "a.test:$P1:127.0.0.1" "http://a.test:$P1/"
expect_server "Host: a.test -> a" p1-a -H 'Host: a.test' "$U1/"
expect_server "Host: first.test -> the first listed server (by name)" p1-first -H 'Host: first.test' "$U1/"
expect_server "Host: A.TeSt (case-insensitive) -> a" p1-a -H 'Host: A.TeSt' "$U1/"
expect_server "Host: a.test. (trailing dot) -> a" p1-a -H 'Host: a.test.' "$U1/"
expect_server "Host: a.test:1234 (port ignored) -> a" p1-a -H 'Host: a.test:1234' "$U1/"
expect_server "Host: A.TEST.:$P1 (case, dot and port) -> a" p1-a -H "Host: A.TEST.:$P1" "$U1/"
expect_server "config name 'Upper.Test.' matches Host: upper.test" p1-a -H 'Host: upper.test' "$U1/"
expect_server "config name 'Upper.Test.' matches Host: UPPER.TEST." p1-a -H 'Host: UPPER.TEST.' "$U1/"
expect_server "Host: aa.test (no such name) -> the default server" p1-default -H 'Host: aa.test' "$U1/"
expect_server "Host: a.tes (a prefix of a name) -> the default server" p1-default -H 'Host: a.tes' "$U1/"
expect_server "Host: a.test.. (two trailing dots) -> not a.test" p1-default -H 'Host: a.test..' "$U1/"
expect_server "Host: default1.test -> the default server by name" p1-default -H 'Host: default1.test' "$U1/"

# ---- P1: wildcards ----
expect_server "Host: a.wild.test -> *.wild.test" p1-wild -H 'Host: a.wild.test' "$U1/"
expect_server "--resolve a.wild.test -> *.wild.test" p1-wild --resolve "a.wild.test:$P1:127.0.0.1" "http://a.wild.test:$P1/"
expect_server "Host: a.b.wild.test -> *.wild.test" p1-wild -H 'Host: a.b.wild.test' "$U1/"
expect_server "Host: A.WILD.TEST. -> *.wild.test" p1-wild -H 'Host: A.WILD.TEST.' "$U1/"
expect_server "Host: wild.test (no label before the suffix) -> default" p1-default -H 'Host: wild.test' "$U1/"
expect_server "Host: xwild.test (suffix not on a dot) -> default" p1-default -H 'Host: xwild.test' "$U1/"
expect_server "Host: .wild.test (empty label) -> not *.wild.test" p1-default -H 'Host: .wild.test' "$U1/"
expect_server "Host: x.deep.wild.test -> the longest wildcard *.deep.wild.test" p1-deep -H 'Host: x.deep.wild.test' "$U1/"
expect_server "Host: a.b.deep.wild.test -> *.deep.wild.test" p1-deep -H 'Host: a.b.deep.wild.test' "$U1/"
expect_server "Host: deep.wild.test -> *.wild.test (not *.deep.wild.test)" p1-wild -H 'Host: deep.wild.test' "$U1/"
expect_server "Host: x.deep.wild.test:99 -> *.deep.wild.test" p1-deep -H 'Host: x.deep.wild.test:99' "$U1/"
expect_server "Host: a.wild.test.evil -> default" p1-default -H 'Host: a.wild.test.evil' "$U1/"

# ---- P1: default server, no Host ----
expect_server "unknown host -> the default server (flagged, not first)" p1-default -H 'Host: nobody.test' "$U1/"
expect_server "Host: 127.0.0.1:P1 -> the default server" p1-default "$U1/"
expect_raw_server "HTTP/1.0 without Host -> the default server" p1-default "$P1" \
    'GET / HTTP/1.0\r\n\r\n'
expect_raw_server "HTTP/1.0 with Host: a.test -> a" p1-a "$P1" \
    'GET / HTTP/1.0\r\nHost: a.test\r\n\r\n'
RAW_PORT=$P1 raw 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'
expect_status "HTTP/1.1 without Host -> 400" 400

# ---- absolute-form targets: the target's host wins over Host ----
expect_raw_server "GET http://a.test/ with Host: first.test -> a" p1-a "$P1" \
    'GET http://a.test/ HTTP/1.1\r\nHost: first.test\r\nConnection: close\r\n\r\n'
expect_raw_server "GET http://A.Test.:9/ with Host: first.test -> a" p1-a "$P1" \
    'GET http://A.Test.:9/ HTTP/1.1\r\nHost: first.test\r\nConnection: close\r\n\r\n'
expect_raw_server "GET http://q.deep.wild.test/index.html with Host: a.test -> *.deep.wild.test" p1-deep "$P1" \
    'GET http://q.deep.wild.test/index.html HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n'
expect_raw_server "GET http://nobody.test/ with Host: a.test -> the default" p1-default "$P1" \
    'GET http://nobody.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n'
expect_raw_server "HTTP/1.0 GET http://a.test/ without Host -> a" p1-a "$P1" \
    'GET http://a.test/ HTTP/1.0\r\n\r\n'
python3 - "$P1" >"$T/absform.out" 2>&1 <<'EOF'
# The brief's own form: a plain socket, absolute-form target, other Host.
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET http://a.test/ HTTP/1.1\r\nHost: wild.test\r\nConnection: close\r\n\r\n")
buf = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    buf += c
head, _, body = buf.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), body.decode(errors="replace").strip())
EOF
check_match "raw socket: GET http://a.test/ + Host: wild.test -> a" '^HTTP/1.1 200 .*SERVER=p1-a$' "$(cat "$T/absform.out")"

# keep-alive: each request of one connection is matched on its own Host
RAW_PORT=$P1 raw --expect 3 'GET / HTTP/1.1\r\nHost: a.test\r\n\r\nGET / HTTP/1.1\r\nHost: x.wild.test\r\n\r\nGET / HTTP/1.1\r\nHost: nobody\r\nConnection: close\r\n\r\n'
got="$(sed -n 's/^SERVER=//p' "$T/raw$REQ_N/b1") $(sed -n 's/^SERVER=//p' "$T/raw$REQ_N/b2") $(sed -n 's/^SERVER=//p' "$T/raw$REQ_N/b3")"
check_eq "one connection, three Hosts -> three servers" "p1-a p1-wild p1-default" "$got"

# ---- a second address: its own servers and default ----
expect_server "P2: Host: a.test -> P2's a.test (not P1's)" p2-a -H 'Host: a.test' "$U2/"
expect_server "P2: --resolve a.test -> P2's a.test" p2-a --resolve "a.test:$P2:127.0.0.1" "http://a.test:$P2/"
expect_server "P2: unknown host -> the first listed server (no default flag)" p2-first -H 'Host: nobody.test' "$U2/"
expect_server "P2: Host: first.test (a P1 name) -> P2's default" p2-first -H 'Host: first.test' "$U2/"
expect_server "P2: Host: a.wild.test (a P1 wildcard) -> P2's default" p2-first -H 'Host: a.wild.test' "$U2/"
expect_raw_server "P2: HTTP/1.0 without Host -> P2's default" p2-first "$P2" 'GET / HTTP/1.0\r\n\r\n'
expect_server "both.test on P1" both -H 'Host: both.test' "$U1/"
expect_server "both.test on P2" both -H 'Host: both.test' "$U2/"

# ---- P3: 0.0.0.0 and 127.0.0.1 on one port ----
U3=http://127.0.0.1:$P3
expect_server "P3 via 127.0.0.1: Host: x.test -> the 127.0.0.1 server" p3-lo -H 'Host: x.test' "$U3/"
expect_server "P3 via 127.0.0.1: unknown host -> the 127.0.0.1 address's default" p3-lo -H 'Host: nobody.test' "$U3/"
expect_server "P3 via 127.0.0.1: Host: only-any.test (a 0.0.0.0 name) -> still the 127.0.0.1 server" p3-lo -H 'Host: only-any.test' "$U3/"
expect_server "P3 via 127.0.0.1: Host: any2.test -> still the 127.0.0.1 server" p3-lo -H 'Host: any2.test' "$U3/"
if [ "$HAVE_LO2" = 1 ]; then
    U3b=http://127.0.0.2:$P3
    expect_server "P3 via 127.0.0.2 (the 0.0.0.0 socket): Host: x.test -> the 0.0.0.0 server" p3-any -H 'Host: x.test' "$U3b/"
    expect_server "P3 via 127.0.0.2: Host: any2.test -> any2" p3-any2 -H 'Host: any2.test' "$U3b/"
    expect_server "P3 via 127.0.0.2: unknown host -> the 0.0.0.0 address's default" p3-any -H 'Host: nobody.test' "$U3b/"
    n=0
    for _ in $(seq 1 20); do
        who -H 'Host: x.test' "$U3/"
        a=$WHO
        who -H 'Host: x.test' "$U3b/"
        [ "$a" = p3-lo ] && [ "$WHO" = p3-any ] && n=$((n + 1))
    done
    check_eq "P3: 20 x 2 new connections always reach the right address's server" 20 "$n"
else
    echo "  (127.0.0.2 not bindable: the 0.0.0.0 side of P3 is skipped)"
fi
# As nginx does, only the wildcard is bound (CONFIG.md, "Details"): the
# 127.0.0.1 connections above came through the 0.0.0.0 socket and were told
# apart by their local address. No listening socket of 127.0.0.1:P3.
lo_listen=$(awk -v p="$(printf '0100007F:%04X' "$P3")" '$2 == p && $4 == "0A"' /proc/net/tcp | wc -l)
any_listen=$(awk -v p="$(printf '00000000:%04X' "$P3")" '$2 == p && $4 == "0A"' /proc/net/tcp | wc -l)
check_eq "P3: no socket listens on 127.0.0.1:$P3 (it rides on the wildcard's)" 0 "$lo_listen"
check "P3: the wildcard 0.0.0.0:$P3 listens (one socket per worker)" "[ $any_listen -ge 1 ]"
# ... and -t says what the specific address means for Host matching.
check_match "-t warns that 127.0.0.1:P3 hides the 0.0.0.0:P3 servers" \
    "warning: connections to 127.0.0.1:$P3 are served only by the servers listening on 127.0.0.1:$P3, not by those on 0.0.0.0:$P3" \
    "$OUT"
# a non-loopback address of this machine reaches the 0.0.0.0 socket too
ext=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("192.0.2.1", 9)); print(s.getsockname()[0])
except OSError:
    pass' 2>/dev/null)
if [ -n "$ext" ] && [ "${ext#127.}" = "$ext" ]; then
    expect_server "P3 via $ext: Host: x.test -> the 0.0.0.0 server" p3-any -H 'Host: x.test' "http://$ext:$P3/"
fi

# ---- P4: IPv6 ----
if [ "$HAVE_V6" = 1 ]; then
    U4="http://[::1]:$P4"
    expect_server "[::1]: unknown host -> its default" p4-v6default -H 'Host: nobody.test' "$U4/"
    expect_server "[::1]: Host: v6.test -> v6.test" p4-v6named -H 'Host: v6.test' "$U4/"
    expect_server "[::1]: --resolve v6.test:P4:::1 -> v6.test" p4-v6named --resolve "v6.test:$P4:::1" "http://v6.test:$P4/"
    expect_server "[::1]: Host: [::1]:P4 -> its default" p4-v6default "$U4/"
    expect_server "[::1]: Host: V6.TEST.:1 -> v6.test" p4-v6named -H 'Host: V6.TEST.:1' "$U4/"
    expect_raw_server "[::1]: HTTP/1.0 without Host -> its default" p4-v6default "$P4" 'GET / HTTP/1.0\r\n\r\n' ::1
    if [ "$HAVE_LO2" = 1 ]; then
        expect_server "127.0.0.2:P4 (one server on v4 and v6): unknown host -> it" p4-v6named -H 'Host: nobody.test' "http://127.0.0.2:$P4/"
    fi
fi

stop_server

# ---- config errors: both places named ----
# run_t FILE: -t; sets RC and OUT
run_t() {
    OUT=$("$PORTICO_BIN" -t -c "$1" 2>&1)
    RC=$?
}
# places TEXT FILE: the file:line:col places named, one per line
places() {
    grep -oE "$(basename "$2"):[0-9]+:[0-9]+" <<<"$1" | sed "s/^$(basename "$2")://" | sort -u | tr '\n' ' '
}
mkdir -p "$T/r1" "$T/r2"
echo r1 >"$T/r1/index.html"
echo r2 >"$T/r2/index.html"
PE=$(free_port)
PF=$(free_port)

cat >"$T/twodefaults.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PE"
    names: [one.test]
    default: true
    root: $T/r1
    locations:
      /: {}
  - listen: "127.0.0.1:$PE"
    names: [two.test]
    default: true
    root: $T/r2
    locations:
      /: {}
EOF
run_t "$T/twodefaults.yaml"
check_eq "two 'default: true' on one address: -t exit 1" 1 "$RC"
check_eq "... names both places (4:5 and 10:5)" "10:5 4:5 " "$(places "$OUT" "$T/twodefaults.yaml")"
check_match "... and says what is wrong" 'default' "$OUT"
check "... and not 'configuration OK'" "! grep -q 'configuration OK' <<<'$OUT'"

# Two defaults through a list of addresses: the clash is on the shared one.
cat >"$T/twodefaults2.yaml" <<EOF
servers:
  - listen: ["127.0.0.1:$PF", "127.0.0.1:$PE"]
    default: true
    root: $T/r1
    locations:
      /: {}
  - listen: "127.0.0.1:$PE"
    names: [two.test]
    root: $T/r2
    locations:
      /: {}
  - listen: "127.0.0.1:$PE"
    names: [three.test]
    default: yes
    root: $T/r2
    locations:
      /: {}
EOF
run_t "$T/twodefaults2.yaml"
check_eq "a server default on two addresses + another default on one: exit 1" 1 "$RC"
check_eq "... names both places (3:5 and 14:5)" "14:5 3:5 " "$(places "$OUT" "$T/twodefaults2.yaml")"

# Defaults on different addresses are fine.
cat >"$T/defaults-ok.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PE"
    default: true
    root: $T/r1
    locations:
      /: {}
  - listen: "127.0.0.1:$PF"
    default: true
    root: $T/r2
    locations:
      /: {}
  - listen: "127.0.0.1:$PF"
    names: [a.test]
    default: false
    root: $T/r2
    locations:
      /: {}
EOF
run_t "$T/defaults-ok.yaml"
check_eq "one default per address (and default: false): exit 0" 0 "$RC"

cat >"$T/dupname.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PE"
    names: [one.test, same.test]
    root: $T/r1
    locations:
      /: {}
  - listen: "127.0.0.1:$PE"
    names: [two.test, same.test]
    root: $T/r2
    locations:
      /: {}
EOF
run_t "$T/dupname.yaml"
check_eq "the same exact name on two servers of one address: exit 1" 1 "$RC"
check_eq "... names both places (3:23 and 8:23)" "3:23 8:23 " "$(places "$OUT" "$T/dupname.yaml")"
check_match "... and the name" 'same\.test' "$OUT"

cat >"$T/dupname-case.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PE"
    names: [Same.Test]
    root: $T/r1
    locations:
      /: {}
  - listen: "127.0.0.1:$PE"
    names: [same.test.]
    root: $T/r2
    locations:
      /: {}
EOF
run_t "$T/dupname-case.yaml"
check_eq "Same.Test and same.test. on one address (the same name): exit 1" 1 "$RC"
check_eq "... names both places (3:13 and 8:13)" "3:13 8:13 " "$(places "$OUT" "$T/dupname-case.yaml")"

cat >"$T/dupname-one.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PE"
    names: [one.test, two.test, one.test]
    root: $T/r1
    locations:
      /: {}
EOF
run_t "$T/dupname-one.yaml"
check_eq "one name twice in one server's list: exit 1" 1 "$RC"
check_eq "... names both places (3:13 and 3:33)" "3:13 3:33 " "$(places "$OUT" "$T/dupname-one.yaml")"

cat >"$T/dupname-ok.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PE"
    names: [same.test, "*.same.test"]
    root: $T/r1
    locations:
      /: {}
  - listen: "127.0.0.1:$PF"
    names: [same.test]
    root: $T/r2
    locations:
      /: {}
EOF
run_t "$T/dupname-ok.yaml"
check_eq "the same name on different addresses, and name + *.name: exit 0" 0 "$RC"
exit 0
