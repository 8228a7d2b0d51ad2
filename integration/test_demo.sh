#!/usr/bin/env bash
# The multi-site demo (issue 5, item 5): docker/compose.yaml parses as YAML
# and, with docker/Dockerfile, names only paths that exist (build context,
# COPY sources, bind mounts, mount points inside read-only binds, the config
# the image runs); `portico -t -c configs/demo.yaml` passes. Then a copy of
# the demo (configs/demo.yaml and sites/, ports replaced, its certificate
# made by scripts/tls-cert.sh in the copy's build/tls/) is started and
# walked over HTTPS, every certificate checked against the copy's own CA
# (curl --cacert, python's ssl): the plain port answers every site and
# method with a 308 to the same URL on HTTPS; the certificate covers every
# site's name and 127.0.0.1, and its CA is name-constrained; every HTML
# page of every site answers 200, every link and
# resource (href, src) on the pages resolves (redirects followed), the api's
# endpoints answer JSON (jq), notes survive concurrent writers, the blog's
# custom 404 page comes with status 404, redirects, autoindex, uploads and
# body limits behave as the comments in demo.yaml say. app.localhost, the
# reverse proxy: the copy's upstream group app moves to two free ports where
# two sites/app/app.py run (killed at the end, also on failure); round robin
# over one keep-alive connection, X-Forwarded-*, bodies both ways, static
# files from the disk, WebSocket, a health check taking an instance out,
# 502 with the app's page when none is left. make demo (scripts/serve.sh)
# starts the app's two processes and stops them, on SIGTERM and on Ctrl-C.
. "$(dirname "$0")/lib.sh"

if ! command -v jq >/dev/null; then
    fail "jq is required"
    exit 0
fi

DEMO=$REPO_DIR/configs/demo.yaml
COMPOSE=$REPO_DIR/docker/compose.yaml
DOCKERFILE=$REPO_DIR/docker/Dockerfile

jq_ok() { # NAME FILTER: jq -e on the last body
    check "$1" "jq -e '$2' '$BODY'"
}

# ------------------------------------------------- compose file, Dockerfile
check "docker/compose.yaml exists" "[ -f '$COMPOSE' ]"
check "docker/Dockerfile exists" "[ -f '$DOCKERFILE' ]"

HAVE_PYYAML=0
python3 -c 'import yaml' 2>/dev/null && HAVE_PYYAML=1
if [ "$HAVE_PYYAML" = 1 ]; then
    check "compose.yaml parses as YAML (PyYAML)" \
        python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.exit(not isinstance(d, dict))' "$COMPOSE"
else
    # No PyYAML: a structural check. Tabs are never valid indentation in
    # YAML; the top-level keys and the service's keys must be there.
    check "compose.yaml: no tab characters (no PyYAML here)" "! grep -q \$'\\t' '$COMPOSE'"
    check "compose.yaml: top-level services and volumes" \
        "grep -q '^services:' '$COMPOSE' && grep -q '^volumes:' '$COMPOSE'"
    check "compose.yaml: service portico with build, ports, volumes" \
        "grep -q '^  portico:' '$COMPOSE' && grep -q '^    build:' '$COMPOSE' && grep -q '^    ports:' '$COMPOSE' && grep -q '^    volumes:' '$COMPOSE'"
fi

# Every path the two files name, resolved as Docker would: compose paths
# against docker/, Dockerfile paths against the build context, container
# paths under WORKDIR /app mapped back to the repository.
python3 - "$COMPOSE" "$DOCKERFILE" "$HAVE_PYYAML" >"$T/paths" 2>&1 <<'EOF'
import os, re, shlex, sys

compose, dockerfile, have_yaml = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
cdir = os.path.dirname(compose)
out = []
def ok(name, cond, detail=""):
    out.append(("P " if cond else "F ") + name + ("" if cond else " -- " + detail))

if have_yaml:
    import yaml
    doc = yaml.safe_load(open(compose))
    svc = doc["services"]["portico"]
    build = svc["build"]
    context, dfile = build["context"], build["dockerfile"]
    volumes = svc.get("volumes", [])
    named = set((doc.get("volumes") or {}).keys())
    ports = [str(p) for p in svc.get("ports", [])]
else:  # the lines this compose file is written with
    text = open(compose).read()
    context = re.search(r"^\s+context:\s*(\S+)", text, re.M).group(1)
    dfile = re.search(r"^\s+dockerfile:\s*(\S+)", text, re.M).group(1)
    volumes = re.findall(r'^\s+- "?([^"\s#]+:/[^"\s#]*)"?', text, re.M)
    named = set(re.findall(r"^  (\w[\w-]*):\s*$", text.split("\nvolumes:", 1)[1], re.M))
    ports = re.findall(r'^\s+- "?([^"\s#]+:\d+)"?\s*$', text, re.M)
# The host's port may be a variable with a default, ${PORTICO_PORT:-8080}:
# what Docker publishes when the variable is not set.
ports = [re.sub(r"\$\{\w+:-(\d+)\}", r"\1", p) for p in ports]

ctx = os.path.normpath(os.path.join(cdir, context))
ok(f"compose build.context {context} is a folder", os.path.isdir(ctx), ctx)
ok(f"compose build.dockerfile {dfile} exists", os.path.isfile(os.path.join(ctx, dfile)))
ok(f"compose build.dockerfile is docker/Dockerfile",
   os.path.samefile(os.path.join(ctx, dfile), dockerfile) if os.path.exists(os.path.join(ctx, dfile)) else False)
ok("compose publishes 8080:8080", "8080:8080" in ports, repr(ports))
ok("compose publishes 8443:8443 (HTTPS)", "8443:8443" in ports, repr(ports))

binds = {}   # container path -> host path
for v in volumes:
    parts = v.split(":")
    src, dst = parts[0], parts[1]
    if src.startswith((".", "/")):
        host = os.path.normpath(os.path.join(cdir, src))
        ok(f"compose volume source {src} exists", os.path.exists(host), host)
        binds[dst] = host
    else:
        ok(f"compose named volume {src} is declared", src in named, repr(sorted(named)))
named_outside = []  # named volumes on a folder of the image's own, checked below
for v in volumes:
    src, dst = v.split(":")[:2]
    if src.startswith((".", "/")):
        continue
    # A mount point inside a read-only bind must already exist on the host.
    parents = [b for b in binds if dst.startswith(b.rstrip("/") + "/")]
    if not parents:
        named_outside.append(dst)
        continue
    for b in parents:
        host = os.path.join(binds[b], os.path.relpath(dst, b))
        ok(f"compose mount point {dst} exists in the repository", os.path.isdir(host), host)

# Dockerfile
workdir, copies, cmd, chowns, made, entrypoint = "/", [], None, [], [], None
lines = open(dockerfile).read().replace("\\\n", " ").splitlines()
stage = 0
for line in lines:
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    word, _, rest = line.partition(" ")
    word = word.upper()
    if word == "FROM":
        stage += 1
    elif word == "WORKDIR":
        workdir = rest.strip()
    elif word == "COPY":
        args = shlex.split(rest)
        if any(a.startswith("--from") for a in args):
            continue
        args = [a for a in args if not a.startswith("--")]
        copies += args[:-1]
    elif word == "RUN" and "chown" in rest and stage >= 2:
        for a in shlex.split(rest.split("chown", 1)[1]):
            if a in ("&&", ";"):
                break
            if not a.startswith("-") and ":" not in a:
                chowns.append(a if a.startswith("/") else os.path.join(workdir, a))
        if "mkdir" in rest:  # folders the same RUN makes: mkdir -p A B && ...
            for a in shlex.split(rest.split("mkdir", 1)[1]):
                if a in ("&&", ";"):
                    break
                if not a.startswith("-"):
                    made.append(a if a.startswith("/") else os.path.join(workdir, a))
    elif word == "ENTRYPOINT":
        entrypoint = rest
    elif word == "CMD":
        cmd = rest
ok("Dockerfile has two stages (build, run)", stage == 2, f"{stage} FROM lines")
ok("Dockerfile COPYs from the context", bool(copies))
for src in copies:
    ok(f"Dockerfile COPY source {src} exists in the context", os.path.exists(os.path.join(ctx, src)))
ign = os.path.join(os.path.dirname(dockerfile), "Dockerfile.dockerignore")
if os.path.exists(ign):
    keep = {l.strip()[1:].strip("/") for l in open(ign) if l.strip().startswith("!")}
    for src in copies:
        s = os.path.normpath(src).strip("/")
        ok(f"Dockerfile.dockerignore keeps COPY source {src}",
           any(s == k or s.startswith(k + "/") for k in keep), repr(sorted(keep)))
