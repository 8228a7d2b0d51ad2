# shellcheck shell=bash disable=SC2034 # sets the knobs and tables of lib.sh
# bench/workers.sh -- the multi-process cases of make bench (a section of
# bench/run.sh, sourced; ONLY=workers): two workers each (portico
# workers: 2, nginx worker_processes 2, h2o num-threads 2, lighttpd
# server.max-worker = 2, caddy GOMAXPROCS 2), otherwise the configurations
# of bench/static.sh; wrk -t2 -c200; nothing pinned, so the servers and
# wrk share the two cores (on a 2-core machine wrk takes a good part).
#   workers2-1k   GET /1k.bin
#   workers2-1m   GET /1m.bin

def_case workers2-1k workers req/s hi "portico nginx h2o lighttpd caddy" \
    "GET /1k.bin, 2 workers, wrk -t2 -c200, nothing pinned (wrk shares the cores)"
def_case workers2-1m workers req/s hi "portico nginx h2o lighttpd caddy" \
    "GET /1m.bin, 2 workers, wrk -t2 -c200, nothing pinned (wrk shares the cores)"

workers_prepare() { WORKERS=2 static_prepare "$@"; }
workers_ready() { static_ready "$@"; }

# workers_check NAME: both files come back whole.
workers_check() {
    local f got want=1024
    for f in 1k 1m; do
        got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 5 \
            "http://$HOST:$(port_of "$1")/$f.bin" || true)
        [[ $got == "200 $want" ]] || { note "$1: /$f.bin answered '$got'"; return 1; }
        want=1048576
    done
}

# workers_env CASE: wrk -t2 -c200, nothing pinned.
workers_env() {
    CONNS=200 WRK_THREADS=2 SERVER_CPU="" CLIENT_CPU=""
}

workers_run() { wrk_case "$1" "$2" "$3" "http://$HOST:$(port_of "$2")$(static_path "$1")"; }
