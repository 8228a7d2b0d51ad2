#!/usr/bin/env bash
# The command line: -t (configuration test), -T (dump), -V, and the
# file:line:col errors of invalid configurations.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
ROOT=$WWW

# run_t FILE [extra args]: runs `portico -t -c FILE`; sets OUT (stdout and
# stderr) and RC.
run_t() {
    local f=$1
    shift
    OUT=$(cd "$T" && timeout 10 "$PORTICO_BIN" -t -c "$f" "$@" 2>&1)
    RC=$?
    LAST_REQ="portico -t -c $f"
}

# bad NAME FILE LINE [ERE]: -t fails with exit 1 and FILE:LINE:COL: first.
bad() {
    local name=$1 f=$2 line=$3 re=${4:-}
    run_t "$f"
    check_eq "$name: exit status 1" 1 "$RC"
    local first
    first=$(head -1 <<<"$OUT")
    check_match "$name: error starts with $(basename "$f"):$line:COL:" "^$(sed 's/[].[*^$]/\\&/g' <<<"$f"):$line:[0-9]+: " "$first"
    [ -z "$re" ] || check_match "$name: message" "$re" "$OUT"
    check_eq "$name: no 'configuration OK'" "" "$(grep 'configuration OK' <<<"$OUT")"
}

good_cfg() {
    cat <<EOF
workers: 1
access_log: off
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    locations:
      /:
        methods: [GET, HEAD]
EOF
}

# ---- good configurations ----
good_cfg >"$T/good.yaml"
run_t "$T/good.yaml"
check_eq "-t on a good config: exit 0" 0 "$RC"
check_match "-t on a good config prints 'configuration OK'" 'configuration OK' "$OUT"

for f in basic timeouts connections; do
    run_t "$CONFIGS/$f.yaml"
    check_eq "-t configs/test/$f.yaml (as committed): exit 0" 0 "$RC"
    check_match "-t configs/test/$f.yaml: configuration OK" 'configuration OK' "$OUT"
done
# Its certificate for HTTPS is made by scripts/tls-cert.sh, as make run does
# (into the checkout's build/tls/, ignored by git; kept when it is there).
check "scripts/tls-cert.sh makes or keeps build/tls/ (default.yaml's certificate)" \
    "$REPO_DIR/scripts/tls-cert.sh" "$REPO_DIR/build/tls"
run_t "$REPO_DIR/configs/default.yaml"
check_eq "-t configs/default.yaml: exit 0" 0 "$RC"

# Relative paths in the file are relative to the file's folder, not the cwd.
mkdir -p "$T/sub/site"
echo hi >"$T/sub/site/index.html"
sed "s#root: $ROOT#root: site#" "$T/good.yaml" >"$T/sub/rel.yaml"
run_t sub/rel.yaml
check_eq "relative root resolved against the config's folder: exit 0" 0 "$RC"
OUT=$(cd / && "$PORTICO_BIN" -t -c "$T/sub/rel.yaml" 2>&1)
check_eq "... from another working directory too" 0 "$?"

# -t binds no port: it passes while the port is taken.
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
time.sleep(60)' "$PORT" &
holder=$!
# Wait until the holder listens: on a loaded machine half a second is not
# always enough, and a start on a free port would run until the timeout.
for ((i = 0; i < 50; i++)); do
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
        "$PORT" 2>/dev/null && break
    sleep 0.1
done
run_t "$T/good.yaml"
check_eq "-t succeeds while the listen port is in use (binds nothing)" 0 "$RC"
# A real start on a taken port fails cleanly.
OUT=$(timeout 10 "$PORTICO_BIN" -c "$T/good.yaml" 2>&1)
rc=$?
check_eq "start on a port in use: exit 1" 1 "$rc"
check_match "start on a port in use: says why" '(in use|listen)' "$OUT"
# ... and the way out (issue 10), once: the error log is stderr here.
check_match "... names the way out: who holds it, another port" \
    "another program listens on port $PORT \\(ss -ltnp 'sport = :$PORT' names it\\); stop it, or listen on another port" "$OUT"
