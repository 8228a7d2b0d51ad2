#!/usr/bin/env bash
# The reverse proxy, the parts that take time (test_proxy.sh has the
# rest), against python backends of its own (helpers/upstream.py):
# timeouts before the response head (a GET retried on the next server, a
# POST not, every server slow, a head begun and left unfinished), a group
# whose servers all failed coming back (the first answer puts its server
# back at once), a WebSocket tunnel where only one side talks, pooled
# connections the backend closed while idle (a POST is never sent on one),
# and the worker's memory while a client reads a 1 GiB body slowly.
# Functions run by poll, check and trap (SC2317); stop_server's optional
# argument (SC2119):
# shellcheck disable=SC2317,SC2119
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=integration/proxy_lib.sh
. "$(dirname "$0")/proxy_lib.sh"

# ------------------------------------------------------------- start up
up_launch A
up_launch B
up_launch R1
up_launch R2
up_launch W
up_launch S
up_launch I --idle-close 0.5 # closes a keep-alive connection idle for 0.5 s
for n in A B R1 R2 W S I; do up_wait "$n" || exit 0; done
PA=${UP_PORT[A]} PB=${UP_PORT[B]} PR1=${UP_PORT[R1]} PR2=${UP_PORT[R2]}

PORT=$(new_port)
U=http://127.0.0.1:$PORT
mkdir -p "$T/root"
echo "static beside the proxy" >"$T/root/index.html"
CFG=$T/proxy-more.yaml
cat >"$CFG" <<EOF
workers: 1
error_log: "-"
log_level: info
access_log: off
timeouts: {upstream_connect: 1s, upstream: 1s}
upstreams:
  slowfirst: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  slowpost: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  allslow: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  halfhead: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  rec:
    servers: [127.0.0.1:$PR1, 127.0.0.1:$PR2]
    max_fails: 1
    fail_timeout: 30s
servers:
  - listen: $PORT
    root: $T/root
    locations:
      /:
        methods: [GET, HEAD]
      /status:
        status: true
      /t1/:
        proxy: http://slowfirst
      /t2/:
        methods: [GET, POST]
        proxy: http://slowpost
      /t3/:
        proxy: http://allslow
      /t4/:
        proxy: http://halfhead
      /rec/:
        proxy: http://rec
      /ws/:
        proxy: http://127.0.0.1:${UP_PORT[W]}
      /idle/:
        methods: [GET, POST]
        proxy: http://127.0.0.1:${UP_PORT[I]}
      /big/:
        proxy: http://127.0.0.1:${UP_PORT[S]}
        timeouts: {upstream: 10s}
EOF
start_server "$CFG" || exit 0
WORKER=$(worker)

# timed_http ARGS...: http, with EL the seconds it took
timed_http() {
    local t0
    t0=$(date +%s.%N)
    http --max-time $((10 * SLOW)) "$@"
    EL=$(since "$t0")
}
# slower A B: the larger of two durations
slower() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a) ? b : a }'; }

# ================================================ timeouts before the head
# timeouts.upstream is 1 s; a backend told sleep=3 sends nothing for 3 s.
# Two GETs to [A, B], A slow: one of them goes to A first (round robin),
# times out there and is answered by B; the other goes to B.
timed_http "$U/t1/g?sleep=3&sleep_on=$PA&tag=t1"
st1="$STATUS/$(hdr X-Up-Id)" el1=$EL
timed_http "$U/t1/g?sleep=3&sleep_on=$PA&tag=t1"
st2="$STATUS/$(hdr X-Up-Id)" el2=$EL
check_eq "2 GETs to [A silent past timeouts.upstream, B]: both answered 200 by B" \
    "200/$PB 200/$PB" "$st1 $st2"
worst=$(slower "$el1" "$el2")
check "... the one sent to A first took about one timeout (1 s; ${el1}s and ${el2}s)" \
    between "$worst" 0.9 $((2 * SLOW))
check_eq "... A saw one of them, B both" "1 2" "$(up_tag A t1) $(up_tag B t1)"
check "... A's timeout logged at error" wait_log "\[error\].*upstream 127\.0\.0\.1:$PA \(slowfirst\): timed out"

# A POST that was sent is never sent again: 504 after one timeout.
timed_http -X POST --data-binary 'post-body' "$U/t2/p?sleep=3&tag=t2"
expect_status "a POST to a server silent past timeouts.upstream -> 504" 504
check "... after one timeout (1 s; got ${EL}s)" between "$EL" 0.9 $((2 * SLOW))
check_eq "... the backends saw it once" 1 "$(($(up_tag A t2) + $(up_tag B t2)))"

