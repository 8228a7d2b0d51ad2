#!/usr/bin/env bash
# The compose demo (docker/compose.yaml) under podman, end to end: what a
# Docker user gets from `docker compose -f docker/compose.yaml up --build`,
# on a machine with no Docker daemon and no reachable image registry.
#
#   1. podman, podman-compose, buildah, runc, debootstrap (apt-get, as root);
#   2. /etc/containers/containers.conf: runtime = "runc" and default_ulimits,
#      each only when the file does not set it already;
#   3. the base images debian:12 and debian:12-slim: `debootstrap --variant=
#      minbase bookworm` and `podman import`, skipped while `podman image
#      exists debian:12` (the one thing kept between runs);
#   4. podman build --format docker (the OCI format drops HEALTHCHECK);
#   5. podman-compose up -d, the host's ports free ones (PORTICO_PORT,
#      PORTICO_HTTPS_PORT);
#   6. checks: HTTPS (the certificate the container made at its start, in
#      the volume tls, checked against the container's CA, none in the
#      image; the plain port's 308 to HTTPS, followed), then over HTTPS the
#      four sites, CGI (Python) and PHP, the app behind
#      app.localhost (its two processes in the portico container, both
#      answering), the user (uid 10001), the HEALTHCHECK, an upload and a
#      delete seen in the named volume, a note in the other volume, a SIGHUP
#      reload under requests;
#   7. a config file of mode 0600: portico's error says why and what to do
#      (at a reload, and at a start);
#   8. down, and everything it made removed (the app's processes too) but
#      the base images.
#
# One `ok` or `FAIL` line per check, then "N passed, N failed"; exit 0 when
# all passed, 1 when not, 77 when podman cannot start on this machine
# (`podman info` fails: why is printed). Safe to run again: it begins by
# removing what an interrupted run left. Run as root (debootstrap, the
# files in /etc/containers and rootful podman).
#
# The compose project is portico-demo-test, not the demo's own portico-demo,
# so that a demo someone runs beside it (and its uploads) is left alone.
set -u
cd "$(dirname "$0")/.." || exit 1

PROJECT=${CONTAINER_DEMO_PROJECT:-portico-demo-test}
COMPOSE=docker/compose.yaml
IMAGE=portico-demo # compose.yaml's image: the build below makes it, up uses it
PERM_CTR=$PROJECT-perm
CONF=/etc/containers/containers.conf
PACKAGES="podman podman-compose buildah runc debootstrap catatonit curl python3"

PASS=0
FAIL=0
ok() { echo "ok    $1"; PASS=$((PASS + 1)); }
bad() {
    echo "FAIL  $1"
    shift
    [ $# -gt 0 ] && printf '      %s\n' "$@"
    FAIL=$((FAIL + 1))
}
# check NAME CMD...: ok when CMD exits 0.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name" "failed: $*"; fi
}
step() { printf '== %s (%ds)\n' "$1" "$SECONDS"; }
finish() {
    echo "container demo: $PASS passed, $FAIL failed ($SECONDS s)"
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit $?
}

# A fixed folder: a run killed before its trap leaves nothing the next
# run does not remove (two runs at once are not supported anyway: they
# would share the compose project).
W=${TMPDIR:-/var/tmp}/portico-container-demo
rm -rf "$W"
mkdir -p "$W" || exit 1
LOG=$W/log # what podman and podman-compose print, shown when a step fails
show_log() { sed 's/^/      | /' "$LOG" | tail -n 25; }

compose() {
    podman-compose -p "$PROJECT" -f "$COMPOSE" "$@" >>"$LOG" 2>&1
}