check_eq "... said once on stderr (the error log is stderr)" 1 "$(grep -c 'cannot listen' <<<"$OUT")"
sed 's/^workers: 1$/workers: 1\nerror_log: err.log/' "$T/good.yaml" >"$T/errlog.yaml"
OUT=$(cd "$T" && timeout 10 "$PORTICO_BIN" -c "$T/errlog.yaml" 2>&1)
check_match "with error_log in a file: the terminal still gets the reason" "^portico: cannot listen on 127\\.0\\.0\\.1:$PORT: Address already in use: another program" "$OUT"
check "... and the file too" "grep -q 'cannot listen on 127.0.0.1:$PORT' '$T/err.log'"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# A port below net.ipv4.ip_unprivileged_port_start for a user without
# CAP_NET_BIND_SERVICE: why, and what to do (issue 10). As root the server
# runs as nobody (setpriv drops every capability with the uid).
LOW=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if [ "$LOW" -le 1 ] || { [ ${#as_user[@]} -gt 0 ] && ! command -v setpriv >/dev/null; }; then
    echo "  skip  privileged port: every port is unprivileged here, or no setpriv"
else
    PP=$(mktemp -d "${TMPDIR:-/tmp}/portico-priv.XXXXXX")
    chmod 755 "$PP"
    sed "s/127.0.0.1:$PORT/127.0.0.1:$((LOW - 1))/" "$T/good.yaml" >"$PP/low.yaml"
    chmod 644 "$PP/low.yaml"
    OUT=$(cd / && timeout 10 "${as_user[@]}" "$PORTICO_BIN" -c "$PP/low.yaml" 2>&1)
    rc=$?
    rm -rf "$PP"
    check_eq "port $((LOW - 1)) as a user: exit 1" 1 "$rc"
    check_match "... says why: a privileged port" "Permission denied: ports below $LOW are privileged" "$OUT"
    check_match "... and what to do: a port above $((LOW - 1)), the capability, or root" \
        "listen on a port above $((LOW - 1)) .*cap_net_bind_service=\\+ep .*or start it as root" "$OUT"
    check_eq "... said once" 1 "$(grep -c 'Permission denied' <<<"$OUT")"
fi

# ---- -T ----
OUT=$("$PORTICO_BIN" -T -c "$CONFIGS/basic.yaml" 2>&1)
check_eq "-T: exit 0" 0 "$?"
check_match "-T prints the pipelines" 'pipeline' "$OUT"
check_match "-T shows the static handler" 'static' "$OUT"
check_match "-T lists the locations" '/alias/' "$OUT"
check_match "-T ends with 'configuration OK'" 'configuration OK$' "$(tail -1 <<<"$OUT")"

# ---- -V, -h ----
OUT=$("$PORTICO_BIN" -V 2>&1)
check_eq "-V: exit 0" 0 "$?"
check_match "-V prints portico/VERSION" '^portico/[0-9]+\.[0-9]+' "$OUT"
OUT=$("$PORTICO_BIN" -h 2>&1)
check_match "-h prints the usage" 'usage' "$OUT"
OUT=$("$PORTICO_BIN" --no-such-flag 2>&1)
rc=$?
check "an unknown option: non-zero exit ($rc)" "[ $rc -ne 0 ]"

# ---- errors ----
# Unknown key with a suggestion: line 5 column 5.
cat >"$T/typo.yaml" <<EOF
workers: 1
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    lisen: 8081
    locations:
      /: {}
EOF
bad "unknown key 'lisen'" "$T/typo.yaml" 5 "did you mean 'listen'"
check_match "unknown key: file:line:col exact (5:5) and names the key" \
    "^$T/typo.yaml:5:5: .*lisen" "$(head -1 <<<"$OUT")"

cat >"$T/typo2.yaml" <<EOF
worker: 1
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    locations:
      /: {}
EOF
bad "unknown top-level key 'worker'" "$T/typo2.yaml" 1 "did you mean 'workers'"

cat >"$T/typo3.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    locations:
      /:
        method: [GET]
EOF
bad "unknown location key 'method'" "$T/typo3.yaml" 6 "did you mean 'methods'"

# A tab in the indentation (issue 10): said so, at its line and column.
printf 'workers: 1\nservers:\n  - listen: "127.0.0.1:%s"\n    root: %s\n    locations:\n\t/: {}\n' \
    "$PORT" "$ROOT" >"$T/tab.yaml"
bad "a tab in the indentation" "$T/tab.yaml" 6 "a tab in the indentation: YAML indents with spaces only"
check_match "... at the tab's column (6:1)" "^$T/tab.yaml:6:1: " "$OUT"
sed 's/^    root:/  \t root:/' "$T/tab.yaml" | sed 's/^\t\//      \//' >"$T/tab2.yaml"
bad "a tab after two spaces" "$T/tab2.yaml" 4 "a tab in the indentation"
check_match "... at the tab's column (4:3)" "^$T/tab2.yaml:4:3: " "$OUT"

cat >"$T/noroot.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PORT"
    root: $T/does/not/exist
    locations:
      /: {}
EOF
bad "missing root directory" "$T/noroot.yaml" 3 "(does/not/exist|root)"

cat >"$T/noerrpage.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    error_pages:
      404: /errors/nope.html
    locations:
      /: {}
EOF
bad "missing error page file" "$T/noerrpage.yaml" 5 "nope.html|error"

cat >"$T/badsize.yaml" <<EOF
limits:
  body_size: 10x
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    locations:
      /: {}
EOF
bad "bad size '10x'" "$T/badsize.yaml" 2 "size|10x"

cat >"$T/baddur.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    timeouts:
      header: 5 parsecs
    locations:
      /: {}
EOF
bad "bad duration '5 parsecs'" "$T/baddur.yaml" 5

cat >"$T/badmethod.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    locations:
      /:
        methods: [GET, BREW]
EOF
bad "unknown method BREW in methods" "$T/badmethod.yaml" 6 "BREW"

cat >"$T/badport.yaml" <<EOF
servers:
  - listen: 70000
    root: $ROOT
    locations:
      /: {}
EOF
bad "port out of range" "$T/badport.yaml" 2

cat >"$T/badbool.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    locations:
      /:
        autoindex: maybe
EOF
bad "bad boolean 'maybe'" "$T/badbool.yaml" 6

cat >"$T/syntax.yaml" <<EOF
servers:
  - listen: [8080
    root: $ROOT
EOF
run_t "$T/syntax.yaml"
check_eq "YAML syntax error: exit 1" 1 "$RC"
check_match "YAML syntax error: FILE:LINE:COL:" "^$T/syntax.yaml:[0-9]+:[0-9]+: " "$(head -1 <<<"$OUT")"

printf 'workers: 1\n' >"$T/noservers.yaml"
run_t "$T/noservers.yaml"
check_eq "no servers: exit 1" 1 "$RC"
check_match "no servers: message starts with the file path" "^$T/noservers.yaml:" "$(head -1 <<<"$OUT")"

: >"$T/empty.yaml"
run_t "$T/empty.yaml"
check_eq "empty file: exit 1" 1 "$RC"
check_match "empty file: message starts with the file path" "^$T/empty.yaml" "$(head -1 <<<"$OUT")"

cat >"$T/nolocations.yaml" <<EOF
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
EOF
run_t "$T/nolocations.yaml"
check_eq "server without locations: exit 1" 1 "$RC"
check_match "server without locations: file:line:col" "^$T/nolocations.yaml:[0-9]+:[0-9]+: " "$(head -1 <<<"$OUT")"

run_t "$T/missing-file.yaml"
check_eq "missing config file: exit 1" 1 "$RC"
check_match "missing config file: names it" "missing-file.yaml" "$OUT"

# A file portico's user may not read (typically a host file of mode 0600
# mounted into a container that runs as another user): the error says who
# portico runs as, whose the file is, its mode, and the chmod that fixes it.
# As root, portico runs as nobody (root reads anything); else the file is
# made unreadable to its owner.
D=$(mktemp -d "${TMPDIR:-/tmp}/portico-it-perm.XXXXXX")
chmod 755 "$D"
good_cfg >"$D/secret.yaml"
cp "$PORTICO_BIN" "$D/portico"
as_other=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chmod 600 "$D/secret.yaml"
    as_other=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    mode=0600 owner="uid 0 gid 0" user="uid 65534 gid 65534"
else
    chmod 000 "$D/secret.yaml"
    mode=0000 owner="uid $(id -u) gid $(id -g)" user=$owner
fi
OUT=$(timeout 10 "${as_other[@]}" "$D/portico" -t -c "$D/secret.yaml" 2>&1)
check_eq "unreadable config file: exit 1" 1 "$?"
check_match "unreadable config file: why, and what to do" \
    "^$D/secret.yaml:1:1: cannot open: Permission denied: portico runs as $user, and the file belongs to $owner with mode $mode: make it readable to portico's user, e.g. chmod a\\+r $D/secret.yaml " \
    "$OUT"
if [ "${#as_other[@]}" -gt 0 ]; then
    mkdir -m 700 "$D/closed"
    good_cfg >"$D/closed/ok.yaml"
    OUT=$(timeout 10 "${as_other[@]}" "$D/portico" -t -c "$D/closed/ok.yaml" 2>&1)
    check_match "config file in a folder closed to portico: says so" \
        "cannot open: Permission denied: portico runs as $user, and a folder on the way to the file is closed to it" "$OUT"
fi
rm -rf "$D"

# An invalid config never starts a server.
OUT=$(timeout 10 "$PORTICO_BIN" -c "$T/typo.yaml" 2>&1)
check_eq "starting with an invalid config: exit 1" 1 "$?"
code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$PORT/")
check_eq "... and nothing listens on its port" 000 "$code"

# ---- TLS settings (issue 12): checked by -t, shown by -T ----
# The certificate and key are the unit tests' (config reads no PEM: that
# they exist and are readable regular files is all -t checks here), copied
# beside the files that name them relatively. -t binds nothing.
mkdir -p "$T/tls/certs"
cp "$REPO_DIR/tests/unit/data/config/tls/site.pem" "$REPO_DIR/tests/unit/data/config/tls/site.key" \
    "$T/tls/certs/"
TLS_PORT=$(free_port)
tls_cfg() { # $1: the listen value, $2: the tls block's key path
    cat <<EOF
servers:
  - listen: $1
    tls:
      certificate: certs/site.pem
      key: $2
    root: $ROOT
    locations:
      /: {}
EOF
}
tls_cfg "[\"127.0.0.1:$PORT\", {address: \"127.0.0.1:$TLS_PORT\", tls: true}]" certs/site.key \
    >"$T/tls/ok.yaml"
run_t "$T/tls/ok.yaml"
check_eq "-t with a tls listen item and a tls block: exit 0" 0 "$RC"
check_eq "... configuration OK, no warning" "configuration OK" "$OUT"
OUT=$("$PORTICO_BIN" -T -c "$T/tls/ok.yaml" 2>&1)
check_match "-T shows the tls listen item as the file writes it" \
    "  listen: 127\\.0\\.0\\.1:$PORT \\{address: \"127\\.0\\.0\\.1:$TLS_PORT\", tls: true\\}" "$OUT"
check_match "-T marks the TLS listener" "listener 127\\.0\\.0\\.1:$TLS_PORT \\(tls\\): " "$OUT"
check_match "-T shows the tls block, paths joined to the file's folder, the certificate's subject and end, default protocols" \
    "  tls:
    certificate: $T/tls/certs/site\\.pem
    # subject CN=example\\.test, expires [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} [0-9]{4} GMT
    key: $T/tls/certs/site\\.key
    protocols: TLSv1\\.2 TLSv1\\.3" "$OUT"

tls_cfg "[{address: \"127.0.0.1:$PORT\", tls: false}]" certs/site.key >"$T/tls/unused.yaml"
run_t "$T/tls/unused.yaml"
check_eq "-t with a tls block no listen item uses: exit 0" 0 "$RC"
check_eq "... warns at the tls key, then configuration OK" \
    "$T/tls/unused.yaml:3:5: warning: 'tls' has no effect: no listen item of this server has tls: true
configuration OK" "$OUT"

tls_cfg "[{address: \"127.0.0.1:$PORT\", tls: true}]" certs/gone.key >"$T/tls/nokey.yaml"
bad "tls key file missing" "$T/tls/nokey.yaml" 5
check_eq "... at the key's value, naming the resolved path and why" \
    "$T/tls/nokey.yaml:5:12: cannot read 'key' $T/tls/certs/gone.key: No such file or directory" \
    "$OUT"

sed '/^    tls:$/,/^      key:/d' "$T/tls/ok.yaml" >"$T/tls/noblock.yaml"
bad "tls: true without a tls block" "$T/tls/noblock.yaml" 2
item="  - listen: [\"127.0.0.1:$PORT\", "
check_eq "... at the listen item" \
    "$T/tls/noblock.yaml:2:$((${#item} + 1)): listen 127.0.0.1:$TLS_PORT has tls: true, but the server has no 'tls' with its certificate and key" \
    "$OUT"

# ---- a whole start/stop with the good config ----
U=http://127.0.0.1:$PORT
start_server "$T/good.yaml" || exit 0
http "$U/"
expect_status "server from the -t-checked config answers" 200
stop_server

# ---- listen forms: a bare port is 0.0.0.0 only; [::1]:port is IPv6 ----
has_v6=$(python3 -c 'import socket
try:
    s = socket.socket(socket.AF_INET6); s.bind(("::1", 0)); print(1)
except OSError:
    print(0)')
PORT2=$(free_port)
cat >"$T/listen.yaml" <<EOF
workers: 1
access_log: off
servers:
  - listen: $PORT
    root: $ROOT
    locations:
      /: {}
EOF
[ "$has_v6" = 1 ] && sed -i "s/^  - listen: $PORT\$/  - listen: [$PORT, \"[::1]:$PORT2\"]/" "$T/listen.yaml"
start_server "$T/listen.yaml" || exit 0
http "$U/"
expect_status "listen: PORT answers on 127.0.0.1" 200
if [ "$has_v6" = 1 ]; then
    http -g "http://[::1]:$PORT/"
    check_eq "listen: PORT does not bind IPv6 ([::1]:PORT refused)" 000 "$STATUS"
    http -g "http://[::1]:$PORT2/"
    expect_status "listen: \"[::1]:PORT\" answers on IPv6" 200
    http "http://127.0.0.1:$PORT2/"
    check_eq "... and only there (127.0.0.1:PORT2 refused)" 000 "$STATUS"
fi
stop_server
exit 0