# Container paths under /app come from `COPY configs/ configs/` and
# `COPY sites/ sites/` in WORKDIR /app: map them back to the repository.
def repo_path(p):
    return os.path.join(ctx, os.path.relpath(p, workdir))
for p in chowns:
    if p in made:
        continue
    ok(f"Dockerfile chown target {p} exists in the repository", os.path.isdir(repo_path(p)), repo_path(p))
# A named volume on a folder of the image (not in a bind mount): the image
# makes it, for portico's user (Docker fills a new volume from it).
for dst in named_outside:
    ok(f"compose named volume {dst}: a folder the Dockerfile makes for portico's user",
       dst in made and dst in chowns, f"made {made}, chown {chowns}")
# HTTPS: the certificate is made at the first start, by the entrypoint,
# with the script the image copies; the HEALTHCHECK asks over HTTPS.
ok("Dockerfile ENTRYPOINT makes build/tls/ (scripts/tls-cert.sh), then runs the command",
   bool(entrypoint) and "portico-tls-cert build/tls" in entrypoint and 'exec \\"$@\\"' in entrypoint, repr(entrypoint))
ok("Dockerfile COPYs scripts/tls-cert.sh", "scripts/tls-cert.sh" in copies, repr(copies))
m = re.search(r'"-c",\s*"([^"]+)"', cmd or "")
ok("Dockerfile CMD runs portico -c <config>", bool(m), repr(cmd))
if m:
    cfg = m.group(1)
    ok(f"Dockerfile CMD config {cfg} exists", os.path.isfile(repo_path(os.path.join(workdir, cfg))))
    # compose mounts ../configs over /app/configs: the same file must be there.
    for b, host in binds.items():
        full = os.path.join(workdir, cfg)
        if full.startswith(b.rstrip("/") + "/"):
            ok(f"compose bind {b} holds {cfg}", os.path.isfile(os.path.join(host, os.path.relpath(full, b))))
print("\n".join(out))
EOF
rc=$?
check "path checks ran (python3 exit $rc)" "[ $rc -eq 0 ]"
[ $rc -eq 0 ] || sed 's/^/    /' "$T/paths" | head -20
while IFS= read -r line; do
    case $line in
    P\ *) pass "${line#P }" ;;
    F\ *) name=${line#F }; fail "${name%% -- *}" "${name#* -- }" ;;
    esac
done <"$T/paths"

# ---------------------------------------------------------- portico -t
# The certificate demo.yaml names (../build/tls/), as make demo makes it.
check "scripts/tls-cert.sh makes or keeps build/tls/ (demo.yaml's certificate)" \
    "$REPO_DIR/scripts/tls-cert.sh" "$REPO_DIR/build/tls"
"$PORTICO_BIN" -t -c "$DEMO" >"$T/t.out" 2>&1
rc=$?
check_eq "portico -t -c configs/demo.yaml exits 0" 0 "$rc"
check_eq "portico -t -c configs/demo.yaml: configuration OK, no warning" "configuration OK" "$(cat "$T/t.out")"
"$PORTICO_BIN" -T -c "$DEMO" >"$T/T.out" 2>&1
check "demo.yaml: four servers on one TLS listener, 8443" \
    "grep -Eq '^listener 0.0.0.0:8443 \\(tls\\): .*servers: [^ ]+demo.yaml:[0-9:]+ \\(default\\)( [^ ]+demo.yaml:[0-9:]+){3}\$' '$T/T.out'"
check "demo.yaml: one server on the plain listener, 8080, that redirects" \
    "grep -Eq '^listener 0.0.0.0:8080: .*servers: [^ ]+demo.yaml:[0-9:]+ \\(default\\)\$' '$T/T.out'"
check "demo.yaml: the upstream group app, 127.0.0.1:9001 and :9002, with its health check" \
    "grep -q '^upstream app: 127.0.0.1:9001 127.0.0.1:9002; .*health_check /healthz every 2s' '$T/T.out'"

# ------------------------------------------- make demo, make run: the deps
# What a new user types first (issue 10): make demo and make run run the
# same dependency step, the one for building and running only. make's own
# variables from a `make test` above are not passed down.
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -n -C "$REPO_DIR" "$@" 2>&1; }
deps_run=$(mk run | grep 'deps\.sh')
deps_demo=$(mk demo | grep 'deps\.sh')
check_eq "make demo runs the dependency step of make run" "$deps_run" "$deps_demo"
check_match "... the one for running (scripts/deps.sh --run)" 'scripts/deps\.sh --run$' "$deps_demo"
check_match "make test still installs everything (scripts/deps.sh)" '(^|[[:space:]])scripts/deps\.sh$' \
    "$(mk test | grep 'deps\.sh')"
check_match "make run: ports 8080 and 8443 (HTTPS)" 'serve\.sh run configs/default\.yaml 8080 8443$' \
    "$(mk run | grep 'serve\.sh')"
check_match "make run PORT=8081 hands the port on" 'serve\.sh run configs/default\.yaml 8081 8443$' \
    "$(mk run PORT=8081 | grep 'serve\.sh')"
check_match "make run HTTPS_PORT=8444 hands the HTTPS port on" 'serve\.sh run configs/default\.yaml 8080 8444$' \
    "$(mk run HTTPS_PORT=8444 | grep 'serve\.sh')"
check_match "make demo PORT=8082 HTTPS_PORT=8445 hands both on" 'serve\.sh demo configs/demo\.yaml 8082 8445$' \
    "$(mk demo PORT=8082 HTTPS_PORT=8445 | grep 'serve\.sh')"
check_match "make reload: scripts/serve.sh reload build" 'serve\.sh reload build$' "$(mk reload | grep 'serve\.sh')"