# Everything a run makes, but the base images: run first (leftovers of an
# interrupted run) and last.
cleanup() {
    podman rm -f -t 0 "$PERM_CTR" >/dev/null 2>&1
    if command -v podman-compose >/dev/null; then
        compose down -v
    fi
    local c
    for c in $(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" 2>/dev/null); do
        podman rm -f -t 0 "$c" >/dev/null 2>&1
    done
    for c in $(podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" 2>/dev/null); do
        podman volume rm -f "$c" >/dev/null 2>&1
    done
    podman network rm -f "${PROJECT}_default" >/dev/null 2>&1
    # Not when a container outside this project uses it (someone's demo).
    podman rmi "$IMAGE" >/dev/null 2>&1
    return 0
}
# shellcheck disable=SC2317 # run by the trap
on_exit() {
    local rc=$?
    if command -v podman >/dev/null && [ -z "${NO_PODMAN:-}" ]; then
        cleanup
    fi
    rm -rf "$W"
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 143' TERM INT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

# ------------------------------------------------------------- 1. packages
step "packages"
missing=
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        NO_PODMAN=1
        bad "packages installed" "missing:$missing" "run as root, or: sudo apt-get install -y$missing"
        finish
    fi
    echo "installing$missing"
    # shellcheck disable=SC2086
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 $missing >"$LOG" 2>&1 ||
        { apt-get update -q >>"$LOG" 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 $missing >>"$LOG" 2>&1; }; }; then
        NO_PODMAN=1
        bad "packages installed:$missing" "apt-get install failed:"
        show_log
        finish
    fi
fi
ok "packages: $PACKAGES"

if [ "$(id -u)" != 0 ]; then
    NO_PODMAN=1
    bad "running as root" "this script debootstraps, writes $CONF and runs rootful podman"
    finish
fi

# ---------------------------------------------------- 2. containers.conf
# runtime: runc, the runtime installed above and the one the hand trial of
# issue 10 used (podman would take crun first, were it installed too).
# default_ulimits: as root, podman asks the runtime for nofile=1048576 and
# a high nproc, and raising a hard limit takes CAP_SYS_RESOURCE, which a
# sandboxed root may lack (the development machine's does: its hard limits
# are nofile 20000, nproc 96551). Without the setting every container
# fails: "error setting rlimits for ready process: error setting rlimit
# type 7 [then 6]: operation not permitted". 20000 and 8192 fit under them.
step "containers.conf"
if python3 - "$CONF" >"$W/conf.out" 2>&1 <<'EOF'
import os, re, sys
path = sys.argv[1]
want = {"containers": ("default_ulimits", '["nofile=20000:20000", "nproc=8192:8192"]'),
        "engine": ("runtime", '"runc"')}
lines = open(path).read().splitlines() if os.path.exists(path) else []
table, have, header_at = None, set(), {}
for i, line in enumerate(lines):
    m = re.match(r"\s*\[([^\]]+)\]\s*(#.*)?$", line)
    if m:
        table = m.group(1).strip()
        header_at.setdefault(table, i)
        continue
    m = re.match(r"\s*([A-Za-z_]+)\s*=", line)
    if m and table in want and m.group(1) == want[table][0]:
        have.add(table)
        print(f"kept: [{table}] {line.strip()}")
added = []
# Insert under an existing table from the bottom up, so indexes hold.
for table in sorted((t for t in want if t not in have and t in header_at),
                    key=lambda t: -header_at[t]):
    key, value = want[table]
    lines.insert(header_at[table] + 1, f"{key} = {value}")
    added.append(f"[{table}] {key} = {value}")
for table in want:
    if table not in have and table not in header_at:
        key, value = want[table]
        lines += ["", f"[{table}]", f"{key} = {value}"]
        added.append(f"[{table}] {key} = {value}")
if added:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines).lstrip("\n") + "\n")
    os.replace(path + ".tmp", path)
for a in added:
    print("added: " + a)
EOF
then
    ok "$CONF: runtime and default_ulimits set"
    sed 's/^/      /' "$W/conf.out"
else
    bad "$CONF: runtime and default_ulimits set" "$(cat "$W/conf.out")"
fi

