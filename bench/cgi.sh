# shellcheck shell=bash disable=SC2034 # sets the knobs and tables of lib.sh
# bench/cgi.sh -- the CGI case of make bench (a section of bench/run.sh,
# sourced; ONLY=cgi): portico against lighttpd's mod_cgi, both running
# sites/default/cgi-bin/hello.sh with /bin/sh, one process each,
# keep-alive, wrk -c20; the server and the scripts it starts on
# SERVER_CPU.
#   cgi   GET /cgi-bin/hello.sh
# Its CPU us/req is the server's and its scripts': utime+stime+cutime+
# cstime of the server and its descendants (a script's time shows in the
# cutime/cstime of the process that reaped it); the note "own" is the
# server's own processes alone (utime+stime, no scripts).

CGI_URI=/cgi-bin/hello.sh
def_case cgi cgi req/s hi "portico lighttpd" "GET $CGI_URI, a /bin/sh CGI script (wrk -c20)"

# cgi_setup: the script in DOCROOT/cgi-bin.
cgi_setup() {
    local script=sites/default/cgi-bin/hello.sh
    [[ -f $script ]] || { note "run from the repository root ($script not found)"; return 1; }
    mkdir -p "$DOCROOT/cgi-bin"
    cp "$script" "$DOCROOT/cgi-bin/hello.sh"
    chmod 755 "$DOCROOT/cgi-bin" "$DOCROOT/cgi-bin/hello.sh"
}

# cgi_prepare NAME PORT DIR
cgi_prepare() {
    case $1 in
    portico)
        {
            portico_conf 1 "$3/error.log" "$2"
            printf '      /cgi-bin/:\n        methods: [GET, HEAD]\n        cgi:\n          .sh: /bin/sh\n'
        } >"$3/portico.yaml"
        portico_cmd "$3"
        ;;
    lighttpd)
        lighttpd_prepare "$2" "$3" <<EOF
server.modules = ("mod_cgi")
cgi.assign = (".sh" => "/bin/sh")
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html")
EOF
        ;;
    esac
}

# cgi_ready NAME PORT: the started server runs the script.
cgi_ready() {
    LAST_ANSWER=$(curl -s --max-time 2 "http://$HOST:$2$CGI_URI" || true)
    [[ $LAST_ANSWER == *"Hello from /bin/sh!"* ]]
}

cgi_check() { cgi_ready "$1" "$(port_of "$1")" || { note "$1: $CGI_URI answered '${LAST_ANSWER:0:80}'"; return 1; }; }

cgi_env() { CONNS=20 CPU_FIELDS=4; }

# own_ticks PID: utime+stime of the server's own processes (own_pids).
own_ticks() {
    # shellcheck disable=SC2046 # one PID a word
    stat_ticks 2 $(own_pids "$1")
}

# cgi_run CASE NAME ROUND: wrk on the script (0.2 s for the last scripts
# to be reaped before the CPU time is read); the note: own us/req.
cgi_run() {
    local o0
    o0=$(own_ticks "$SRV_PID")
    wrk_run "$1" "$2" "$3" "http://$HOST:$(port_of "$2")$CGI_URI" ok 0.2 || return 1
    result "$1" "$2" "$3" "$RUN_RPS" "$RUN_US" \
        "own $(per_req $(($(own_ticks "$SRV_PID") - o0)) %.1f) us/req without the scripts"
}