# scripts/deps.sh with a fake dpkg-query (FAKE_MISSING: the packages not
# installed), id (FAKE_UID) and apt-get (its arguments go to FAKE_LOG).
FB=$T/fakebin
mkdir -p "$FB"
printf '#!/bin/sh\nfor m in $FAKE_MISSING; do [ "$m" = "$3" ] && exit 1; done\nprintf "install ok installed"\n' >"$FB/dpkg-query"
printf '#!/bin/sh\n[ "$1" = -u ] && echo "$FAKE_UID"\n' >"$FB/id"
printf '#!/bin/sh\necho "$*" >>"$FAKE_LOG"\n' >"$FB/apt-get"
chmod +x "$FB"/*
# deps MISSING UID ARGS...: runs scripts/deps.sh ARGS; sets OUT, RC, APT.
deps() {
    local missing=$1 uid=$2
    shift 2
    : >"$T/apt.log"
    OUT=$(PATH="$FB:$PATH" FAKE_MISSING="$missing" FAKE_UID=$uid FAKE_LOG=$T/apt.log \
        "$REPO_DIR/scripts/deps.sh" "$@" 2>&1)
    RC=$?
    APT=$(grep '^install' "$T/apt.log" | sed 's/^install -y -q --no-install-recommends //')
}
deps "libcmocka-dev jq php-cgi" 1000 --run
check_eq "deps --run as a user, test packages and php-cgi missing: no stop" 0 "$RC"
check_match "... a note names php-cgi and the CGI demos" 'php-cgi.*CGI|CGI.*php-cgi' "$OUT"
check "... and says how to install it" "grep -q 'apt-get install -y php-cgi' <<<'$OUT'"
check "... nothing about libcmocka-dev or jq" "! grep -Eq 'libcmocka|jq' <<<'$OUT'"
deps "libyaml-dev python3" 1000 --run
check_eq "deps --run as a user, libyaml-dev missing: a stop" 1 "$RC"
check "... with the command to run" "grep -q 'sudo apt-get install -y libyaml-dev' <<<'$OUT'"
deps "libcmocka-dev jq" 1000
check_eq "deps (make test) as a user, test packages missing: a stop" 1 "$RC"
check "... naming them" "grep -q 'apt-get install -y libcmocka-dev jq' <<<'$OUT'"
deps "libcmocka-dev php-cgi" 0 --run
check_eq "deps --run as root installs what running uses (php-cgi), no test package" "php-cgi" "$APT"
deps "libyaml-dev jq php-cgi" 0
check_eq "deps (make test, .ci/run) as root installs everything missing" "jq libyaml-dev php-cgi" \
    "$(tr ' ' '\n' <<<"$APT" | sort | xargs)"
deps "openssl python3" 1000 --run
check_eq "deps --run as a user, openssl missing: a stop (it makes the HTTPS certificate)" 1 "$RC"
check "... with the command to run" "grep -q 'sudo apt-get install -y openssl$' <<<'$OUT'"
deps "libssl-dev" 0 --run
check_eq "deps --run as root installs libssl-dev (building needs OpenSSL's headers)" "libssl-dev" "$APT"
deps "" 1000 --run
check_eq "deps --run with nothing missing: silent, exit 0" "0 ''" "$RC '$OUT'"

# ------------------------------------------------------- a copy of the demo
# configs/demo.yaml and sites/ side by side as in the repository (paths in
# the file are relative to its folder), minus anything uploaded or noted
# locally, so that the walk writes nothing into the repository.
PORT=$(free_port)
HPORT=$(free_port)
while [ "$HPORT" = "$PORT" ]; do HPORT=$(free_port); done
DD=$T/demo
mkdir -p "$DD/configs"
tar -C "$REPO_DIR" --exclude='sites/default/uploads/*' --exclude='sites/api/data/*' -cf - sites |
    tar -C "$DD" -xf -
mkdir -p "$DD/sites/default/uploads" "$DD/sites/api/data" "$DD/build"
# The app behind app.localhost (the upstream group app, 127.0.0.1:9001 and
# :9002 in demo.yaml) moves to two free ports as well: two sites/app/app.py
# of the copy run there, started before portico (its first health check
# then finds them) and killed at the end, whatever happened.
AP1=$(free_port)
AP2=$(free_port)
while [ "$AP2" = "$AP1" ] || [ "$AP2" = "$HPORT" ] || [ "$AP2" = "$PORT" ]; do AP2=$(free_port); done
# The plain port 8080 (its one server, the redirect) and the HTTPS port
# 8443 (the four sites; the redirect's target) move to PORT and HPORT.
sed -e "s/listen: 8080\\b/listen: $PORT/" -e "s/listen: {address: 8443,/listen: {address: $HPORT,/" \
    -e "s/:8443{uri}/:$HPORT{uri}/" -e "s/- 127\\.0\\.0\\.1:9001\$/- 127.0.0.1:$AP1/" \
    -e "s/- 127\\.0\\.0\\.1:9002\$/- 127.0.0.1:$AP2/" "$DEMO" >"$DD/configs/demo.yaml"
check_eq "demo copy: the plain listen line moved to port $PORT" 1 "$(grep -c "listen: $PORT\\b" "$DD/configs/demo.yaml")"
check_eq "demo copy: the four TLS listen lines moved to port $HPORT" 4 \
    "$(grep -c "listen: {address: $HPORT, tls: true}" "$DD/configs/demo.yaml")"
check_eq "demo copy: the redirect goes to port $HPORT" 1 "$(grep -c "redirect: {to: \"https://{host}:$HPORT{uri}\", status: 308}" "$DD/configs/demo.yaml")"
check "demo copy: no server left on 8080 or 8443, no redirect to 8443" \
    "! grep -Eq '^[[:space:]-]*listen:[^#]*(8080|8443)|:8443\\{uri\\}' '$DD/configs/demo.yaml'"
check_eq "demo copy: the upstream group app moved to ports $AP1 and $AP2" \
    "- 127.0.0.1:$AP1 - 127.0.0.1:$AP2" "$(grep -Eo -- '- 127\.0\.0\.1:[0-9]+$' "$DD/configs/demo.yaml" | xargs)"
check "demo copy: no upstream left on 9001 or 9002" "! grep -Eq '^[^#]*:900[12]\\b' '$DD/configs/demo.yaml'"
# The copy's certificate: its own CA, made in its build/tls/ as make demo
# makes the repository's; every HTTPS request below is checked against it.
out=$("$REPO_DIR/scripts/tls-cert.sh" "$DD/build/tls" 2>&1)
check "demo copy: scripts/tls-cert.sh makes build/tls/ (exit $?)" \
    "[ -s '$DD/build/tls/ca.pem' ] && [ -s '$DD/build/tls/localhost.pem' ] && [ -s '$DD/build/tls/localhost.key' ]"
check_match "... and says so: a CA, then the server's certificate" \
    "made a new certificate authority, .*ca\\.pem: the file to trust.*made the server's certificate" "$(tr '\n' ' ' <<<"$out")"
CA=$DD/build/tls/ca.pem
CURL_OPTS=(--cacert "$CA")
"$PORTICO_BIN" -t -c "$DD/configs/demo.yaml" >"$T/tcopy.out" 2>&1
check_eq "demo copy: portico -t: configuration OK, no warning" "configuration OK" "$(cat "$T/tcopy.out")"

APP_PIDS=()
# stop_apps: SIGTERM to the app.py processes this script started, and waits.
stop_apps() {
    local p
    for p in "${APP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${APP_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    APP_PIDS=()
}
# lib.sh's trap stops portico and sums up; the apps go first, on every exit.
demo_cleanup() {
    local rc=$?
    stop_apps
    (exit "$rc") # _lib_cleanup takes the script's status from $?
    _lib_cleanup
}
trap demo_cleanup EXIT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
python3 "$DD/sites/app/app.py" --port "$AP1" --name app-1 2>"$T/app1.err" &
APP_PIDS+=($!)
python3 "$DD/sites/app/app.py" --port "$AP2" --name app-2 2>"$T/app2.err" &
APP_PIDS+=($!)
for ((i = 0; i < 50 * SLOW; i++)); do
    port_open "$AP1" && port_open "$AP2" && break
    sleep 0.1
done
check "app: two sites/app/app.py listen on $AP1 and $AP2" "port_open $AP1 && port_open $AP2"

start_server "$DD/configs/demo.yaml" || exit 0
U=https://127.0.0.1:$HPORT
P=http://127.0.0.1:$PORT # the plain port: redirects only
check "workers: auto starts at least one worker" "[ -n '$SERVER_CHILDREN' ]"
check_eq "pid_file: build/demo.pid (beside configs/) holds the master's pid" "$SERVER_PID" \
    "$(cat "$DD/build/demo.pid" 2>/dev/null)"

# ---------------------------------------------- walk every site, every link
# Every *.html under a site's root (but error pages and uploads) must answer
# 200; every href/src on an HTML page of the site must answer 2xx, or a 3xx
# whose target answers in turn. Links meant to fail are listed with the
# status they must get. Links to other hosts are only counted.
python3 - "$HPORT" "$DD/sites" "$CA" >"$T/walk" 2>&1 <<'EOF'
import http.client, os, ssl, sys, urllib.parse
from html.parser import HTMLParser

port, sites = int(sys.argv[1]), sys.argv[2]
tls = ssl.create_default_context(cafile=sys.argv[3])  # checks the chain and the name (IP 127.0.0.1)
SITES = [("localhost", os.path.join(sites, "default")),
         ("blog.localhost", os.path.join(sites, "blog")),
         ("api.localhost", os.path.join(sites, "api", "public")),
         ("app.localhost", os.path.join(sites, "app", "public"))]  # / from app.py, static/ from here
EXPECT = {("localhost", "/no-such-page"): 404,                  # the "custom 404" demo link
          ("blog.localhost", "/posts/no-such-post.html"): 404}   # the same, on the blog
out = []

class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.links.append(v)

def get(host, target):
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=tls)
    try:
        c.request("GET", target, headers={"Host": host, "Accept": "text/html,*/*"})
        r = c.getresponse()
        return r.status, r.getheader("Location"), r.getheader("Content-Type") or "", r.read()
    except Exception as e:
        return 0, None, "", str(e).encode()
    finally:
        c.close()

skipped = 0
for host, root in SITES:
    seen, queue = set(), []
    pages = []
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel.split(os.sep)[0] in ("errors", "uploads"):
            continue
        pages += ["/" + os.path.normpath(os.path.join(rel, f)).lstrip("./") if rel != "." else "/" + f
                  for f in files if f.endswith(".html")]
    for p in sorted(pages):
        st, _, ctype, _ = get(host, p)
        ok = st == 200 and ctype.startswith("text/html")
        out.append(("P " if ok else "F ") + f"page {host}{p} -> 200 text/html" + ("" if ok else f" -- got {st} {ctype}"))
    queue = ["/"] + sorted(pages)
    checked = 0
    while queue and checked < 400:
        target = queue.pop(0)
        if target in seen:
            continue
        seen.add(target)
        checked += 1
        st, loc, ctype, body = get(host, target)
        want = EXPECT.get((host, target.split("?")[0]))
        if want:
            ok = st == want
            out.append(("P " if ok else "F ") + f"link {host}{target} -> {want} (on purpose)" + ("" if ok else f" -- got {st}"))
            continue
        if 300 <= st < 400 and loc:
            out.append(f"P link {host}{target} -> {st} {loc}")
            nxt = urllib.parse.urljoin(target, loc)
            if nxt.startswith("/"):
                queue.append(nxt)
            continue
        ok = 200 <= st < 300
        out.append(("P " if ok else "F ") + f"link {host}{target} -> {st if ok else '2xx'}" + ("" if ok else f" -- got {st}"))
        if not ok or not ctype.startswith("text/html"):
            continue
        parser = Links()
        parser.feed(body.decode("utf-8", "replace"))
        for link in parser.links:
            u = urllib.parse.urlsplit(urllib.parse.urljoin("http://%s%s" % (host, target), link))
            if u.scheme not in ("http", "https") or u.netloc != host:
                if not link.startswith("#"):
                    skipped += 1
                continue
            t = (u.path or "/") + ("?" + u.query if u.query else "")
            if t not in seen:
                queue.append(t)
    out.append(("P " if checked >= 3 else "F ") + f"walk {host}: {checked} URLs reached from /" + ("" if checked >= 3 else " -- too few"))