# podman itself: not a failure of the demo when this machine cannot.
if ! podman info >"$W/info" 2>&1; then
    echo "SKIP  podman cannot start on this machine: \`podman info\` says:"
    sed 's/^/      | /' "$W/info" | tail -15
    echo "container demo: skipped"
    NO_PODMAN=1
    exit 77
fi
cleanup

# -------------------------------------------------------- 3. base images
step "base image debian:12"
if podman image exists debian:12; then
    ok "base image debian:12 cached (no debootstrap)"
else
    t0=$SECONDS
    root=$W/rootfs
    if debootstrap --variant=minbase bookworm "$root" >"$LOG" 2>&1; then
        # What an image needs of it: no package cache, no package lists
        # (every Dockerfile step runs apt-get update first).
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
        if tar -C "$root" -c . | podman import --change 'CMD ["bash"]' - debian:12 >>"$LOG" 2>&1; then
            ok "base image debian:12: debootstrap + podman import ($((SECONDS - t0)) s)"
        else
            bad "base image debian:12: podman import"
            show_log
        fi
    else
        bad "base image debian:12: debootstrap --variant=minbase bookworm"
        show_log
    fi
    rm -rf "$root"
fi
podman image exists debian:12-slim || podman tag debian:12 debian:12-slim
check "base image debian:12-slim (the same)" podman image exists debian:12-slim

if ! podman run --rm debian:12 true >"$W/run" 2>&1; then
    bad "podman runs a container (podman run --rm debian:12 true)" "$(cat "$W/run")"
    finish
fi
ok "podman runs a container"

# ------------------------------------------------------------- 4. build
step "build"
t0=$SECONDS
# --layers=false: no intermediate images left behind (the build stage's
# included), so removing the image removes all the build made. --ignorefile:
# podman does not read docker/Dockerfile.dockerignore by itself.
if podman build --pull=never --layers=false --format docker \
    --ignorefile docker/Dockerfile.dockerignore -f docker/Dockerfile -t "$IMAGE" . >"$LOG" 2>&1; then
    ok "podman build --format docker -f docker/Dockerfile ($((SECONDS - t0)) s)"
else
    bad "podman build --format docker -f docker/Dockerfile"
    show_log
    finish
fi
hc=$(podman image inspect -f '{{json .Config.Healthcheck}}' "$IMAGE" 2>&1)
case $hc in
*'https://localhost:8443/status'*) ok "the image keeps the HEALTHCHECK (on HTTPS)" ;;
*) bad "the image keeps the HEALTHCHECK (on HTTPS)" "Config.Healthcheck: $hc" ;;
esac
check "the image runs as portico (uid 10001)" \
    test "$(podman run --rm "$IMAGE" id -u 2>/dev/null)" = 10001
# The key is made at a container's first start, never at build time.
no_key_in_image() { # ls -A build/tls succeeds and lists nothing
    local out
    out=$(podman run --rm --entrypoint ls "$IMAGE" -A build/tls 2>/dev/null) && [ -z "$out" ]
}
check "the image holds no certificate or key (build/tls/ there, empty)" no_key_in_image

# ---------------------------------------------------------------- 5. up
step "up"
# The container's user reads configs/ and sites/ through the bind mounts.
unreadable=$(find configs sites \( -type f ! -perm -o+r \) -o \( -type d ! -perm -o+rx \) | head -5)
if [ -z "$unreadable" ]; then
    ok "configs/ and sites/ readable by the container's user"
else
    # shellcheck disable=SC2086 # one line a path
    bad "configs/ and sites/ readable by the container's user" $unreadable "fix: chmod -R a+rX configs sites"
fi
PORT=$(free_port)
HPORT=$(free_port)
while [ "$HPORT" = "$PORT" ]; do HPORT=$(free_port); done
export PORTICO_PORT=$PORT PORTICO_HTTPS_PORT=$HPORT
: >"$LOG"
if compose up -d; then
    ok "podman-compose up -d (PORTICO_PORT=$PORT PORTICO_HTTPS_PORT=$HPORT)"
