#!/usr/bin/env bash
# scripts/serve.sh -- what `make run`, `make demo` and `make reload` run.
#
#   scripts/serve.sh TARGET CONFIG PORT [HTTPS_PORT]
#       Checks CONFIG (portico -t), then serves it in the foreground with
#       $PORTICO (default ./portico); TARGET (run, demo) is the make target
#       the messages name. A PORT other than 8080 or an HTTPS_PORT other
#       than 8443, the ports the repository's configurations listen on
#       (plain and TLS), goes into a copy of CONFIG, build/NAME-PORT.yaml,
#       with -PORT added to its pid_file too (and HTTPS_PORT for 8443 in
#       redirects to https://...:8443). build/ lies beside CONFIG's folder,
#       so relative paths (../sites/...) keep their meaning. When CONFIG
#       names certificates in ../build/tls/, scripts/tls-cert.sh makes them
#       there first (once; after, it reuses them), and the messages say
#       where the CA to trust is. When the start fails on a taken or
#       privileged port, says which make command serves on a free one. For
#       demo, the app behind app.localhost runs beside it (sites/app/app.py,
#       ports 9001 and 9002) and stops with it.
#   scripts/serve.sh reload DIR
#       For each DIR/*.pid naming a running portico: checks its
#       configuration with -t (for a copy made as above: the file it was
#       made from, then makes it again) and sends the master SIGHUP.
#
# portico's command line is -c -t -T -V -h only (design: CONFIG.md): a
# port is changed in the file, never by a flag.
set -u

DEFAULT_PORT=8080
DEFAULT_HTTPS_PORT=8443
HERE=$(dirname "$0")
PORTICO=${PORTICO:-./portico}
TAG="# serve.sh:" # the last line of a copy: "# serve.sh: port P https_port H target T source FILE"

say() { echo "make $WHO: $*" >&2; }

# port_open PORT: something accepts connections on PORT of this machine.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || (exec 3<>"/dev/tcp/::1/$1") 2>/dev/null
}

# free_port FROM: the first port from FROM up that nothing answers on.
free_port() {
    local p=$1
    while ((p < 65535)) && port_open "$p"; do p=$((p + 1)); done
    echo "$p"
}

# check CONFIG: portico -t; on failure prints its message and returns 1.
check() {
    local out
    if ! out=$("$PORTICO" -t -c "$1" 2>&1); then
        echo "$out" >&2
        return 1
    fi
}

# render SRC DST PORT HTTPS_PORT TARGET: DST is SRC with PORT for 8080 and
# HTTPS_PORT for 8443 in its listen lines (before any comment), HTTPS_PORT
# for the 8443 of a redirect to https://...:8443, and -PORT before the
# .pid of its pid_file, plus a last line naming PORT, HTTPS_PORT, TARGET
# and SRC for `reload`. Lines keep their numbers, so that an error names
# the same line in both files.
LISTEN="^([[:space:]]*(-[[:space:]]+)?listen:[^#]*[^0-9#])"
render() {
    local src=$1 dst=$2 port=$3 hport=$4 target=$5 tmp
    tmp=$(mktemp "$dst.XXXXXX") || return 1
    # 8443 goes through a mark first, so that an HTTPS_PORT of 8080 is not
    # taken for the plain port after.
    sed -E -e "s/^(pid_file:[^#]*)\\.pid/\\1-$port.pid/" \
        -e ':a' -e "s/$LISTEN$DEFAULT_HTTPS_PORT([^0-9]|\$)/\\1@HTTPS@\\3/" -e 'ta' \
        -e "s|^([^#]*redirect:[^#]*https://[^#\"'/]*:)$DEFAULT_HTTPS_PORT([^0-9])|\\1@HTTPS@\\2|" \
        -e ':b' -e "s/$LISTEN$DEFAULT_PORT([^0-9]|\$)/\\1$port\\3/" -e 'tb' \
        -e "s/@HTTPS@/$hport/g" "$src" >"$tmp"
    if ! grep -Eq "$LISTEN$port([^0-9]|\$)" "$tmp"; then
        rm -f "$tmp"
        say "$src has no listen line on port $DEFAULT_PORT to change: edit its listen lines instead"
        return 1
    fi
    if ((hport != DEFAULT_HTTPS_PORT)) && ! grep -Eq "$LISTEN$hport([^0-9]|\$)" "$tmp"; then
        rm -f "$tmp"
        say "$src has no listen line on port $DEFAULT_HTTPS_PORT to change: edit its listen lines instead"
        return 1
    fi
    {
        echo "# Made by scripts/serve.sh (make $target PORT=$port HTTPS_PORT=$hport) from $src:"
        echo "# edit that file, then run make reload, which makes this copy again."
        echo "$TAG port $port https_port $hport target $target source $(realpath "$src")"
    } >>"$tmp"
    mv -f "$tmp" "$dst"
}