out.append(f"I {skipped} links to other hosts or schemes not followed")
print("\n".join(out))
EOF
rc=$?
check "the walk ran (python3 exit $rc)" "[ $rc -eq 0 ]"
[ $rc -eq 0 ] || sed 's/^/    /' "$T/walk" | tail -20
while IFS= read -r line; do
    case $line in
    P\ *) pass "${line#P }" ;;
    F\ *) name=${line#F }; fail "${name%% -- *}" "${name#* -- }" ;;
    I\ *) echo "  info  ${line#I }" ;;
    esac
done <"$T/walk"

# ------------------------------------------------- plain HTTP, certificate
# The plain port: whatever the site and method, a 308 to the same URL on
# HTTPS (path and query as sent), which then answers.
for h in localhost blog.localhost api.localhost app.localhost; do
    http -H "Host: $h:$PORT" "$P/some/path.html?x=1&y=%2F"
    expect_status "plain HTTP, $h: 308" 308
    expect_header "... to the same URL over HTTPS" Location "https://$h:$HPORT/some/path.html?x=1&y=%2F"
done
http -X POST -H 'Host: api.localhost' -H 'Content-Type: application/json' --data-binary '{"n": 1}' "$P/cgi-bin/echo.py"
expect_status "plain HTTP: a POST -> 308 too (not 405: the method is the client's to repeat)" 308
expect_header "... to the same URL over HTTPS" Location "https://api.localhost:$HPORT/cgi-bin/echo.py"
http -L -H 'Content-Type: application/json' --data-binary '{"n": 1}' "http://api.localhost:$PORT/cgi-bin/echo.py?via=plain"
expect_status "... curl -L repeats the POST there: 200" 200
jq_ok "... the script got the POST and its body" '.method == "POST" and .json.n == 1 and .query.via == "plain"'
http "$P/"
expect_header "plain HTTP to 127.0.0.1: a 308 to https://127.0.0.1:$HPORT/" Location "https://127.0.0.1:$HPORT/"
http -H 'Host: nobody.example' -X DELETE "$P/x"
expect_status "plain HTTP, an unknown name and DELETE: 308 all the same" 308
http -L "http://blog.localhost:$PORT/about.html"
expect_status "curl -L from http://blog.localhost:$PORT/about.html: 200" 200
expect_body_file "... the blog's about.html, over HTTPS, the certificate checked" "$DD/sites/blog/about.html"
check_eq "... two answers, 308 then 200" "308 200" "$(grep -o '^HTTP/1.1 [0-9]*' "$HDRS" | awk '{ print $2 }' | xargs)"
# The certificate: for each site's name (SNI) and 127.0.0.1, signed by the
# copy's CA, ECDSA P-256; the CA may vouch for localhost names only.
for h in localhost blog.localhost api.localhost app.localhost; do
    code=$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code} %{ssl_verify_result}' --max-time "$MAXT" \
        "https://$h:$HPORT/")
    check_eq "https://$h:$HPORT/: 200, the certificate verified by curl against the copy's CA" "200 0" "$code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$MAXT" "https://localhost:$HPORT/")
check_eq "... and refused without it (curl: an unknown issuer)" 000 "$code"
openssl s_client -connect "127.0.0.1:$HPORT" -servername blog.localhost -verify_hostname blog.localhost \
    -CAfile "$CA" -verify_return_error -tls1_3 </dev/null >"$T/s_client.out" 2>&1
check "openssl s_client (TLS 1.3, SNI blog.localhost): the chain and the name verify" \
    "grep -q 'Verify return code: 0 (ok)' '$T/s_client.out' && grep -q 'TLSv1.3' '$T/s_client.out'"
openssl s_client -connect "127.0.0.1:$HPORT" -servername app.localhost -verify_hostname app.localhost \
    -CAfile "$CA" -verify_return_error -tls1_2 </dev/null >"$T/s_client12.out" 2>&1
check "... TLS 1.2 too" "grep -q 'Verify return code: 0 (ok)' '$T/s_client12.out'"
openssl x509 -in "$DD/build/tls/localhost.pem" -noout -text >"$T/leaf.txt" 2>&1
check "the server's certificate: ECDSA P-256" \
    "grep -q 'Public Key Algorithm: id-ecPublicKey' '$T/leaf.txt' && grep -q 'NIST CURVE: P-256' '$T/leaf.txt'"
check "... names localhost, *.localhost, the demo's sites, 127.0.0.1 and ::1" \
    "grep -q 'DNS:localhost, DNS:\\*.localhost, DNS:blog.localhost, DNS:api.localhost, DNS:app.localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' '$T/leaf.txt'"
openssl x509 -in "$CA" -noout -text >"$T/ca.txt" 2>&1
check "the CA: critical name constraints, localhost and loopback only" \
    "grep -A4 'Name Constraints: critical' '$T/ca.txt' | tr -d ' \n' | grep -q 'Permitted:DNS:localhostIP:127.0.0.0/255.0.0.0IP:0:0:0:0:0:0:0:1/'"
check "the keys are mode 0600" \
    "[ \"\$(stat -c %a '$DD/build/tls/ca.key' '$DD/build/tls/localhost.key' | xargs)\" = '600 600' ]"