else
    bad "podman-compose up -d (PORTICO_PORT=$PORT PORTICO_HTTPS_PORT=$HPORT)"
    show_log
    finish
fi
CTR=$(podman ps -q --filter "label=io.podman.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=portico")
# Plain HTTP answers every request with a 308 to HTTPS: up, once it does.
ready=0
for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/status")" = 308 ] &&
        ready=1 && break
    sleep 0.2
done
if [ "$ready" = 1 ] && [ -n "$CTR" ]; then
    ok "the container answers on port $PORT (308)"
else
    bad "the container answers on port $PORT (308)" "container: ${CTR:-none}"
    [ -n "$CTR" ] && podman logs "$CTR" 2>&1 | tail -20 | sed 's/^/      | /'
    finish
fi

# ---------------------------------------------------------------- HTTPS
step "https"
# The CA the container made at its start, taken out as the README says.
CA=$W/ca.pem
podman exec "$CTR" cat build/tls/ca.pem >"$CA" 2>>"$LOG"
check "the container made its CA at the start: exec cat build/tls/ca.pem" \
    grep -q 'BEGIN CERTIFICATE' "$CA"
TLSVOL=$(podman volume inspect -f '{{.Mountpoint}}' "${PROJECT}_tls" 2>/dev/null)
check "... kept in the volume ${PROJECT}_tls" cmp -s "$CA" "$TLSVOL/ca.pem"
check "... its keys portico's (uid 10001), mode 0600" \
    test "$(stat -c '%u %a' "$TLSVOL/ca.key" "$TLSVOL/localhost.key" 2>/dev/null | xargs)" = "10001 600 10001 600"
check "... and kept when the entrypoint's script runs again (it says nothing)" \
    test -z "$(podman exec "$CTR" portico-tls-cert build/tls 2>&1)" -a "$(cmp "$CA" "$TLSVOL/ca.pem" 2>&1)" = ""
U=https://127.0.0.1:$HPORT
for h in localhost blog.localhost api.localhost app.localhost; do
    code=$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code} %{ssl_verify_result}' --max-time 10 "https://$h:$HPORT/")
    check "https://$h:$HPORT/: 200, the certificate verified against the container's CA ($code)" test "$code" = "200 0"
done
openssl s_client -connect "127.0.0.1:$HPORT" -servername blog.localhost -verify_hostname blog.localhost \
    -CAfile "$CA" -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -subject -issuer >"$W/subject" 2>&1
check "openssl s_client: subject CN = localhost, issuer the container's CA ($(paste -sd ' ' "$W/subject"))" \
    grep -qx 'subject=O = portico demo, CN = localhost' "$W/subject"
check "... issuer portico demo CA" grep -q '^issuer=O = portico demo, CN = portico demo CA ' "$W/subject"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "https://localhost:$HPORT/")
check "... refused without the CA (curl: an unknown issuer, $code)" test "$code" = 000
# The redirect names the container's 8443 (the port compose.yaml publishes
# by default); --connect-to takes it to the port published here.
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 10 "http://blog.localhost:$PORT/about.html?x=1")
check "plain HTTP: 308 to the same URL on HTTPS ($loc)" test "$loc" = "308 https://blog.localhost:8443/about.html?x=1"
code=$(curl -s -X POST -d 'a=1' -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 10 "http://api.localhost:$PORT/cgi-bin/echo.py")
check "plain HTTP: a POST -> 308 too ($code)" test "$code" = "308 https://api.localhost:8443/cgi-bin/echo.py"
curl -s -L --cacert "$CA" --connect-to "blog.localhost:8443:127.0.0.1:$HPORT" -o "$W/about" --max-time 10 \
    "http://blog.localhost:$PORT/about.html"
check "... followed (curl -L): the blog's about.html over HTTPS" cmp -s "$W/about" sites/blog/about.html