# certs CONFIG: when CONFIG names certificates in ../build/tls/ (the
# repository's configurations do), makes them there with
# scripts/tls-cert.sh (the first time; they are reused after) and sets CA
# to the certificate authority a client must trust, relative to the
# working directory.
CA=
certs() {
    local dir
    grep -Eq '^[^#]*(certificate|key):[[:space:]]*"?\.\./build/tls/' "$1" || return 0
    dir=$(realpath -m --relative-to=. "$(dirname "$1")/../build/tls")
    "$HERE/tls-cert.sh" "$dir" || return 1
    CA=$dir/ca.pem
}

# trust_hint HTTPS_PORT: where the CA is and how to trust it.
trust_hint() {
    [[ -n $CA ]] || return 0
    say "HTTPS uses a certificate of this checkout's own certificate authority, $CA; trust it:"
    say "  curl --cacert $CA https://localhost:$1/"
    say "  browsers: import $CA as an authority (Chromium: chrome://certificate-manager, Firefox:"
    say "  about:preferences#privacy, View Certificates); more in the README, \"HTTPS\""
}

# start_app CONFIG: for make demo, the application behind app.localhost
# (the upstream group app of configs/demo.yaml): sites/app/app.py on ports
# 9001 and 9002, beside CONFIG's folder, stopped when this script ends.
# Waits until both listen, so that portico's first request finds them.
APP_PIDS=()
start_app() {
    local app p
    app=$(dirname "$1")/../sites/app/app.py
    [[ -f $app ]] || return 0
    if ! command -v python3 >/dev/null; then
        say "no python3: app.localhost will answer 502 (apt-get install python3)"
        return 0
    fi
    trap stop_app EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    for p in 9001 9002; do
        if port_open "$p"; then
            say "port $p is taken: app.localhost sends its requests to whatever answers there"
            continue
        fi
        python3 "$app" --port "$p" --name "app-$((p - 9000))" &
        APP_PIDS+=($!)
    done
    for _ in $(seq 1 50); do
        port_open 9001 && port_open 9002 && return 0
        sleep 0.1
    done
    say "the app did not start on ports 9001 and 9002: app.localhost will answer 502"
}