t0=$(date +%s%N)
out=$("$REPO_DIR/scripts/tls-cert.sh" "$DD/build/tls" 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
check_eq "scripts/tls-cert.sh again: keeps them, says nothing" "" "$out"
check "... and is quick about it (${ms} ms)" "[ $ms -lt $((2000 * SLOW)) ]"
check "no key or certificate of the demo is tracked by git, build/tls/ is ignored" \
    "[ -z \"\$(git -C '$REPO_DIR' ls-files configs sites docker build | grep -E '\\.(pem|key|crt)\$')\" ] &&
     git -C '$REPO_DIR' check-ignore -q build/tls/ca.key"
raw_port() { RAW_PORT=$HPORT raw "$@"; }
raw_port 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
expect_status "plain HTTP to the HTTPS port: 400" 400

# ------------------------------------------------------------- default site
http "$U/"
expect_status "default site: Host 127.0.0.1 -> 200" 200
expect_body_file "default site: its index.html" "$DD/sites/default/index.html"
http -H 'Host: nobody.example' "$U/"
expect_body_file "unknown Host -> the default server" "$DD/sites/default/index.html"
# The Dockerfile's HEALTHCHECK, with this port.
check "HEALTHCHECK command succeeds (curl -fsS --cacert build/tls/ca.pem https://localhost:HTTPS_PORT/status)" \
    curl -fsS -o /dev/null --max-time "$MAXT" --cacert "$CA" "https://localhost:$HPORT/status"
http -H 'Host: localhost' "$U/status"
expect_status "default /status -> 200" 200
jq_ok "/status: JSON with workers and request counts" '(.workers >= 1) and (.requests.total >= 1)'
http -H 'Host: localhost' "$U/old/hello.txt?x=1"
expect_status "default /old/hello.txt -> 301" 301
expect_header "default redirect keeps path and query" Location "/hello.txt?x=1"
http -H 'Host: localhost' -T "$INTEG_DIR/README.md" "$U/uploads/demo-test.md"
expect_status "default upload: PUT /uploads/demo-test.md -> 201" 201
check "the upload landed in the copy's uploads/" cmp -s "$INTEG_DIR/README.md" "$DD/sites/default/uploads/demo-test.md"
http -H 'Host: localhost' -H 'Accept: application/json' "$U/uploads/"
jq_ok "default /uploads/ lists it (JSON)" 'map(.name) | index("demo-test.md") != null'
http -H 'Host: localhost' -X DELETE "$U/uploads/demo-test.md"
expect_status "default upload: DELETE -> 204" 204
http -H 'Host: localhost' "$U/cgi-bin/hello.py"
expect_status "default CGI: hello.py -> 200" 200
expect_body "default CGI: hello.py says hello" "Hello from Python"
if [ -x /usr/bin/php-cgi ]; then
    http -H 'Host: localhost' "$U/cgi-bin/info.php"
    expect_status "default CGI: info.php -> 200" 200
fi
# The CGI demo pages look like the site (issue 10): its stylesheet and
# header (the walk above checks that their links resolve).
site_look() { # NAME: the last body has the site's stylesheet and header
    expect_body "$1: the site's stylesheet" '<link rel="stylesheet" href="/css/style.css">'
    expect_body "$1: the site's header" '<header class="site-header">'
}
for page in hello.py form.py frame.py; do
    http -H 'Host: localhost' "$U/cgi-bin/$page"
    site_look "default CGI: $page"
done
http -H 'Host: localhost' -d 'name=Ann&message=hi' "$U/cgi-bin/form.py"
site_look "default CGI: form.py's answer"
expect_body "... the fields as the site's facts list" '<dl class="facts">'
if [ -x /usr/bin/php-cgi ]; then
    http -H 'Host: localhost' "$U/cgi-bin/info.php"
    site_look "default CGI: info.php"
fi
check "no __pycache__ beside the scripts (frame.py is imported)" "! [ -e '$DD/sites/default/cgi-bin/__pycache__' ]"
# The welcome page: a master, workers and SIGHUP reloads are there, not
# "coming next".
http -H 'Host: localhost' "$U/"
expect_no_body "welcome page: no 'reloads come next'" 'reloads come next'
expect_body "welcome page: SIGHUP reloads, with make reload" '<code>SIGHUP</code> (<code>make reload</code>) reloads the'

# ------------------------------------------------------------------- blog
B=(-H 'Host: blog.localhost')
http "${B[@]}" "$U/"
expect_status "blog: / -> 200" 200
expect_body_file "blog: / is sites/blog/index.html" "$DD/sites/blog/index.html"
expect_header "blog: / as HTML in UTF-8 (charset: utf-8)" Content-Type "text/html; charset=utf-8"
http "${B[@]}" "$U/css/blog.css"
expect_header "blog: its CSS in UTF-8" Content-Type "text/css; charset=utf-8"
check "curl resolves blog.localhost itself (as browsers do)" \
    "[ \"\$(curl -s --cacert '$CA' -o /dev/null -w '%{http_code}' --max-time $MAXT https://blog.localhost:$HPORT/about.html)\" = 200 ]"
http "${B[@]}" "$U/posts/no-such-post.html"
expect_status "blog: missing post -> 404" 404
expect_body "blog: 404 body is the blog's own page" 'data-page="blog-404"'
expect_header_re "blog: 404 page is HTML" Content-Type '^text/html'
http "${B[@]}" "$U/no/such/folder/"
expect_status "blog: missing folder -> 404" 404
expect_body "blog: ... with the custom page too" 'data-page="blog-404"'
http "${B[@]}" "$U/old-post"
expect_status "blog: /old-post -> 301" 301
expect_header "blog: /old-post Location" Location /posts/hello-portico.html
http "${B[@]}" "$U/author"
expect_status "blog: shorthand redirect /author -> 301" 301
expect_header "blog: /author Location" Location /about.html
http "${B[@]}" "$U/2026/reloads.html?from=feed"
expect_status "blog: /2026/... -> 308" 308
expect_header "blog: keep_path carries path and query" Location "/posts/reloads.html?from=feed"
http "${B[@]}" "$U/images/"
expect_status "blog: /images/ autoindex -> 200" 200
expect_body "blog: listing names dusk.png" "dusk.png"
http "${B[@]}" "$U/images/?format=json"
jq_ok "blog: /images/?format=json lists the 3 images" 'map(.name) | sort == ["dusk.png","logo.svg","vhosts.svg"]'
http "${B[@]}" "$U/images"
expect_status "blog: /images -> 301 to /images/" 301
http "${B[@]}" "$U/images/dusk.png"
expect_header "blog: PNG content type" Content-Type image/png
check "blog: dusk.png is a PNG" "head -c 8 '$BODY' | od -An -tx1 | tr -d ' \n' | grep -qx 89504e470d0a1a0a"
http "${B[@]}" "$U/images/vhosts.svg"
expect_header_re "blog: SVG content type" Content-Type '^image/svg\+xml'
check "blog: SVGs are well-formed XML" \
    python3 -c 'import sys, xml.dom.minidom as m; [m.parse(f) for f in sys.argv[1:]]' "$DD"/sites/blog/images/*.svg
http "${B[@]}" -X POST -d x=1 "$U/"
expect_status "blog: POST -> 405 (GET and HEAD only)" 405
check "blog: whole site under 100 KB" "[ \$(find '$REPO_DIR/sites/blog' -type f -printf '%s\n' | awk '{ s += \$1 } END { print s }') -lt 102400 ]"

# -------------------------------------------------------------------- api
A=(-H 'Host: api.localhost')
http "${A[@]}" "$U/"
expect_status "api: / -> 200" 200
expect_body "api: the page loads app.js" 'src="/app.js"'
http "${A[@]}" "$U/cgi-bin/time.py"
expect_status "api: time.py -> 200" 200
expect_header "api: time.py is JSON, its Content-Type as the script wrote it" Content-Type application/json
jq_ok "api: time.py has now (ISO 8601) and unix" '(.now | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and (.unix | type == "number")'
http "${A[@]}" "$U/cgi-bin/echo.py?name=Ada&tag=a&tag=b&empty="
expect_status "api: echo.py GET -> 200" 200
jq_ok "api: echo.py returns the query" '.method == "GET" and .query.name == "Ada" and .query.tag == ["a","b"] and .query.empty == ""'
http "${A[@]}" -H 'Content-Type: application/json' --data-binary '{"n": 42, "list": [1, "two"], "s": "é"}' "$U/cgi-bin/echo.py?via=post"
expect_status "api: echo.py POST JSON -> 200" 200
jq_ok "api: echo.py returns the JSON body" '.method == "POST" and .json.n == 42 and .json.list == [1,"two"] and .json.s == "é" and .query.via == "post"'
http "${A[@]}" -d 'a=1&b=x+y' "$U/cgi-bin/echo.py"
jq_ok "api: echo.py returns a form body" '.form == {"a": "1", "b": "x y"}'
http "${A[@]}" -H 'Content-Type: application/json' --data-binary '{"n": ' "$U/cgi-bin/echo.py"
expect_status "api: echo.py bad JSON -> 400" 400
jq_ok "api: ... with a JSON error" '.error | test("JSON")'
python3 -c 'import sys; sys.stdout.write("\"" + "a" * 16382 + "\"")' >"$T/16k.json"
python3 -c 'import sys; sys.stdout.write("\"" + "a" * 16383 + "\"")' >"$T/16k1.json"
http "${A[@]}" -H 'Content-Type: application/json' --data-binary "@$T/16k.json" "$U/cgi-bin/echo.py"
expect_status "api: a 16384-byte body (= body_size) -> 200" 200
jq_ok "api: ... read whole" '.body_bytes == 16384 and (.json | length) == 16382'
http "${A[@]}" -H 'Content-Type: application/json' --data-binary "@$T/16k1.json" "$U/cgi-bin/echo.py"
expect_status "api: 16385 bytes -> 413 (limits.body_size 16k)" 413
http "${A[@]}" "$U/cgi-bin/notes.py"
expect_status "api: notes.py GET -> 200" 200
jq_ok "api: no notes yet" '.notes == [] and .count == 0'
http "${A[@]}" -H 'Content-Type: application/json' --data-binary '{"text": "  first note  "}' "$U/cgi-bin/notes.py"
expect_status "api: notes.py POST -> 201" 201
jq_ok "api: the new note, trimmed, with id 1" '.note.id == 1 and .note.text == "first note" and (.note.created | test("Z$"))'
# Concurrent writers: every POST gets its note, none is lost, ids unique.
pids=()
for i in $(seq 1 12); do
    curl -s "${CURL_OPTS[@]}" -o "$T/note$i.json" -w '%{http_code}\n' --max-time "$MAXT" -H 'Host: api.localhost' \
        -H 'Content-Type: application/json' --data-binary "{\"text\": \"parallel $i\"}" "$U/cgi-bin/notes.py" >"$T/note$i.code" &
    pids+=($!)
done
wait "${pids[@]}" # not a bare wait: the server is a child of this shell too
check_eq "api: 12 concurrent POSTs -> 201 each" "$(printf '201 %.0s' $(seq 1 12))" "$(cat "$T"/note*.code | tr '\n' ' ')"
http "${A[@]}" "$U/cgi-bin/notes.py"
jq_ok "api: 13 notes, ids 1..13, none lost" '.count == 13 and ([.notes[].id] | sort) == [range(1; 14)]'
check "api: notes.json on disk is valid JSON" jq -e 'length == 13' "$DD/sites/api/data/notes.json"
check "api: no temporary file left" "[ -z \"\$(ls '$DD/sites/api/data' | grep -v '^notes.json\$')\" ]"
http "${A[@]}" -H 'Content-Type: application/json' --data-binary '{"text": "   "}' "$U/cgi-bin/notes.py"
expect_status "api: an empty note -> 400" 400
jq_ok "api: ... with a JSON error" '.error | type == "string"'
http "${A[@]}" -H 'Content-Type: application/json' --data-binary '[1]' "$U/cgi-bin/notes.py"
expect_status "api: a note that is not an object -> 400" 400
http "${A[@]}" -X DELETE "$U/cgi-bin/notes.py"
expect_status "api: DELETE notes.py -> 405" 405
expect_header "api: ... Allow lists the location's methods" Allow "GET, POST"
http "${A[@]}" "$U/data/notes.json"
expect_status "api: the data folder is outside the document root (404)" 404
expect_body "api: ... with the api's 404 page" 'data-page="api-404"'
# Its endpoints are <code> in .error-page: a path such as /cgi-bin/notes.py
# must not break at its hyphen (issue 10). The same for every site's
# error pages.
for css in sites/api/public/style.css sites/blog/css/blog.css sites/default/css/style.css; do
    check "$css: .error-page code { white-space: nowrap }" python3 - "$REPO_DIR/$css" <<'PYEOF'
import re, sys
text = re.sub(r"/\*.*?\*/", "", open(sys.argv[1]).read(), flags=re.S)
for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
    sels = [" ".join(s.split()) for s in sel.split(",")]
    if ".error-page code" in sels and re.search(r"white-space\s*:\s*nowrap", body):
        sys.exit(0)
sys.exit(1)
PYEOF
done
check "api: the 404 page's endpoints are code inside .error-page" \
    "grep -q 'class=\"wrap error-page\"' '$BODY' && grep -q '<code>/cgi-bin/notes.py</code>' '$BODY'"
http "${A[@]}" --path-as-is "$U/cgi-bin/notes.py/../../data/notes.json"
expect_status "api: no way up into data/ through cgi-bin" 404
http "${A[@]}" "$U/status"
jq_ok "api: /status answers JSON" '.workers >= 1'

# -------------------------------------------------------------------- app
# app.localhost: a reverse proxy to the upstream group app, here the two
# app.py started above (app-1 on AP1, app-2 on AP2); /static/ and the 50x
# page come from sites/app/public.
AH=(-H 'Host: app.localhost')
http "${AH[@]}" "$U/"
expect_status "app: / -> 200" 200
expect_header_re "app: / comes from an instance (X-App-Instance)" X-App-Instance '^app-[12]$'
expect_header_re "app: ... as HTML" Content-Type '^text/html'
check "app: the page names the instance that answered" \
    "grep -q \"<h1>Answered by <span id=\\\"instance\\\" data-instance=\\\"$(hdr X-App-Instance)\\\">\" '$BODY'"
# whoami N [curl args]: N GET /api/whoami in one curl (one connection when
# portico keeps it alive). WHO: who answered, in order; CONNS: the
# connections curl opened; WHO_PIDS: the pids the instances gave.
whoami() {
    local n=$1 urls=() i
    shift
    for ((i = 0; i < n; i++)); do urls+=("$U/api/whoami"); done
    curl -sS "${CURL_OPTS[@]}" --max-time "$MAXT" "${AH[@]}" "$@" -w '%{stderr}%{num_connects}\n' "${urls[@]}" \
        >"$T/who.json" 2>"$T/who.w"
    WHO=$(jq -r .instance "$T/who.json" 2>/dev/null | xargs)
    WHO_PIDS=$(jq -r .pid "$T/who.json" 2>/dev/null | sort -u | xargs)
    CONNS=$(awk '{ s += $1 } END { print s + 0 }' "$T/who.w")
}
whoami 6
check_eq "app: 6 x /api/whoami in one curl: one connection (keep-alive)" 1 "$CONNS"
check_match "app: ... answered in turns by app-1 and app-2 (round robin)" \
    '^(app-1 app-2 app-1 app-2 app-1 app-2|app-2 app-1 app-2 app-1 app-2 app-1)$' "$WHO"
check_eq "app: ... by the two app.py this test started" "$(printf '%s\n' "${APP_PIDS[@]}" | sort -u | xargs)" "$WHO_PIDS"
# What the app received: Host as the client sent it, X-Forwarded-For with
# the client appended, -Proto and -Host set by portico (a client's own are
# replaced: they would let anyone claim https or another host).
http "${AH[@]}" "$U/api/whoami"
expect_header "app: /api/whoami is JSON, the instance's Content-Type untouched" Content-Type application/json
jq_ok "app: X-Forwarded-For is the client's address" '.headers["X-Forwarded-For"] == "127.0.0.1"'
jq_ok "app: X-Forwarded-Proto https, X-Forwarded-Host and Host app.localhost" \
    '.headers["X-Forwarded-Proto"] == "https" and .headers["X-Forwarded-Host"] == "app.localhost" and .headers.Host == "app.localhost"'
http "${AH[@]}" -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Forwarded-Proto: http' -H 'X-Forwarded-Host: evil.example' \
    "$U/api/whoami"
jq_ok "app: a client's X-Forwarded-For gets the client appended" '.headers["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"'
jq_ok "app: ... its X-Forwarded-Proto and -Host are replaced" \
    '.headers["X-Forwarded-Proto"] == "https" and .headers["X-Forwarded-Host"] == "app.localhost"'
http "https://app.localhost:$HPORT/"
expect_status "curl resolves app.localhost itself: / -> 200" 200
expect_body "app: the app saw Host app.localhost:$HPORT" "<tr><th>X-Forwarded-Host</th><td>app.localhost:$HPORT</td></tr>"
expect_body "app: ... so its status link keeps the scheme and port" "href=\"https://localhost:$HPORT/status\""
# A body there and back: 200 KB of UTF-8 text, with Content-Length, then
# chunked (streamed to the app as it comes).
python3 -c 'import sys; sys.stdout.write("".join("Grüße, portico – line %05d\n" % i for i in range(7000)))' >"$T/echo.txt"
for te in "" chunked; do
    http "${AH[@]}" -H 'Content-Type: text/plain; charset=utf-8' ${te:+-H "Transfer-Encoding: $te"} \
        --data-binary "@$T/echo.txt" "$U/api/echo"
    expect_status "app: POST /api/echo ($(wc -c <"$T/echo.txt") bytes${te:+, chunked}) -> 200" 200
    check "app: ... the same body back, its length too" \
        "jq -e --rawfile b '$T/echo.txt' '.body == \$b and .length == $(wc -c <"$T/echo.txt")' '$BODY'"
done
# The app's static files come from the disk: no instance names them.
http "${AH[@]}" "$U/static/style.css"
expect_status "app: /static/style.css -> 200" 200
expect_body_file "app: ... sites/app/public/static/style.css" "$DD/sites/app/public/static/style.css"
expect_header "app: ... as CSS in UTF-8 (portico's own file)" Content-Type "text/css; charset=utf-8"
expect_no_header "app: ... served by portico, not by an instance (no X-App-Instance)" X-App-Instance
http "${AH[@]}" -I "$U/"
expect_status "app: HEAD / -> 200" 200
expect_header_re "app: ... from an instance" X-App-Instance '^app-[12]$'
http "${AH[@]}" "$U/no/such/endpoint"
expect_status "app: a path the app does not know -> its own 404" 404
jq_ok "app: ... as the app's JSON (error_pages has only 502 and 504)" '.error | test("no such endpoint")'
http "${AH[@]}" -X DELETE "$U/api/echo"
expect_status "app: DELETE -> 405 from portico (methods GET, HEAD, POST)" 405
expect_header "app: ... Allow" Allow "GET, HEAD, POST"
# The WebSocket echo through portico's tunnel.
python3 - "$HPORT" "$CA" >"$T/ws.out" 2>&1 <<'PYEOF'
import base64, os, socket, ssl, struct, sys
tls = ssl.create_default_context(cafile=sys.argv[2])
s = tls.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5),
                    server_hostname="app.localhost")
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: app.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        sys.exit("closed before the head: %r" % buf)
    buf += d