# --------------------------------------------------------------- 6. checks
step "checks"
# get HOST PATH [curl args]: sets CODE, and BODY (a file).
BODY=$W/body
get() {
    local host=$1 path=$2
    shift 2
    CODE=$(curl -s --cacert "$CA" -o "$BODY" -w '%{http_code}' --max-time 10 -H "Host: $host" "$@" "$U$path")
}
# page NAME HOST PATH STATUS GREP: the status, and a fixed string in the body.
page() {
    get "$2" "$3"
    if [ "$CODE" = "$4" ] && grep -qF -- "$5" "$BODY"; then
        ok "$1"
    else
        bad "$1" "got $CODE, want $4 with '$5' in:" "$(head -c 300 "$BODY")"
    fi
}
# site NAME HOST FILE: / is the repository's FILE, byte for byte.
site() {
    get "$2" /
    if [ "$CODE" = 200 ] && cmp -s "$BODY" "$3"; then ok "$1"; else bad "$1" "got $CODE"; fi
}
site "localhost: / is sites/default/index.html" localhost sites/default/index.html
site "blog.localhost: / is sites/blog/index.html" blog.localhost sites/blog/index.html
site "api.localhost: / is sites/api/public/index.html" api.localhost sites/api/public/index.html
page "blog.localhost: a missing post -> the blog's 404" blog.localhost /posts/none.html 404 'data-page="blog-404"'
page "CGI (Python): /cgi-bin/hello.py" localhost /cgi-bin/hello.py 200 "Hello from Python"
page "CGI (PHP): /cgi-bin/info.php" localhost /cgi-bin/info.php 200 "Hello from PHP"
page "api CGI: /cgi-bin/time.py answers JSON" api.localhost /cgi-bin/time.py 200 '"now": "'

# The app: app-1 and app-2, started by compose.yaml's command inside the
# portico container, on its 127.0.0.1:9001 and :9002 (configs/demo.yaml).
app_procs() { # the host pids of the container's app.py, with their arguments
    # (the lines of the init's arguments, compose.yaml's script, left out)
    podman top "$CTR" hpid args 2>/dev/null | grep -E '^ *[0-9]+ +python3 sites/app/app\.py ' | sed 's/ *$//' | sort -k6
}
APP_PIDS=$(app_procs | awk '{ print $1 }' | xargs)
check "app: two app.py in the portico container, on 127.0.0.1:9001 and :9002 ($(app_procs | wc -l) found)" \
    test "$(app_procs | sed 's/^ *[0-9]* *//' | paste -sd '|')" = \
    "python3 sites/app/app.py --host 127.0.0.1 --port 9001 --name app-1|python3 sites/app/app.py --host 127.0.0.1 --port 9002 --name app-2"
# Adopted by the container's init, which reaps them: portico's master has
# only its workers for children.
check "app: ... children of the init (PID 1), not of portico" \
    test "$(podman top "$CTR" ppid args 2>/dev/null | grep -E '^ *[0-9]+ +python3 sites/app/app\.py ' | awk '{ print $1 }' | xargs)" = "1 1"
get app.localhost / -D "$W/app.h"
if [ "$CODE" = 200 ] && grep -qiE '^X-App-Instance: app-[12]' "$W/app.h" && grep -q 'Answered by' "$BODY"; then
    ok "app.localhost: / -> 200, the page of an instance"
else
    bad "app.localhost: / -> 200, the page of an instance" "got $CODE:" "$(head -c 300 "$W/app.h")"
fi
# Four requests on one connection: portico takes turns.
who=$(curl -s --cacert "$CA" --max-time 10 -H 'Host: app.localhost' "$U/api/whoami" "$U/api/whoami" "$U/api/whoami" "$U/api/whoami" |
    grep -o '"instance": "app-[12]"' | sort | uniq -c | tr -s ' ' | paste -sd ',')