stop_app() {
    ((${#APP_PIDS[@]})) && kill "${APP_PIDS[@]}" 2>/dev/null
    APP_PIDS=()
}

# hint PORT HTTPS_PORT: after a failed start, the make command that serves
# elsewhere.
hint() {
    local port=$1 hport=$2 low
    low=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
    if ((port < low && EUID != 0)); then
        say "ports below $low are privileged: serve on another one with: make $WHO PORT=$(free_port $DEFAULT_PORT)"
    elif port_open "$port"; then
        say "port $port is taken: serve on a free one with: make $WHO PORT=$(free_port $((port + 1)))"
    elif [[ -n $CA ]] && ((hport < low && EUID != 0)); then
        say "ports below $low are privileged: serve HTTPS on another one with: make $WHO HTTPS_PORT=$(free_port $DEFAULT_HTTPS_PORT)"
    elif [[ -n $CA ]] && port_open "$hport"; then
        say "port $hport is taken: serve HTTPS on a free one with: make $WHO HTTPS_PORT=$(free_port $((hport + 1)))"
    fi
}

# port_ok NAME VALUE: VALUE is a port number, else says so.
port_ok() {
    if ! [[ $2 =~ ^[0-9]+$ ]] || ((10#$2 < 1 || 10#$2 > 65535)); then
        say "$1 must be a port number (1-65535), not '$2'"
        return 1
    fi
}

serve() {
    local config=$1 port=$2 hport=$3 cfg=$1 build rc
    port_ok PORT "$port" && port_ok HTTPS_PORT "$hport" || return 2
    port=$((10#$port)) hport=$((10#$hport))
    if ((port == hport)); then
        say "PORT and HTTPS_PORT must differ (both are $port)"
        return 2
    fi
    certs "$config" || return 1
    check "$config" || return 1
    if ((port != DEFAULT_PORT || hport != DEFAULT_HTTPS_PORT)); then
        build=$(realpath -m --relative-to=. "$(dirname "$config")/../build")
        mkdir -p "$build" || return 1
        cfg=$build/$(basename "$config" .yaml)-$port.yaml
        render "$config" "$cfg" "$port" "$hport" "$WHO" || return 1
        say "serving $config on port $port${CA:+ and HTTPS port $hport} (through the copy $cfg)"
    fi
    trust_hint "$hport"
    [[ $WHO == demo ]] && start_app "$config"
    "$PORTICO" -c "$cfg"
    rc=$?
    # Exit status 1 after a passed check: portico could not listen.
    ((rc != 1)) || hint "$port" "$hport"
    return "$rc"
}

# config_of PID: the configuration file the running portico PID reads.
config_of() {
    local pid=$1 c=configs/default.yaml prev="" a
    while IFS= read -r -d '' a; do
        [[ $prev == -c ]] && c=$a
        prev=$a
    done <"/proc/$pid/cmdline"
    [[ $c == /* ]] || c=$(readlink "/proc/$pid/cwd")/$c
    echo "$c"
}

# reload_one PIDFILE: 0 reloaded, 1 failed, 2 no portico runs there.
reload_one() {
    local pid cfg src tag port hport target
    pid=$(cat "$1" 2>/dev/null)
    if ! [[ $pid =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null ||
        ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q portico; then
        say "$1: no portico runs as '$pid' (a stale pid file)"
        return 2
    fi
    cfg=$(config_of "$pid")
    src=$cfg
    tag=$(tail -n 1 "$cfg" 2>/dev/null)
    if [[ $tag == "$TAG port "* ]]; then
        read -r _ _ _ port _ hport _ target _ src <<<"$tag"
    fi
    if ! check "$src"; then
        say "$src has an error: portico $pid keeps its running configuration"
        return 1
    fi
    if [[ $src != "$cfg" ]]; then
        render "$src" "$cfg" "$port" "$hport" "$target" || return 1
    fi
    kill -HUP "$pid" || return 1
    say "sent SIGHUP to portico $pid: it reloads $src"
}

reload() {
    local dir=$1 f rc=0 found=0 r
    for f in "$dir"/*.pid; do
        [[ -e $f ]] || continue
        reload_one "$f"
        r=$?
        ((r == 2)) && continue
        found=1
        ((r == 0)) || rc=1
    done
    if ((!found)); then
        say "no portico started by make run or make demo is running (no live pid file in $dir/)"
        return 1
    fi
    return "$rc"
}

case ${1:-} in
reload)
    WHO=reload
    reload "${2:-build}"
    ;;
run | demo)
    [[ $# == 3 || $# == 4 ]] || { echo "usage: $0 TARGET CONFIG PORT [HTTPS_PORT] | reload DIR" >&2; exit 2; }
    WHO=$1
    serve "$2" "$3" "${4:-$DEFAULT_HTTPS_PORT}"
    ;;
*)
    echo "usage: $0 TARGET CONFIG PORT [HTTPS_PORT] | reload DIR" >&2
    exit 2
    ;;
esac