# Every server slow: each tried once, 504 after servers x timeout.
timed_http "$U/t3/g?sleep=3&tag=t3"
expect_status "a GET to [A, B], both silent past timeouts.upstream -> 504" 504
check "... after 2 x timeouts.upstream (2 s; got ${EL}s)" between "$EL" 1.8 $((3 * SLOW))
check_eq "... each server saw it once" "1 1" "$(up_tag A t3) $(up_tag B t3)"

# A head begun, then silence: a response byte came, so no retry.
timed_http "$U/t4/g?partial=3&tag=t4"
expect_status "a GET whose server sends part of a head, then nothing -> 504" 504
check "... after one timeout, not retried (1 s; got ${EL}s)" between "$EL" 0.9 $((2 * SLOW))
check_eq "... one server saw it" 1 "$(($(up_tag A t4) + $(up_tag B t4)))"
check_eq "... none of that head reached the client" "" "$(hdr X-Partial)"

# ===================================== a failed group comes back at once
# [R1, R2], max_fails 1, fail_timeout 30 s: both stopped, both fail and
# are out for 30 s; R1 restarted: servers out only for failures are tried
# anyway, and the first whole answer puts R1 back in service.
load --path /rec/warm --clients 1 --requests 4
check_eq "group [R1, R2]: 4 GETs, both servers serve" "4 2 2" \
    "$(lj .ok) $(lj ".ids[\"$PR1\"] // 0") $(lj ".ids[\"$PR2\"] // 0")"
up_stop R1
up_stop R2
http "$U/rec/down"
expect_status "both servers stopped -> 502" 502
rec_up() { # "R1 R2": their up flags in /status
    curl -s --max-time "$MAXT" "$U/status" |
        jq -r --arg a "127.0.0.1:$PR1" --arg b "127.0.0.1:$PR2" \
            '[.upstreams.rec[] | select(.server == $a), select(.server == $b) | .up | tostring] | join(" ")'
}
check_eq "... /status: both out (up false)" "false false" "$(rec_up)"
up_start R1 || exit 0
http "$U/rec/back"
check_eq "R1 restarted (within fail_timeout): the very next request -> 200 from R1" "200 $PR1" \
    "$STATUS $(hdr X-Up-Id)"
check_eq "... /status shows R1 up at once, R2 still out" "true false" "$(rec_up)"
r2_fails() { grep -c "upstream 127\.0\.0\.1:$PR2 (rec): cannot connect" "$SERVER_ERR"; }
n0=$(r2_fails)
load --path /rec/after --clients 1 --requests 20
check_eq "... the next 20 GETs: all 200 from R1 (no 502/200 alternation)" "20 0 20" \
    "$(lj .ok) $(lj .failed) $(lj ".ids[\"$PR1\"] // 0")"
check_eq "... R2, out for 30 s, not tried while R1 serves" "$n0" "$(r2_fails)"

# ============================================= WebSocket: one side talks
# The tunnel ends when either side has been silent for timeouts.upstream
# (1 s), each direction timed on its own: talk from one side does not keep
# it open.
ws_idle() { # PATH IDLE [--talk S]: the ws --idle line
    timeout $((20 * SLOW)) python3 "$PCLIENT" ws --port "$PORT" --path "$1" --idle "$2" \
        --timeout $((5 * SLOW)) "${@:3}" 2>&1 | grep -E '^(closed|still|FAIL)'
}
out=$(ws_idle "/ws/t?talk=0.3" 5)
check_match "backend sends a frame every 0.3 s, client silent: closed after timeouts.upstream (1 s): $out" \
    "^closed after (0\.9|1\.)" "$out"
check "... the backend's frames did reach the client (${out##* } bytes)" "[ ${out##* } -ge 16 ]"
out=$(ws_idle "/ws/m?mute=1" 5 --talk 0.3)
check_match "client sends a frame every 0.3 s, backend silent: closed after timeouts.upstream (1 s): $out" \
    "^closed after (0\.9|1\.)" "$out"
out=$(ws_idle /ws/e 2.5 --talk 0.3)
check_match "both sides talking every 0.3 s (frames echoed): still open after 2.5 s: $out" \
    "^still open after 2\.[5-9]" "$out"
check "... its echoes came back (${out##* } bytes)" "[ ${out##* } -ge 60 ]"
check "the silent tunnels logged at info" \
    "[ \$(grep -c '\[info\].*upstream 127\.0\.0\.1:${UP_PORT[W]}: WebSocket silent for timeouts.upstream on one side: closed' '$SERVER_ERR') -ge 2 ]"