check "app.localhost: /api/whoami x4 answered by app-1 and app-2 in turns ($who)" \
    test "$who" = ' 2 "instance": "app-1", 2 "instance": "app-2"'
get app.localhost /static/style.css -D "$W/app.h"
if [ "$CODE" = 200 ] && cmp -s "$BODY" sites/app/public/static/style.css && ! grep -qi '^X-App-Instance' "$W/app.h"; then
    ok "app.localhost: /static/style.css from the disk, not from the app"
else
    bad "app.localhost: /static/style.css from the disk, not from the app" "got $CODE:" "$(head -c 300 "$W/app.h")"
fi

users=$(podman top "$CTR" huser 2>&1 | tail -n +2 | sort -u | paste -sd,)
check "every process of the container runs as uid 10001 (host view: $users)" test "$users" = 10001
check "HEALTHCHECK passes (podman healthcheck run)" podman healthcheck run "$CTR"
no_warning() { ! podman logs "$CTR" 2>&1 | grep -E 'warn|error'; }
check "the start-up log has no warning (pid file written, logs opened)" no_warning

# An upload lands in the named volume, a DELETE removes it from there.
VOL=$(podman volume inspect -f '{{.Mountpoint}}' "${PROJECT}_uploads" 2>/dev/null)
NAME=container-demo-$$.txt
printf 'uploaded through the container, %s\n' "$(date)" >"$W/up.txt"
get localhost "/uploads/$NAME" -T "$W/up.txt"
check "upload: PUT /uploads/$NAME -> 201 (got $CODE)" test "$CODE" = 201
check "upload: the file is in the volume ${PROJECT}_uploads, same bytes" cmp -s "$W/up.txt" "$VOL/$NAME"
check "upload: ... owned by uid 10001" test "$(stat -c %u "$VOL/$NAME" 2>/dev/null)" = 10001
page "upload: /uploads/ lists it" localhost /uploads/ 200 "$NAME"
get localhost "/uploads/$NAME" -X DELETE
check "delete: DELETE /uploads/$NAME -> 204 (got $CODE)" test "$CODE" = 204
check "delete: the file is gone from the volume" test ! -e "$VOL/$NAME"
check "delete: the volume is still there" test -d "$VOL"

NOTES=$(podman volume inspect -f '{{.Mountpoint}}' "${PROJECT}_notes" 2>/dev/null)
get api.localhost /cgi-bin/notes.py -H 'Content-Type: application/json' --data-binary '{"text": "from the container demo"}'
check "api: a note -> 201 (got $CODE)" test "$CODE" = 201
check "api: ... kept in the volume ${PROJECT}_notes" grep -q "from the container demo" "$NOTES/notes.json"

# Reload with requests going on: every one of them answered.
reloads() { podman logs "$CTR" 2>&1 | grep -c 'configuration reloaded'; }
before=$(reloads)
(
    for _ in $(seq 1 60); do
        curl -s --cacert "$CA" -o /dev/null -w '%{http_code}\n' --max-time 5 -H 'Host: blog.localhost' "$U/about.html"
        sleep 0.02
    done
) >"$W/codes" &
loader=$!
sleep 0.3
hup() { podman kill -s HUP "$1" >/dev/null; }
check "podman kill -s HUP" hup "$CTR"
wait "$loader"
after=$before
for _ in $(seq 1 50); do
    after=$(reloads)
    [ "$after" -gt "$before" ] && break
    sleep 0.1
done
check "reload: the log says 'configuration reloaded'" test "$after" -gt "$before"
codes=$(sort "$W/codes" | uniq -c | tr -s ' ' | tr '\n' ';')
check "reload: 60 requests around it all answered 200 ($codes)" test "$codes" = " 60 200;"
page "reload: the server answers after it" localhost /status 200 '"workers"'
page "reload: ... and so does the app" app.localhost /api/whoami 200 '"instance": "app-'
check "reload: the container is still running" \
    test "$(podman inspect -f '{{.State.Running}}' "$CTR" 2>/dev/null)" = true