head, _, buf = buf.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode())
def frame():
    global buf
    while len(buf) < 2 or len(buf) < 2 + (buf[1] & 0x7F):
        d = s.recv(4096)
        if not d:
            return "(closed)"
        buf += d
    n = buf[1] & 0x7F
    p, buf = buf[2:2 + n], buf[2 + n:]
    return p.decode()
print(frame())
msg, mask = "Grüße through the tunnel".encode(), os.urandom(4)
s.sendall(struct.pack("!BB", 0x81, 0x80 | len(msg)) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
print(frame())
PYEOF
check_eq "app: WebSocket /ws over TLS (wss:) -> 101, greeted by an instance, the message echoed" \
    "HTTP/1.1 101 Switching Protocols|connected to app-?|Grüße through the tunnel" \
    "$(sed 's/app-[12]$/app-?/' "$T/ws.out" | paste -sd '|')"
http -H 'Host: localhost' "$U/status"
jq_ok "/status lists the upstream group app, both servers up" \
    ".upstreams.app | map([.server, .up]) == [[\"127.0.0.1:$AP1\", true], [\"127.0.0.1:$AP2\", true]]"

# Health checks: app-1 fails /healthz (POST /api/sick, straight to its
# port); within two checks (2 s apart) every request goes to app-2.
http -H 'Accept: application/json' -X POST "http://127.0.0.1:$AP1/api/sick"
jq_ok "app: POST /api/sick to app-1 directly" '.instance == "app-1" and .sick_for_s == 20'
http "http://127.0.0.1:$AP1/healthz"
expect_status "app: app-1's /healthz -> 503" 503
t0=$SECONDS
for ((i = 0; i < 30 * SLOW; i++)); do
    whoami 4
    curl -s "${CURL_OPTS[@]}" --max-time "$MAXT" -H 'Host: localhost' "$U/status" >"$T/st.json"
    [ "$WHO" = "app-2 app-2 app-2 app-2" ] &&
        jq -e ".upstreams.app | map([.server, .up]) == [[\"127.0.0.1:$AP1\", false], [\"127.0.0.1:$AP2\", true]]" \
            "$T/st.json" >/dev/null && break
    sleep 0.2
done
check "app: within 6 s only app-2 answers, /status shows app-1 up:false (took $((SECONDS - t0)) s)" \
    "[ '$WHO' = 'app-2 app-2 app-2 app-2' ] && [ $((SECONDS - t0)) -le $((6 * SLOW)) ]"
BODY=$T/st.json
jq_ok "... /status: app-1 up:false, app-2 up:true" \
    ".upstreams.app | map([.server, .up]) == [[\"127.0.0.1:$AP1\", false], [\"127.0.0.1:$AP2\", true]]"
codes=
for i in 1 2 3 4 5 6; do # one connection each: whichever worker takes it
    codes+=$(curl -s "${CURL_OPTS[@]}" --max-time "$MAXT" "${AH[@]}" -o /dev/null -w '%{http_code}:%header{x-app-instance} ' "$U/api/whoami")
done
check_eq "app: ... 6 new connections: all app-2" "$(printf '200:app-2 %.0s' 1 2 3 4 5 6)" "$codes"

# No instance left: 502 with the app's own page; static files still there.
stop_apps
http "${AH[@]}" "$U/"
expect_status "app: both backends killed -> 502" 502
expect_body "app: ... the app's 50x page" 'data-page="app-50x"'
expect_header_re "app: ... as HTML" Content-Type '^text/html'
http "${AH[@]}" "$U/api/whoami"
expect_status "app: ... /api/whoami too -> 502" 502
http "${AH[@]}" "$U/static/logo.svg"
expect_status "app: ... /static/ still served from the disk" 200
for ((i = 0; i < 30 * SLOW; i++)); do
    curl -s "${CURL_OPTS[@]}" --max-time "$MAXT" -H 'Host: localhost' "$U/status" >"$T/st.json"
    jq -e '.upstreams.app | map(.up) == [false, false]' "$T/st.json" >/dev/null && break
    sleep 0.2
done
BODY=$T/st.json
jq_ok "app: ... /status: both servers up:false" '.upstreams.app | map(.up) == [false, false]'

# ------------------------------------------------------------ make reload
# make reload: SIGHUP to the pid of pid_file, after a check of the file;
# the blog's post says so (issue 10: `pgrep -o portico` may find another
# user's server).
serve() { PORTICO=$PORTICO_BIN "$REPO_DIR/scripts/serve.sh" "$@"; }
# new_workers: waits until the master's children are none of SERVER_CHILDREN
# (a reload's new generation), then takes them as SERVER_CHILDREN.
new_workers() {
    local i c old
    for ((i = 0; i < 50 * SLOW; i++)); do
        old=0
        for c in $(pgrep -P "$SERVER_PID"); do [[ " $SERVER_CHILDREN " == *" $c "* ]] && old=1; done
        [ "$old" = 0 ] && [ -n "$(pgrep -P "$SERVER_PID")" ] && break
        sleep 0.1
    done
    SERVER_CHILDREN=$(pgrep -P "$SERVER_PID" | sort | tr '\n' ' ')
}
OUT=$(serve reload "$DD/build" 2>&1)
check_eq "make reload (serve.sh reload build): exit 0" 0 "$?"
check_match "... says what it did" "make reload: sent SIGHUP to portico $SERVER_PID: it reloads $DD/configs/demo.yaml" "$OUT"
check "... and the server reloaded" "wait_log 'configuration reloaded'"
new_workers
http -H 'Host: blog.localhost' "$U/posts/reloads.html"
expect_status "after make reload the blog still answers" 200
cp "$DD/configs/demo.yaml" "$T/demo.yaml.good"
sed -i 's/^workers: auto/wokers: auto/' "$DD/configs/demo.yaml"
OUT=$(serve reload "$DD/build" 2>&1)
check_eq "make reload of a broken file: exit 1" 1 "$?"
check_match "... the error, at its file:line:col" "$DD/configs/demo\\.yaml:[0-9]+:1: unknown key 'wokers'" "$OUT"
check_match "... and the server keeps its configuration" "portico $SERVER_PID keeps its running configuration" "$OUT"
check_eq "... no SIGHUP was sent" 1 "$(grep -c 'configuration reloaded' "$SERVER_ERR")"
cp "$T/demo.yaml.good" "$DD/configs/demo.yaml"
check "the blog's reload post says make reload" "grep -q 'make reload' '$REPO_DIR/sites/blog/posts/reloads.html'"
check "... and the pid file way, never pgrep" \
    "grep -q 'build/demo.pid' '$REPO_DIR/sites/blog/posts/reloads.html' && ! grep -q pgrep '$REPO_DIR/sites/blog/posts/reloads.html'"

stop_server
check "the pid file goes when portico stops" "! [ -e '$DD/build/demo.pid' ]"
OUT=$(serve reload "$DD/build" 2>&1)
check_eq "make reload with no server: exit 1" 1 "$?"
check_match "... says none runs" "no portico started by make run or make demo is running" "$OUT"

# ------------------------------------------------- make demo PORT=..., taken
# serve.sh as make demo PORT=P HTTPS_PORT=H runs it, on the repository's
# demo.yaml (ports 8080 and 8443) beside the copy's sites: the ports go into
# build/demo8080-P.yaml, the certificate is the copy's build/tls/.
# It also starts the app behind app.localhost, on the ports demo.yaml names
# (serve.sh's own 9001 and 9002, not moved): the copy's sites/app/app.py,
# twice, stopped when serve.sh ends. Another program on 9001 or 9002 (a
# make demo someone runs) leaves that to the note serve.sh gives then.
DDP=$(cd "$DD" && pwd -P)
# apps_in DIR: the pids of the sites/app/app.py processes running in DIR.
apps_in() {
    local p
    for p in $(pgrep -f 'sites/app/app\.py'); do
        [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$1" ] && echo "$p"
    done | sort | xargs
}
# apps_gone DIR: waits up to 3 s for apps_in DIR to be empty.
apps_gone() {
    local i
    for ((i = 0; i < 30 * SLOW; i++)); do
        [ -z "$(apps_in "$1")" ] && return 0
        sleep 0.1
    done
    return 1
}
FIXED_FREE=1
if port_open 9001 || port_open 9002; then
    FIXED_FREE=0
    echo "  note  port 9001 or 9002 is taken by another program: make demo's own app is not started there"
fi
P2=$(free_port)
H2=$(free_port)
while [ "$H2" = "$P2" ]; do H2=$(free_port); done
cp "$DEMO" "$DD/configs/demo8080.yaml"
(cd "$DD" && serve demo configs/demo8080.yaml "$P2" "$H2" >"$T/serve.out" 2>"$T/serve.err") &
SERVE_JOB=$!
# demo_pid PORT: the pid in build/demo-PORT.pid, once there (up to 5 s),
# also for run.sh's check that no server is left behind.
demo_pid() {
    local i m
    for ((i = 0; i < 50 * SLOW; i++)); do
        [ -s "$DD/build/demo-$1.pid" ] && break
        sleep 0.1
    done
    m=$(cat "$DD/build/demo-$1.pid" 2>/dev/null)
    [ -n "$m" ] && echo "$m" >>"$PORTICO_RESULTS.pids"
    echo "$m"
}
M2=$(demo_pid "$P2")
check "make demo PORT=$P2: started (pid file build/demo-$P2.pid)" "[ -n '$M2' ]"
check_match "... says it serves a copy" "make demo: serving configs/demo8080\\.yaml on port $P2 and HTTPS port $H2 \\(through the copy build/demo8080-$P2\\.yaml\\)" "$(cat "$T/serve.err")"
check_match "... where the CA to trust is, and how" \
    "make demo: HTTPS uses a certificate of this checkout's own certificate authority, build/tls/ca\\.pem; trust it:.*curl --cacert build/tls/ca\\.pem https://localhost:$H2/.*browsers: import build/tls/ca\\.pem" \
    "$(tr '\n' ' ' <"$T/serve.err")"
check_eq "... the copy has the plain listen line on $P2" 1 "$(grep -c "listen: $P2\\b" "$DD/build/demo8080-$P2.yaml")"
check_eq "... the four TLS ones on $H2" 4 "$(grep -c "listen: {address: $H2, tls: true}" "$DD/build/demo8080-$P2.yaml")"
check_eq "... the redirect to $H2" 1 "$(grep -c "https://{host}:$H2{uri}" "$DD/build/demo8080-$P2.yaml")"
check_eq "... and the lines of its source" "$(wc -l <"$DEMO")" "$(grep -vc '^# \(Made by\|edit that\|serve.sh:\)' "$DD/build/demo8080-$P2.yaml")"
check "... its start-up lines give the URLs" \
    "grep -q 'listening on http://localhost:$P2/' '$T/serve.err' && grep -q 'listening on https://localhost:$H2/' '$T/serve.err'"
http -H 'Host: blog.localhost' "http://127.0.0.1:$P2/about.html"
expect_header "... $P2 redirects to $H2" Location "https://blog.localhost:$H2/about.html"
http -H 'Host: blog.localhost' "https://127.0.0.1:$H2/"
expect_status "... the blog answers on $H2 (the copy's CA: serve.sh kept build/tls/)" 200
SERVE_SH=$(ps -o ppid= -p "${M2:-0}" 2>/dev/null | tr -d ' ')
APPS2=$(apps_in "$DDP")
if [ "$FIXED_FREE" = 1 ]; then
    check_eq "make demo: two sites/app/app.py beside portico, children of serve.sh" \
        "$SERVE_SH $SERVE_SH" "$(for p in $APPS2; do ps -o ppid= -p "$p"; done | xargs)"
    check "... listening on 9001 and 9002" "port_open 9001 && port_open 9002"
    whoami_on() { # PORT N: like whoami, through portico on PORT
        local U=https://127.0.0.1:$1
        whoami "$2"
    }
    whoami_on "$H2" 4
    check_eq "... app.localhost on $H2 answered by app-1 and app-2, twice each" \
        "app-1 app-2" "$(tr ' ' '\n' <<<"$WHO" | sort | uniq -c | awk '$1 == 2 { print $2 }' | xargs)"
    check_eq "... which are those two processes" "$APPS2" "$WHO_PIDS"
else
    check_match "make demo: port 9001 or 9002 taken: serve.sh says so" \
        "make demo: port 900[12] is taken: app.localhost sends its requests to whatever answers there" "$(cat "$T/serve.err")"
fi
# A second one on the same port: portico says who holds it, make which PORT.
OUT=$(cd "$DD" && serve demo configs/demo8080.yaml "$P2" "$H2" 2>&1)
check_eq "make demo PORT=$P2 again: exit 1" 1 "$?"
echo "$OUT" >"$T/again.out"
check_match "... portico: another program listens there" "another program listens on port $P2" "$OUT"
check_match "... make: the command that serves on a free port" "make demo: port $P2 is taken: serve on a free one with: make demo PORT=[0-9]+" "$OUT"
check_eq "... and the running one keeps its pid file" "$M2" "$(cat "$DD/build/demo-$P2.pid" 2>/dev/null)"
OUT=$(cd "$DD" && serve reload build 2>&1)
check_match "make reload finds it, checks the source, makes the copy again" \
    "sent SIGHUP to portico $M2: it reloads .*/configs/demo8080\\.yaml" "$OUT"
for ((i = 0; i < 30 * SLOW; i++)); do grep -q 'configuration reloaded' "$T/serve.err" && break; sleep 0.1; done
check "... and it reloaded" "grep -q 'configuration reloaded' '$T/serve.err'"
OUT=$(serve run "$DD/configs/demo8080.yaml" http 2>&1)
check_eq "PORT=http: exit 2" 2 "$?"
check_match "... says what PORT must be" "PORT must be a port number" "$OUT"
OUT=$(serve run "$DD/configs/demo8080.yaml" 8081 https 2>&1)
check_eq "HTTPS_PORT=https: exit 2" 2 "$?"
check_match "... says what HTTPS_PORT must be" "HTTPS_PORT must be a port number" "$OUT"
OUT=$(serve run "$DD/configs/demo8080.yaml" 8081 8081 2>&1)
check_eq "PORT=HTTPS_PORT: exit 2" 2 "$?"
check_match "... says they must differ" "PORT and HTTPS_PORT must differ" "$OUT"
if [ -n "$M2" ]; then kill -TERM "$M2"; else kill -TERM "$SERVE_JOB" $(pgrep -P "$SERVE_JOB"); fi
wait "$SERVE_JOB"
check_eq "SIGTERM to portico: make demo ends with status 0" 0 "$?"
check "... its pid file gone" "! [ -e '$DD/build/demo-$P2.pid' ]"
check "... and its app.py processes with it" "apps_gone '$DDP'"
[ "$FIXED_FREE" = 1 ] && check "... nothing listens on 9001 and 9002 any more" "! port_open 9001 && ! port_open 9002"

# Ctrl-C in the terminal of make demo: SIGINT to each process of its
# process group (serve.sh, portico, the app.py). Here serve.sh gets a
# group of its own, with SIGINT's default action (a background job of a
# script ignores it).
P3=$(free_port)
H3=$(free_port)
while [ "$H3" = "$P3" ]; do H3=$(free_port); done
(cd "$DD" && exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setpgid(0, 0)
os.execvp(sys.argv[1], sys.argv[1:])' env PORTICO="$PORTICO_BIN" "$REPO_DIR/scripts/serve.sh" demo configs/demo8080.yaml "$P3" "$H3" \
    >"$T/serve3.out" 2>"$T/serve3.err") &
PG=$!
M3=$(demo_pid "$P3")
check "make demo PORT=$P3 (for Ctrl-C): started" "[ -n '$M3' ] && [ \"\$(ps -o pgid= -p $M3 | tr -d ' ')\" = $PG ]"
APPS3=$(apps_in "$DDP")
[ "$FIXED_FREE" = 1 ] && check_eq "... with its two app.py" 2 "$(wc -w <<<"$APPS3")"
kill -INT -- "-$PG"
wait "$PG"
rc=$?
check_match "Ctrl-C: make demo ends (serve.sh exits 130, as after SIGINT; got $rc)" '^130$' "$rc"
for ((i = 0; i < 30 * SLOW; i++)); do [ -z "$(pgrep -g "$PG")" ] && break; sleep 0.1; done
check_eq "... no process of its group left (portico, workers, app.py)" "" "$(pgrep -g "$PG" | xargs)"
check "... no app.py of the copy left" "apps_gone '$DDP'"
check "... its pid file gone" "! [ -e '$DD/build/demo-$P3.pid' ]"
check "... portico stopped on its SIGINT, gracefully (its log: signal 2: stopping, stopped)" \
    "grep -q 'signal 2: stopping\$' '$T/serve3.err' && grep -q '#0: stopped\$' '$T/serve3.err'"