# ================================= pooled connections closed by the backend
# Backend I closes a keep-alive connection idle for 0.5 s.
http "$U/idle/warm"
expect_status "GET to a backend that closes idle connections after 0.5 s -> 200" 200
c0=$(hdr X-Up-Conn)
sleep 1 # the pooled connection is closed by now
http -X POST --data-binary 'post-after-idle' "$U/idle/p?tag=post-idle"
check_eq "a POST 1 s later (its pooled connection closed by the backend): 200, on a new connection" \
    "200 POST post-after-idle yes" \
    "$STATUS $(echo_field method) $(echo_field body) $([ "$(hdr X-Up-Conn)" -gt "$c0" ] && echo yes)"
check_eq "... the backend saw exactly one POST" "1 1" "$(up_tag I post-idle) $(up_stats I '.methods.POST // 0')"
http "$U/idle/warm2"
sleep 1
http "$U/idle/g?tag=get-idle"
check_eq "a GET in the same situation: 200, seen once" "200 1" "$STATUS $(up_tag I get-idle)"

# The same with the worker stopped meanwhile (SIGSTOP): when it resumes,
# the client's request and the backend's close of the pooled connection
# are both waiting, the request first, so the close is not seen before the
# request is sent. A POST is only sent on a pooled connection that was
# checked first.
stopped_request() { # METHOD TAG: the request sent while the worker is stopped
    http "$U/idle/warm-$2"
    kill -STOP "$WORKER"
    curl -s --max-time $((10 * SLOW)) -X "$1" ${3:+--data-binary "$3"} -o "$T/stopped.b" \
        -w '%{http_code}' "$U/idle/s?tag=$2" >"$T/stopped.code" 2>/dev/null &
    local cp=$!
    sleep 1 # the request waits in the socket; the backend closes the pooled connection at 0.5 s
    kill -CONT "$WORKER"
    wait "$cp"
}
stopped_request POST post-stopped 'post-while-stopped'
check_eq "a POST that reaches the worker with its pooled connection closed unseen: 200, sent once" \
    "200 1" "$(cat "$T/stopped.code") $(up_tag I post-stopped)"
check_eq "... the backend got its body" "post-while-stopped" "$(jq -r .body "$T/stopped.b" 2>&1)"
stopped_request GET get-stopped
check_eq "a GET in the same situation: 200, seen once" "200 1" "$(cat "$T/stopped.code") $(up_tag I get-stopped)"
check_eq "the worker is still the first one" "$WORKER" "$(worker)"

# ==================================== a 1 GiB body to a slow reader, alone
# The backend could send the 1 GiB at once; the client reads 160 MiB of it
# at a steady 20 MB/s (~8 s), then closes. The worker reads the backend
# only as fast as the client takes the bytes: its RSS, sampled every
# 0.25 s from 1.5 s on, grows by < 2 MiB.
BIGN=$((1024 * 1024 * 1024))
READN=$((160 * 1024 * 1024))
want=$(python3 "$UPSTREAM" --pattern $READN | sha256sum | cut -d' ' -f1)
t0=$(date +%s.%N)
python3 "$PCLIENT" slowread --port "$PORT" --path "/big/slow?bytes=$BIGN" --rate 20000000 \
    --max $READN --timeout $((20 * SLOW)) >"$T/big.json" 2>&1 &
bigpid=$!
sleep 1.5
rss0=$(rss_kb "$WORKER") rssmax=0 samples=0
while kill -0 "$bigpid" 2>/dev/null; do
    r=$(rss_kb "$WORKER")
    [ -n "$r" ] && [ "$r" -gt "$rssmax" ] && rssmax=$r
    samples=$((samples + 1))
    sleep 0.25
done
wait "$bigpid"
el=$(since "$t0")
check_eq "a 1 GiB body read at 20 MB/s: 200, its length announced, 160 MiB read (${el}s)" \
    "200 $BIGN $READN max" "$(jq -r '"\(.status) \(.length) \(.got) \(.end)"' "$T/big.json" 2>&1)"
check_eq "... byte for byte (sha256 of the 160 MiB)" "$want" "$(jq -r .sha256 "$T/big.json" 2>&1)"
check "... at the client's pace (about 8.4 s; got ${el}s)" between "$el" 7 $((20 * SLOW))
check "... the worker's RSS grew by < 2 MiB while it read ($samples samples: ${rss0} kB at 1.5 s, at most ${rssmax} kB)" \
    "[ $samples -ge 10 ] && [ $((${rssmax:-999999} - ${rss0:-0})) -lt 2048 ]"
http "$U/big/after?bytes=10"
expect_status "... then the next request -> 200" 200
check_eq "the worker is still the first one" "$WORKER" "$(worker)"

stop_server
exit 0