# ------------------------------------------ 7. a config file of mode 0600
# The image runs as uid 10001, so a host file of mode 0600 (here root's)
# mounted read-only cannot be read inside. What portico does then: at a
# reload, refuses and keeps serving; at a start, exits 1. Both times the
# message says who runs, whose the file is, and the chmod that fixes it.
step "config of mode 0600"
mkdir "$W/configs"
cp configs/demo.yaml "$W/configs/"
chmod 755 "$W" "$W/configs"
chmod 644 "$W/configs/demo.yaml"
PORT2=$(free_port)
U2=http://127.0.0.1:$PORT2
WHY="configs/demo.yaml:1:1: cannot open: Permission denied: portico runs as uid 10001 gid 10001, and the file belongs to uid 0 gid 0 with mode 0600: make it readable to portico's user, e.g. chmod a+r configs/demo.yaml"
if podman run -d --name "$PERM_CTR" -p "127.0.0.1:$PORT2:8080" \
    -v "$W/configs:/app/configs:ro" "$IMAGE" >"$LOG" 2>&1; then
    ready=0
    for _ in $(seq 1 100); do
        curl -fs -o /dev/null --max-time 1 "$U2/status" && ready=1 && break
        sleep 0.2
    done
    check "0600: a container with the file readable (0644) answers" test "$ready" = 1
    chmod 600 "$W/configs/demo.yaml"
    hup "$PERM_CTR"
    for _ in $(seq 1 50); do
        podman logs "$PERM_CTR" 2>&1 | grep -q 'reload failed' && break
        sleep 0.1
    done
    line=$(podman logs "$PERM_CTR" 2>&1 | grep 'reload failed' | tail -1)
    case $line in
    *"reload failed, keeping the running configuration: $WHY"*) ok "0600: a reload is refused, and the log says why and what to do" ;;
    *) bad "0600: a reload is refused, and the log says why and what to do" "log: ${line:-nothing}" "want: ...$WHY" ;;
    esac
    check "0600: ... and the old configuration keeps serving" curl -fs -o /dev/null --max-time 5 "$U2/status"
    podman stop -t 10 "$PERM_CTR" >/dev/null 2>&1
    podman start "$PERM_CTR" >/dev/null 2>&1
    code=$(podman wait "$PERM_CTR" 2>/dev/null)
    check "0600: a start exits 1 (got ${code:-nothing})" test "$code" = 1
    last=$(podman logs "$PERM_CTR" 2>&1 | tail -1)
    case $last in
    "$WHY"*) ok "0600: ... saying why and what to do" ;;
    *) bad "0600: ... saying why and what to do" "last line: $last" "want: $WHY..." ;;
    esac
else
    bad "0600: podman run $IMAGE with the file mounted"
    show_log
fi

# ---------------------------------------------------------------- 8. down
step "down"
: >"$LOG"
if compose down -v; then ok "podman-compose down -v"; else bad "podman-compose down -v"; show_log; fi
podman rm -f -t 0 "$PERM_CTR" >/dev/null 2>&1
check "down: no container of $PROJECT left" \
    test -z "$(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT")"
gone() { local p; for p in "$@"; do [ -d "/proc/$p" ] && return 1; done; return 0; }
# shellcheck disable=SC2086 # a list of pids
check "down: the app's processes are gone (pids ${APP_PIDS:-none})" gone $APP_PIDS
check "down: the volumes are gone (the CA's too)" test ! -e "$VOL" -a ! -e "$NOTES" -a ! -e "$TLSVOL"
check "down: nothing answers on port $PORT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/" 2>/dev/null)" = 000
check "down: nothing answers on port $HPORT" \
    test "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$U/" 2>/dev/null)" = 000
cleanup
check "down: the image $IMAGE is removed" test -z "$(podman images -q "$IMAGE")"
check "down: the base image debian:12 is kept" podman image exists debian:12
finish
