#!/usr/bin/env bash
# Uploads (issue 3, item 1), from configs/test/upload.yaml on a temp docroot:
# multipart/form-data POST to a folder (sanitised names, generated names,
# -1/-2 suffixes, binary parts, boundaries split across reads, many parts),
# raw-body POST and PUT to a file (201/204/409), missing folders, escapes,
# Content-Length and chunked bodies, body_size exactly and one byte over,
# Expect: 100-continue seen on the wire, the JSON and HTML answers (jq),
# 50 aborted or timed-out uploads leaving nothing behind, and 200 MiB
# uploads (PUT and multipart) stored byte for byte while the server's
# resident memory stays flat.
. "$(dirname "$0")/lib.sh"

if ! command -v jq >/dev/null; then
    fail "jq is required"
    exit 0
fi

# ---------------------------------------------------------------- docroot
D=$T/docroot
UP=$D/up
SM=$D/small
OUT=$T/outside
mkdir -p "$D/site" "$UP/sub" "$UP/mp" "$UP/names" "$UP/many" "$UP/split" "$UP/abort" \
    "$UP/big" "$UP/exp" "$SM" "$D/static" "$D/sa" "$D/sb" "$OUT"
echo "site" >"$D/site/index.html"
printf 'outside secret\n' >"$OUT/secret.txt"
ln -s "$OUT" "$UP/outdir"               # a folder link leading outside the root
ln -s "$OUT/secret.txt" "$UP/outlink"   # a file link leading outside

use_config upload
render "$CONFIGS/upload.yaml" "$CONFIG" "@DOCROOT@=$D"
start_server "$CONFIG" || exit 0
H='Host: localhost\r\n'

# ------------------------------------------------------------- helpers
# A raw client for what curl cannot do: exact multipart bytes, splits
# across reads, Expect: 100-continue step by step, cut-off and stalled
# bodies. Subcommands print one result per line.
PY=$T/upl.py
cat >"$PY" <<'EOF'
import argparse, codecs, json, os, random, socket, sys, threading, time

A = None
BOUNDARY = "----portico-test-7MA4YWxkTrZu0gW"


def connect():
    s = socket.create_connection(("127.0.0.1", A.port), timeout=A.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    def __init__(self, s):
        self.s, self.buf = s, b""

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def response(self):
        """(status, headers, body) of the next response; 1xx have no body."""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n\r\n")
        head, self.buf = self.buf[:i].decode("latin-1"), self.buf[i + 4:]
        lines = head.split("\r\n")
        status = int(lines[0].split()[1])
        h = {}
        for l in lines[1:]:
            k, v = l.split(":", 1)
            h[k.strip().lower()] = v.strip()
        body = b""
        if status >= 200 and status not in (204, 304):
            n = int(h.get("content-length", "0"))
            while len(self.buf) < n:
                self.fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        return status, h, body


def request_head(method, path, length=None, ctype=None, extra=()):
    h = "%s %s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n" % (method, path)
    if ctype:
        h += "Content-Type: %s\r\n" % ctype
    if length is None:
        h += "Transfer-Encoding: chunked\r\n"
    else:
        h += "Content-Length: %d\r\n" % length
    for e in extra:
        h += e + "\r\n"
    return (h + "\r\n").encode()


def part(filename, data, field="file", raw_disposition=None):
    """One multipart part; filename None: a plain field. filename is bytes
    put as is inside the quotes."""
    disp = raw_disposition
    if disp is None:
        disp = b'form-data; name="' + field.encode() + b'"'
        if filename is not None:
            disp += b'; filename="' + filename + b'"'
    head = b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: " + disp + b"\r\n"
    if filename is not None:
        head += b"Content-Type: application/octet-stream\r\n"
    return head + b"\r\n" + data + b"\r\n"


def closing():
    return b"--" + BOUNDARY.encode() + b"--\r\n"


MP_CTYPE = "multipart/form-data; boundary=" + BOUNDARY


def tricky_data(seed):
    """Binary data full of near-delimiters: CR, LF, '--', partial boundaries."""
    b = BOUNDARY.encode()
    r = random.Random(seed)
    return (b"\r\n--" + b[:-1] + b"X\r\n" + b"x--" + b + b"--\r\n" + bytes(range(256)) +
            b"\r\n-\r\n--\r\r\n--" + b[:12] + b"\r\n\r\nz--" + b + b"\r\n" +
            bytes(r.randrange(256) for _ in range(300)) + b"\n--" + b + b"\r\n\r\n")


def split_body(seed):
    """Three file parts (one empty, one ending in CRLF) and a plain field."""
    files = [("split-a.bin", tricky_data(seed)), ("split-b.bin", b"\r\n"), ("split-c.bin", b"")]
    body = part(files[0][0].encode(), files[0][1], "a") + part(None, b"plain\r\n--value", "field")
    body += part(files[1][0].encode(), files[1][1], "b") + part(files[2][0].encode(), files[2][1], "c")
    body += closing()
    return body, files


def send_pieces(s, data, cuts, delay):
    last = 0
    for c in sorted(set(cuts)) + [len(data)]:
        if c <= last or c > len(data):
            continue
        s.sendall(data[last:c])
        last = c
        if c < len(data):
            time.sleep(delay)


def verify_upload(status, body, files, folder):
    """Checks a JSON answer and the stored files, then removes them."""
    if status != 201:
        return "status %d" % status
    try:
        got = json.loads(body)["files"]
    except Exception as e:
        return "bad JSON: %r" % body[:200]
    if [f["name"] for f in got] != [f[0] for f in files]:
        return "names %r" % [f["name"] for f in got]
    err = None
    for (name, data), g in zip(files, got):
        p = os.path.join(folder, name)
        try:
            disk = open(p, "rb").read()
        except OSError as e:
            err = err or "%s missing" % name
            continue
        if disk != data:
            err = err or "%s differs (%d bytes stored, %d sent)" % (name, len(disk), len(data))
        if g["size"] != len(data):
            err = err or "%s: JSON size %d, sent %d" % (name, g["size"], len(data))
        os.unlink(p)
    return err


def cmd_split():
    """The same multipart body sent cut at every offset around each
    delimiter and part head, then in random pieces, then byte by byte."""
    body, files = split_body(1)
    head = request_head("POST", A.path, len(body), MP_CTYPE)
    b = BOUNDARY.encode()
    marks = [i for i in range(len(body)) if body.startswith(b"--" + b, i)]
    cuts = set()
    for m in marks:
        for d in range(-3, len(b) + 8):
            cuts.add(m + d)
    for i in range(len(body)):  # every cut inside the part heads
        if body.startswith(b"Content-", i):
            cuts.update(range(i, i + 60, 3))
    cuts = sorted(c for c in cuts if 0 <= c <= len(body))
    fails, n = [], 0
    rnd = random.Random(7)
    plans = [("cut@%d" % c, [len(head) + c]) for c in cuts]
    plans += [("random%d" % k, [len(head) + rnd.randrange(len(body)) for _ in range(6)])
              for k in range(30)]
    plans.append(("bytewise", list(range(len(head), len(head) + len(body)))))
    for name, pieces in plans:
        n += 1
        s = connect()
        delay = 0.001 if name == "bytewise" else A.delay
        send_pieces(s, head + body, pieces, delay)
        try:
            st, h, rb = Reader(s).response()
        except (EOFError, OSError) as e:
            st, rb = 0, b""
        s.close()
        err = verify_upload(st, rb, files, A.dir)
        if err:
            fails.append("%s: %s" % (name, err))
    print("requests %d failed %d" % (n, len(fails)))
    for f in fails[:10]:
        print("FAIL " + f)


def cmd_bigsplit():
    """1 MiB of random binary in 3 parts sent in random pieces (1..9000 bytes)."""
    rnd = random.Random(3)
    files = [("r%d.bin" % i, os.urandom(350000 + i)) for i in range(3)]
    body = b"".join(part(n.encode(), d, "f%d" % i) for i, (n, d) in enumerate(files)) + closing()
    data = request_head("POST", A.path, len(body), MP_CTYPE) + body
    s = connect()
    pos = 0
    while pos < len(data):
        k = rnd.randrange(1, 9000)
        s.sendall(data[pos:pos + k])
        pos += k
        if rnd.random() < 0.05:
            time.sleep(0.002)
    st, h, rb = Reader(s).response()
    s.close()
    print(verify_upload(st, rb, files, A.dir) or "ok")


def cmd_mp():
    """One multipart request with the given file names (Python escapes,
    put raw inside filename="..."); each part holds 'part N'. Prints the
    status; the JSON answer goes to --out."""
    body = b""
    for i, spec in enumerate(A.names):
        if spec == "@field":
            body += part(None, b"a plain value", "field%d" % i)
        elif spec.startswith("@disp:"):
            body += part(b"", b"part %d\n" % i, raw_disposition=codecs.escape_decode(spec[6:].encode())[0])
        else:
            body += part(codecs.escape_decode(spec.encode())[0], b"part %d\n" % i, "f%d" % i)
    body += closing()
    s = connect()
    s.sendall(request_head("POST", A.path, len(body), MP_CTYPE) + body)
    st, h, rb = Reader(s).response()
    s.close()
    open(A.out, "wb").write(rb)
    print(st)


def cmd_mpsize():
    """A multipart body of exactly --total bytes (one file part padded to
    fit); prints the status and the part's data size."""
    empty = part(b"exact.bin", b"", "f") + closing()
    n = A.total - len(empty)
    body = part(b"exact.bin", b"e" * n, "f") + closing()
    assert len(body) == A.total
    s = connect()
    s.sendall(request_head("POST", A.path, len(body), MP_CTYPE) + body)
    try:
        st, h, rb = Reader(s).response()
    except (EOFError, OSError):
        st = 0
    s.close()
    print(st, n)


def cmd_expect():
    """Expect: 100-continue step by step. Sends the head alone and reads
    the first answer; only after a 100 sends the body and reads the final
    answer, then (when kept alive) a GET of --get on the same connection.
    Prints: first STATUS SECONDS, final STATUS, location L, next STATUS."""
    body = open(A.body_file, "rb").read() if A.body_file else b""
    ctype = A.ctype
    if A.multipart:
        body = part(b"cont.bin", body, "f") + closing()
        ctype = MP_CTYPE
    length = None if A.chunked else (A.length if A.length >= 0 else len(body))
    s = connect()
    r = Reader(s)
    t0 = time.monotonic()
    s.sendall(request_head(A.method, A.path, length, ctype, ["Expect: 100-continue"]))
    try:
        st, h, rb = r.response()
    except (EOFError, OSError, socket.timeout):
        print("first none")
        return
    print("first %d %.3f" % (st, time.monotonic() - t0))
    if st != 100:
        print("final %d" % st)
        return
    if A.chunked:
        out = b""
        for i in range(0, len(body), 1000):
            c = body[i:i + 1000]
            out += b"%x\r\n" % len(c) + c + b"\r\n"
        body = out + b"0\r\n\r\n"
    try:
        s.sendall(body)
    except OSError:
        pass  # an early answer (413) may close the connection
    try:
        st, h, rb = r.response()
    except (EOFError, OSError, socket.timeout):
        print("final none")
        return
    print("final %d" % st)
    print("location %s" % h.get("location", "-"))
    if A.out:
        open(A.out, "wb").write(rb)
    if A.get and h.get("connection", "").lower() != "close":
        s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % A.get).encode())
        try:
            st, h, rb = r.response()
            print("next %d %d" % (st, len(rb)))
        except (EOFError, OSError, socket.timeout):
            print("next none")
    s.close()


def abort_one(i):
    """The i-th cut-off upload: a head announcing a body, part of it, then
    a close (every third one a reset)."""
    kind = A.kind
    size = A.size
    if kind == "mp":
        first = part(b"mpab-%d-complete.txt" % i, b"a complete first part\n", "a")
        second = part(b"keep.txt", b"k" * size, "b")
        body = first + second + closing()
        sent = body[:len(first) + len(second) // 2]
        head = request_head("POST", A.path, len(body), MP_CTYPE)
    elif kind == "expect":
        head = request_head("PUT", A.path.replace("{i}", str(i)), size, None, ["Expect: 100-continue"])
        s = connect()
        s.sendall(head)
        r = Reader(s)
        try:
            r.response()  # the 100
        except (EOFError, OSError):
            pass
        if i % 2:
            s.sendall(b"x" * (size // 3))
        time.sleep(0.02)
        s.close()
        return
    elif kind == "chunk":
        body = b"%x\r\n" % size + b"c" * size + b"\r\n0\r\n\r\n"
        sent = body[:len(body) // 2]
        head = request_head("PUT", A.path.replace("{i}", str(i)), None)
    else:
        method = "PUT" if kind == "put" else "POST"
        sent = b"p" * int(size * A.frac)
        head = request_head(method, A.path.replace("{i}", str(i)), size, "application/octet-stream")
    s = connect()
    s.sendall(head)
    pos = 0
    while pos < len(sent):
        s.sendall(sent[pos:pos + 65536])
        pos += 65536
    time.sleep(0.02)
    if i % 3 == 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()


def cmd_abort():
    for i in range(A.n):
        abort_one(i + A.first)
    print("aborted %d" % A.n)


def cmd_stall():
    """--n clients in parallel send a head and part of the body, then
    nothing: each should get 408 after timeouts.body."""
    res = [None] * A.n

    def one(i):
        if A.kind == "mp":
            body = part(b"stall-%d.txt" % i, b"s" * 5000, "f") + closing()
            head = request_head("POST", A.path, len(body), MP_CTYPE)
        else:
            body = b"s" * 5000
            head = request_head("PUT", A.path.replace("{i}", str(i)), len(body))
        s = connect()
        t0 = time.monotonic()
        s.sendall(head + body[:len(body) // 2])
        try:
            st, h, rb = Reader(s).response()
        except (EOFError, OSError, socket.timeout):
            st = 0
        res[i] = "%d %.2f" % (st, time.monotonic() - t0)
        s.close()

    th = [threading.Thread(target=one, args=(i,)) for i in range(A.n)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    for r in res:
        print(r)


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("cmd")
    ap.add_argument("--path", default="/up/")
    ap.add_argument("--dir", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--delay", type=float, default=0.005)
    ap.add_argument("--names", nargs="*", default=[])
    ap.add_argument("--total", type=int, default=0)
    ap.add_argument("--method", default="PUT")
    ap.add_argument("--body-file", default="")
    ap.add_argument("--ctype", default="application/octet-stream")
    ap.add_argument("--multipart", action="store_true")
    ap.add_argument("--chunked", action="store_true")
    ap.add_argument("--length", type=int, default=-1)
    ap.add_argument("--get", default="")
    ap.add_argument("--kind", default="put")
    ap.add_argument("--n", type=int, default=1)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--size", type=int, default=100000)
    ap.add_argument("--frac", type=float, default=0.5)
    A = ap.parse_args()
    globals()["cmd_" + A.cmd]()


main()
EOF
py() { python3 "$PY" --port "$PORT" --timeout "$MAXT" "$@"; }

# jq_ok NAME FILTER: jq -e on the last body
jq_ok() {
    check "$1" "jq -e '$2' '$BODY'"
}

# state DIR: every entry (hidden ones too) with its inode, size, mtime and
# a checksum: what an aborted or refused upload must leave unchanged.
state() {
    (cd "$1" && find . -mindepth 1 -printf '%P %i %s %T@ %y\n' | sort &&
        find . -mindepth 1 -type f -exec sha256sum {} + | sort)
}

server_pids() { echo "$SERVER_PID" $(pgrep -P "$SERVER_PID"); }
# mem KEY: VmRSS or VmHWM in kB, summed over the server's processes
mem() {
    local p s=0 v
    for p in $(server_pids); do
        v=$(awk -v k="$1:" '$1 == k { print $2 }' "/proc/$p/status" 2>/dev/null)
        s=$((s + ${v:-0}))
    done
    echo "$s"
}
# open file descriptors of the server (all processes), and those into the docroot
nfds() {
    local p n=0
    for p in $(server_pids); do n=$((n + $(ls "/proc/$p/fd" 2>/dev/null | wc -l))); done
    echo "$n"
}
# (the configured roots themselves are held open by design)
docroot_fds() {
    local p
    for p in $(server_pids); do ls -l "/proc/$p/fd" 2>/dev/null; done | grep -F -- "$D/" | sed 's/.*-> //' |
        grep -vxE -- "$D/(site|up|small|static|sa|sb)"
}

# ------------------------------------------------- multipart POST, basics
printf 'hello upload\n' >"$T/a.txt"
printf 'second file\n' >"$T/b.txt"
http -H 'Accept: application/json' -F "first=@$T/a.txt" -F "note=just a field" -F "second=@$T/b.txt" "$U/up/mp/"
expect_status "multipart POST of two files and a field -> 201" 201
expect_header "JSON answer Content-Type" Content-Type "application/json"
jq_ok "JSON: two files (the plain field is not stored)" '.files | length == 2'
jq_ok "JSON: first file name, size, url" '.files[0] == {"name":"a.txt","size":13,"url":"/up/mp/a.txt"}'
jq_ok "JSON: second file name, size, url" '.files[1] == {"name":"b.txt","size":12,"url":"/up/mp/b.txt"}'
jq_ok "JSON: exactly the keys files[].name/size/url" '(keys == ["files"]) and all(.files[]; keys == ["name","size","url"])'
expect_header "Location is the first file" Location "/up/mp/a.txt"
check "a.txt stored byte for byte" cmp "$T/a.txt" "$UP/mp/a.txt"
check "b.txt stored byte for byte" cmp "$T/b.txt" "$UP/mp/b.txt"
check_eq "the field is not stored; nothing else in the folder" "a.txt b.txt" "$(ls -A "$UP/mp" | sort | tr '\n' ' ' | sed 's/ $//')"
http "$U/up/mp/a.txt"
expect_status "the stored file is served" 200
expect_body_file "... byte for byte" "$T/a.txt"

# HTML answer (no Accept: application/json)
printf '<i>&' >"$T/spec.txt"
http -F "f=@$T/spec.txt;filename=<i>&\"q.txt" -F "g=@$T/a.txt;filename=a b.txt" "$U/up/mp/"
expect_status "multipart POST, HTML answer -> 201" 201
expect_header "HTML answer Content-Type" Content-Type "text/html"
expect_header "HTML answer Content-Length matches" Content-Length "$(wc -c <"$BODY" | tr -d ' ')"
expect_body "HTML: escaped name" '&lt;i&gt;&amp;'
expect_no_body "HTML: no raw <i>" '<i>'
expect_body "HTML: link to the file with a space, percent-encoded" 'href="/up/mp/a%20b.txt"'
expect_header_re "Location percent-encodes the first name" Location '^/up/mp/%3Ci%3E%26'
stored_spec=
for f in "$UP/mp/"*'<i>&'*; do [ -e "$f" ] && stored_spec=$(basename "$f"); done
check "the name with specials is stored as one file in the folder" "[ -n '$stored_spec' ] && cmp '$T/spec.txt' '$UP/mp/$stored_spec'"
check "a b.txt stored" cmp "$T/a.txt" "$UP/mp/a b.txt"
# The page a browser shows after the form without JavaScript (issue 10):
# the look of the demo (a built-in stylesheet), "1 byte", a link back to
# the form's page when the Referer is on this host, else to /.
expect_body "HTML: the built-in stylesheet, with the demo's palette" '--accent:#b4532a'
expect_body "HTML: ... light and dark" 'prefers-color-scheme:dark'
expect_body "HTML: 4 bytes" '(4 bytes)'
printf x >"$T/one.txt"
http -H "Referer: http://127.0.0.1:$PORT/upload.html?from=<form>" -F "f=@$T/one.txt;filename=one.txt" "$U/up/mp/"
expect_status "a 1-byte upload -> 201" 201
expect_body "HTML: 1 byte, not 1 bytes" '(1 byte)'
expect_body "HTML: a link back to the form's page (Referer on this host), escaped" \
    '<a href="/upload.html?from=&lt;form&gt;">&larr; Back to /upload.html?from=&lt;form&gt;</a>'
http -H "Referer: http://elsewhere.example/upload.html" -F "f=@$T/one.txt;filename=one.txt" "$U/up/mp/"
expect_body "HTML: a Referer on another host -> a link to /" '<a href="/">&larr; Back to the home page</a>'
http -H "Referer: http://127.0.0.1:$PORT//elsewhere.example/x" -F "f=@$T/one.txt;filename=one.txt" "$U/up/mp/"
expect_body "HTML: ... and so does a path that starts with //" '<a href="/">&larr; Back to the home page</a>'
http -F "f=@$T/one.txt;filename=one.txt" "$U/up/mp/"
expect_body "HTML: no Referer -> a link to /" '<a href="/">'
rm -f "$UP/mp/"one*.txt

# Accept variants
http -H 'Accept: text/html, application/json;q=0.9' -F "f=@$T/a.txt;filename=acc1.txt" "$U/up/mp/"
expect_header "Accept listing application/json among others -> JSON" Content-Type "application/json"
http -H 'Accept: text/html' -F "f=@$T/a.txt;filename=acc2.txt" "$U/up/mp/"
expect_header "Accept: text/html -> HTML" Content-Type "text/html"
http -H 'Accept: APPLICATION/JSON' -F "f=@$T/a.txt;filename=acc3.txt" "$U/up/mp/"
expect_header "Accept is case-insensitive (APPLICATION/JSON -> JSON, like autoindex)" Content-Type "application/json"

# a quoted boundary with spaces and specials, UTF-8 file name
printf 'q' >"$T/q.txt"
bnd='a b:c=d'
printf -- '--%s\r\nContent-Disposition: form-data; name="f"; filename="h\xc3\xa9llo w\xc3\xb6rld.txt"\r\n\r\nquoted boundary\r\n--%s--\r\n' "$bnd" "$bnd" >"$T/qb.body"
http -H 'Accept: application/json' -H "Content-Type: multipart/form-data; boundary=\"$bnd\"" --data-binary "@$T/qb.body" "$U/up/mp/"
expect_status "quoted boundary with a space and ':' -> 201" 201
jq_ok "UTF-8 file name kept" '.files[0].name == "héllo wörld.txt"'
jq_ok "its url percent-encoded" '.files[0].url == "/up/mp/h%C3%A9llo%20w%C3%B6rld.txt"'
check_eq "its content" "quoted boundary" "$(cat "$UP/mp/héllo wörld.txt" 2>/dev/null)"

# preamble, epilogue, transport padding, lower-case part headers, CRLF data
printf 'This is the preamble.\r\n--XYZ  \t\r\ncontent-disposition: form-data; name="f"; filename="pre.txt"\r\ncontent-type: text/plain\r\nx-extra: 1\r\n\r\nline1\r\nline2\r\n\r\n--XYZ\r\nContent-Disposition: form-data; name="g"; filename="crlf.bin"\r\n\r\n\r\n\r\n\r\n--XYZ--\r\nThis is the epilogue.\r\n--XYZ\r\nnot a part\r\n' >"$T/pre.body"
http -H 'Accept: application/json' -H 'Content-Type: multipart/form-data; boundary=XYZ' --data-binary "@$T/pre.body" "$U/up/mp/"
expect_status "preamble, padding after the boundary, lower-case headers, epilogue -> 201" 201
jq_ok "... the two parts only" '[.files[].name] == ["pre.txt","crlf.bin"]'
check_eq "... first part's data (CRLFs inside, last one belongs to the delimiter)" \
    "$(printf 'line1\r\nline2\r\n' | od -An -c)" "$(od -An -c <"$UP/mp/pre.txt")"
check_eq "... second part is exactly CRLF CRLF" "$(printf '\r\n\r\n' | od -An -c)" "$(od -An -c <"$UP/mp/crlf.bin")"

# into a subfolder, with and without the trailing slash
http -H 'Accept: application/json' -F "f=@$T/a.txt;filename=s1.txt" "$U/up/sub/"
expect_status "multipart POST to a subfolder -> 201" 201
jq_ok "subfolder url" '.files[0].url == "/up/sub/s1.txt"'
check "stored in the subfolder" cmp "$T/a.txt" "$UP/sub/s1.txt"
http -H 'Accept: application/json' -F "f=@$T/a.txt;filename=s2.txt" "$U/up/sub"
expect_status "multipart POST to a folder URI without its slash -> 201" 201
jq_ok "... url inside the folder" '.files[0].url == "/up/sub/s2.txt"'
check "... stored in the folder" cmp "$T/a.txt" "$UP/sub/s2.txt"

# refused multipart requests
before=$(state "$UP")
http -F "f=@$T/a.txt" "$U/up/nodir/"
check_match "multipart POST to a missing folder -> 404 or 409" '^(404|409)$' "$STATUS"
http -F "f=@$T/a.txt;filename=escape.txt" "$U/up/outdir/"
expect_status "multipart POST into a folder link leading outside -> 403" 403
check "nothing written outside the root" "[ ! -e '$OUT/escape.txt' ]"
http -F "f=@$T/a.txt" "$U/ro/"
expect_status "POST where methods lack it -> 405" 405
http -H 'Content-Type: multipart/form-data' --data-binary 'x' "$U/up/mp/"
expect_status "multipart without a boundary -> 400" 400
printf -- '--XYZ\r\nContent-Disposition: form-data; name="f"; filename="trunc.txt"\r\n\r\nno closing delimiter\r\n' >"$T/trunc.body"
http -H 'Content-Type: multipart/form-data; boundary=XYZ' --data-binary "@$T/trunc.body" "$U/up/mp/"
expect_status "multipart body without the closing delimiter -> 400" 400
printf -- '--XYZ\r\nContent-Disposition: form-data; name="f"; filename="badhead.txt"\r\nno colon here\r\n\r\ndata\r\n--XYZ--\r\n' >"$T/bh.body"
http -H 'Content-Type: multipart/form-data; boundary=XYZ' --data-binary "@$T/bh.body" "$U/up/mp/"
check_match "multipart part header without a colon -> 400 (or stored whole)" '^(400|201)$' "$STATUS"
sleep 0.2
after=$(state "$UP")
[ "$STATUS" = 201 ] || check_eq "refused multipart requests change nothing under the folder" "$before" "$after"

# ------------------------------------------------------- file names
# Sanitising: each spec is put raw inside filename="..." (Python escapes).
py mp --path /up/names/ --out "$T/names.json" --names \
    '../../../evil1.txt' '..\\..\\evil2.txt' 'C:\\Users\\me\\win.txt' 'dir/sub/deep.txt' \
    'ctl\x01\x1f\x7fname.txt' 'nul\x00byte.txt' 'esc\x1b[31mred.txt' '  spaced  .txt  ' \
    'trail...' '' '..' '.' '/' '../' '\\\\' '...' >"$T/names.st"
BODY=$T/names.json
LAST_REQ="multipart POST of 16 tricky file names"
STATUS=$(cat "$T/names.st")
expect_status "multipart POST with 16 tricky file names -> 201" 201
jq_ok "16 files stored" '.files | length == 16'
jq_ok "../../../evil1.txt -> evil1.txt" '.files[0].name == "evil1.txt"'
jq_ok '..\..\evil2.txt -> evil2.txt' '.files[1].name == "evil2.txt"'
jq_ok 'C:\Users\me\win.txt -> win.txt' '.files[2].name == "win.txt"'
jq_ok "dir/sub/deep.txt -> deep.txt" '.files[3].name == "deep.txt"'
jq_ok "control characters dropped" '.files[4].name == "ctlname.txt"'
jq_ok "NUL dropped" '.files[5].name == "nulbyte.txt"'
jq_ok "ESC dropped" '.files[6].name == "esc[31mred.txt"'
jq_ok "leading/trailing spaces trimmed" '.files[7].name == "spaced  .txt"'
jq_ok "trailing dots trimmed" '.files[8].name == "trail"'
jq_ok "no name, '..', '.', '/', '../', '\\', '...' -> generated names" \
    '[.files[9:16][].name] | all(length > 0 and . != "." and . != "..")'
jq_ok "generated names are distinct" '[.files[].name] | unique | length == 16'
jq_ok "no name with a slash, backslash or control character" \
    'all(.files[].name | explode[]; . >= 32 and . != 127 and . != 47 and . != 92)'
jq_ok "every url is under /up/names/" 'all(.files[].url; startswith("/up/names/"))'
jq_ok "every size is that of its part" 'all(.files | to_entries[]; .value.size == ("part \(.key)\n" | length))'
names_ok=1
for i in $(seq 0 15); do
    n=$(jq -r ".files[$i].name" "$T/names.json" 2>/dev/null)
    [ -n "$n" ] && [ "$(cat "$UP/names/$n" 2>/dev/null)" = "part $i" ] || names_ok=0
done
check "each part stored under its name in the folder with its data" "[ $names_ok = 1 ]"
check_eq "the folder holds exactly these 16 files" 16 "$(ls -A "$UP/names" | wc -l | tr -d ' ')"
check "nothing escaped the folder" "[ ! -e '$T/evil1.txt' ] && [ ! -e '$D/evil1.txt' ] && [ ! -e '$UP/evil1.txt' ] && [ ! -e '$T/evil2.txt' ] && [ ! -e '$UP/evil2.txt' ]"

long=$(printf 'L%.0s' $(seq 1 300))
py mp --path /up/names/ --out "$T/long.json" --names "$long.txt" "$long.txt" >"$T/long.st"
BODY=$T/long.json
STATUS=$(cat "$T/long.st")
LAST_REQ="multipart POST with a 304-byte file name, twice"
expect_status "a 304-byte file name (twice in one request) -> 201" 201
jq_ok "long name cut to at most 255 bytes, extension kept" \
    'all(.files[].name; (utf8bytelength <= 255) and endswith(".txt"))'
jq_ok "the second one gets a distinct name" '(.files | length == 2) and .files[0].name != .files[1].name'

# filename* (RFC 5987) and a quoted-string escape
py mp --path /up/names/ --out "$T/ext.json" --names \
    '@disp:form-data; name="x"; filename*=UTF-8'"''"'%C3%A9t%C3%A9.txt' 'q\\"uote.txt' >"$T/ext.st"
BODY=$T/ext.json
STATUS=$(cat "$T/ext.st")
LAST_REQ="multipart POST with filename* and an escaped quote"
expect_status "filename* and an escaped quote -> 201" 201
jq_ok "filename*=UTF-8'' decoded" '.files[0].name == "été.txt"'
jq_ok "escaped quote kept, JSON-escaped in the answer" '.files[1].name == "q\"uote.txt"'
check "q\"uote.txt stored" "[ -f '$UP/names/q\"uote.txt' ]"

# ---------------------------------------------------- taken names: suffixes
E=$UP/exist
mkdir -p "$E"
printf 'original a\n' >"$E/a.txt"
printf 'original readme\n' >"$E/README"
printf 'original tgz\n' >"$E/arch.tar.gz"
printf 'original env\n' >"$E/.env"
touch -d '2020-01-01 00:00:00 UTC' "$E"/* "$E/.env"
orig=$(state "$E")
printf 'new a\n' >"$T/na.txt"
http -H 'Accept: application/json' -F "f=@$T/na.txt;filename=a.txt" "$U/up/exist/"
expect_status "upload over an existing a.txt -> 201" 201
jq_ok "a.txt taken -> a-1.txt" '.files[0].name == "a-1.txt" and .files[0].url == "/up/exist/a-1.txt"'
expect_header "Location names the suffixed file" Location "/up/exist/a-1.txt"
http -H 'Accept: application/json' -F "f=@$T/na.txt;filename=a.txt" -F "g=@$T/na.txt;filename=a.txt" "$U/up/exist/"
jq_ok "again, twice in one request -> a-2.txt, a-3.txt" '[.files[].name] == ["a-2.txt","a-3.txt"]'
http -H 'Accept: application/json' -F "f=@$T/na.txt;filename=README" -F "g=@$T/na.txt;filename=arch.tar.gz" \
    -F "h=@$T/na.txt;filename=.env" -F "i=@$T/na.txt;filename=fresh.txt" -F "j=@$T/na.txt;filename=fresh.txt" "$U/up/exist/"
jq_ok "README -> README-1" '.files[0].name == "README-1"'
jq_ok "arch.tar.gz -> arch.tar-1.gz (before the last extension)" '.files[1].name == "arch.tar-1.gz"'
jq_ok ".env -> .env-1" '.files[2].name == ".env-1"'
jq_ok "the same new name twice in one request -> fresh.txt, fresh-1.txt" '[.files[3,4].name] == ["fresh.txt","fresh-1.txt"]'
bad=
for f in a-1.txt a-2.txt a-3.txt README-1 arch.tar-1.gz .env-1 fresh.txt fresh-1.txt; do
    [ "$(cat "$E/$f" 2>/dev/null)" = "new a" ] || bad="$bad $f"
done
check_eq "the suffixed files hold the new data" "" "$bad"
check_eq "the existing files are untouched (inode, size, mtime, content)" "$orig" \
    "$(state "$E" | grep -E '^(a\.txt|README|arch\.tar\.gz|\.env) |  \./(a\.txt|README|arch\.tar\.gz|\.env)$')"
# a name already at the length limit still gets a free variant
n255=$(printf 'M%.0s' $(seq 1 251)).txt
printf 'long original' >"$E/$n255"
http -H 'Accept: application/json' -F "f=@$T/na.txt;filename=$n255" "$U/up/exist/"
expect_status "a taken 255-byte name -> 201 under another name" 201
jq_ok "... a distinct name of at most 255 bytes" ".files[0].name != \"$n255\" and (.files[0].name | utf8bytelength <= 255)"
check_eq "... the existing 255-byte file untouched" "long original" "$(cat "$E/$n255")"

# ------------------------------------------------- many files in one request
args=()
for i in $(seq 1 60); do
    head -c $((i * 97)) /dev/urandom >"$T/m$i.bin"
    args+=(-F "f$i=@$T/m$i.bin")
done
http -H 'Accept: application/json' "${args[@]}" "$U/up/many/"
expect_status "60 files in one request -> 201" 201
jq_ok "60 entries in order" '[.files[].name] == [range(1;61) | "m\(.).bin"]'
jq_ok "their sizes" '[.files[].size] == [range(1;61) | . * 97]'
ok=1
for i in $(seq 1 60); do cmp -s "$T/m$i.bin" "$UP/many/m$i.bin" || ok=0; done
check "all 60 stored byte for byte" "[ $ok = 1 ]"
# more parts than the server keeps open at once: all or nothing
mkdir -p "$UP/many2"
args=()
for i in $(seq 1 100); do args+=(-F "f$i=@$T/m1.bin;filename=n$i.bin"); done
http -H 'Accept: application/json' "${args[@]}" "$U/up/many2/"
n_many=$(ls -A "$UP/many2" | wc -l | tr -d ' ')
if [ "$STATUS" = 201 ]; then
    check_eq "100 files in one request: all stored" 100 "$n_many"
else
    check_match "100 files in one request: 201, or refused (413)" '^413$' "$STATUS"
    check_eq "... refused: none of them stored" 0 "$n_many"
fi

# -------------------------------------- boundaries split across reads, binary
LAST_REQ="upl.py split (raw multipart POSTs)"
ST=$(py split --path /up/split/ --dir "$UP/split" --delay 0.004)
check_match "the same multipart body cut at every offset around delimiters and heads, in random pieces and byte by byte: all stored exactly" \
    '^requests [0-9]+ failed 0$' "$ST"
check_eq "split uploads leave nothing else in the folder" "" "$(ls -A "$UP/split")"
LAST_REQ="upl.py bigsplit"
ST=$(py bigsplit --path /up/split/ --dir "$UP/split")
check_eq "1 MiB of random binary in 3 parts, sent in random pieces: stored exactly" ok "$ST"

# ----------------------------------------------- raw-body POST to a file URI
printf 'raw post body\n' >"$T/raw.txt"
http -H 'Accept: application/json' -H 'Content-Type: application/octet-stream' --data-binary "@$T/raw.txt" "$U/up/raw.txt"
expect_status "raw POST to a new file URI -> 201" 201
jq_ok "JSON: the file" '.files == [{"name":"raw.txt","size":14,"url":"/up/raw.txt"}]'
expect_header "Location of the file" Location "/up/raw.txt"
check "raw POST stored byte for byte" cmp "$T/raw.txt" "$UP/raw.txt"
ino=$(stat -c '%i %Y' "$UP/raw.txt")
http -H 'Content-Type: application/octet-stream' --data-binary 'other' "$U/up/raw.txt"
expect_status "raw POST to an existing file -> 409" 409
check "the existing file unchanged" "cmp '$T/raw.txt' '$UP/raw.txt' && [ \"\$(stat -c '%i %Y' '$UP/raw.txt')\" = '$ino' ]"
http -H 'Content-Type: text/plain' --data-binary 'to a folder' "$U/up/sub/"
expect_status "raw POST to a folder URI -> 409" 409
http -H 'Content-Type: text/plain' --data-binary 'x' "$U/up/nodir/x.txt"
expect_status "raw POST under a missing folder -> 409" 409
http --data-binary 'form=1' "$U/up/form.txt"
expect_status "POST with a urlencoded body to a file URI -> 201 (stored raw)" 201
check_eq "urlencoded body stored as is" "form=1" "$(cat "$UP/form.txt" 2>/dev/null)"
http -H 'Content-Type: application/octet-stream' --data-binary "@$T/raw.txt" "$U/up/a%20b%25.txt"
expect_status "raw POST to a percent-encoded name -> 201" 201
check "stored under the decoded name" cmp "$T/raw.txt" "$UP/a b%.txt"
expect_body "HTML answer links the encoded name" 'href="/up/a%20b%25.txt"'

# ------------------------------------------------------------------- PUT
printf 'put v1\n' >"$T/p1.txt"
printf 'put version two, longer\n' >"$T/p2.txt"
http -H 'Accept: application/json' -T "$T/p1.txt" "$U/up/put.txt"
expect_status "PUT a new file -> 201" 201
jq_ok "JSON for PUT" '.files == [{"name":"put.txt","size":7,"url":"/up/put.txt"}]'
expect_header "PUT Location" Location "/up/put.txt"
check "PUT stored" cmp "$T/p1.txt" "$UP/put.txt"
http "$U/up/put.txt"
http "$U/up/put.txt" # (small files are cached: the replacement must be seen)
expect_body_file "GET before replacing" "$T/p1.txt"
http -H 'Accept: application/json' -T "$T/p2.txt" "$U/up/put.txt"
expect_status "PUT over an existing file -> 204" 204
expect_body_size "204 has no body" 0
expect_no_header "204 has no Content-Length" Content-Length
check "PUT replaced the content" cmp "$T/p2.txt" "$UP/put.txt"
http "$U/up/put.txt"
expect_body_file "GET after PUT serves the new content" "$T/p2.txt"
http -T "$T/p1.txt" "$U/up/put-html.txt"
expect_status "PUT without Accept: application/json -> 201" 201
expect_header "... HTML answer" Content-Type "text/html"
expect_body "... linking the file" 'href="/up/put-html.txt"'
http -T "$T/p1.txt" "$U/up/put.txt"
expect_status "PUT back the shorter content -> 204" 204
check "replaced again, no stale tail" cmp "$T/p1.txt" "$UP/put.txt"
: >"$T/empty"
http -H 'Accept: application/json' -T "$T/empty" "$U/up/empty.txt"
expect_status "PUT of an empty body -> 201" 201
check "empty file created" "[ -f '$UP/empty.txt' ] && [ ! -s '$UP/empty.txt' ]"
jq_ok "JSON size 0" '.files[0].size == 0'
http -X PUT --data-binary "@$T/p1.txt" "$U/up/sub/"
expect_status "PUT to a folder URI -> 409" 409
check "... nothing stored in it" "[ ! -e '$UP/sub/p1.txt' ]"
http -T "$T/p1.txt" "$U/up/sub"
expect_status "PUT to an existing folder's name -> 409" 409
check "the folder is still a folder" "[ -d '$UP/sub' ]"
http -T "$T/p1.txt" "$U/up/nodir/x.txt"
expect_status "PUT under a missing folder -> 409" 409
check "no folder created" "[ ! -e '$UP/nodir' ]"
http -T "$T/p1.txt" "$U/up/outdir/put.txt"
expect_status "PUT through a folder link leading outside -> 403" 403
check "nothing created outside" "[ ! -e '$OUT/put.txt' ]"
http -T "$T/p1.txt" "$U/up/outlink"
check_match "PUT onto a file link leading outside -> 403 or 409" '^(403|409)$' "$STATUS"
check_eq "the outside file is untouched" "outside secret" "$(cat "$OUT/secret.txt")"
http -T "$T/p1.txt" "$U/ro/put2.txt"
expect_status "PUT where methods lack it -> 405" 405
check "nothing stored after 405" "[ ! -e '$UP/put2.txt' ]"
http --path-as-is -T "$T/p1.txt" "$U/up/../../escape.txt"
check_match "PUT climbing with .. -> 400/403/404/405" '^(400|403|404|405)$' "$STATUS"
check "nothing stored above the root" "[ ! -e '$D/escape.txt' ] && [ ! -e '$T/escape.txt' ]"
http -T "$T/p1.txt" "$U/up/ctl%01name.txt"
check_match "PUT to a name with a control character -> 400" '^400$' "$STATUS"
check "... not stored" "! ls '$UP' | grep -q ctl"

# --------------------------------------------------------------- chunked
head -c 1048576 /dev/urandom >"$T/ch.bin"
http -H 'Accept: application/json' -H 'Transfer-Encoding: chunked' -T "$T/ch.bin" "$U/up/chunked.bin"
expect_status "chunked PUT of 1 MiB -> 201" 201
jq_ok "chunked: JSON size 1048576" '.files[0].size == 1048576'
check "chunked PUT stored byte for byte" cmp "$T/ch.bin" "$UP/chunked.bin"
http -H 'Accept: application/json' -H 'Transfer-Encoding: chunked' -F "f=@$T/ch.bin;filename=chmp.bin" "$U/up/mp/"
expect_status "chunked multipart POST -> 201" 201
check "chunked multipart stored byte for byte" cmp "$T/ch.bin" "$UP/mp/chmp.bin"
http -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' --data-binary "@$T/ch.bin" "$U/up/chpost.bin"
expect_status "chunked raw POST -> 201" 201
check "chunked raw POST stored byte for byte" cmp "$T/ch.bin" "$UP/chpost.bin"

# -------------------------------------------------- body_size: exactly, +1
# /small/ has body_size 4k.
head -c 4096 /dev/urandom >"$T/4096.bin"
head -c 4097 /dev/urandom >"$T/4097.bin"
http -T "$T/4096.bin" "$U/small/exact.bin"
expect_status "PUT of exactly body_size (4096) -> 201" 201
check "4096 bytes stored" cmp "$T/4096.bin" "$SM/exact.bin"
http -T "$T/4097.bin" "$U/small/over.bin"
expect_status "PUT of body_size + 1 -> 413" 413
http -H 'Transfer-Encoding: chunked' -T "$T/4096.bin" "$U/small/exactch.bin"
expect_status "chunked PUT of exactly body_size -> 201" 201
check "chunked 4096 bytes stored" cmp "$T/4096.bin" "$SM/exactch.bin"
http -H 'Transfer-Encoding: chunked' -T "$T/4097.bin" "$U/small/overch.bin"
expect_status "chunked PUT of body_size + 1 -> 413" 413
http -H 'Transfer-Encoding: chunked' -T "$T/ch.bin" "$U/small/overch2.bin"
expect_status "chunked PUT of 1 MiB over a 4k body_size -> 413" 413
http -H 'Content-Type: application/octet-stream' --data-binary "@$T/4096.bin" "$U/small/exactpost.bin"
expect_status "raw POST of exactly body_size -> 201" 201
http -H 'Content-Type: application/octet-stream' --data-binary "@$T/4097.bin" "$U/small/overpost.bin"
expect_status "raw POST of body_size + 1 -> 413" 413
LAST_REQ="upl.py mpsize (multipart POST of an exact size)"
read -r st n <<<"$(py mpsize --path /small/ --total 4096)"
check_eq "multipart body of exactly body_size -> 201" 201 "$st"
check_eq "... its part stored ($n bytes, exact.bin taken -> exact-1.bin)" "$n" "$(stat -c %s "$SM/exact-1.bin" 2>/dev/null)"
read -r st n <<<"$(py mpsize --path /small/ --total 4097)"
check_eq "multipart body of body_size + 1 -> 413" 413 "$st"
raw "PUT /small/early.bin HTTP/1.1\r\n${H}Content-Length: 4097\r\n\r\n"
expect_status "Content-Length over body_size -> 413 before any body byte" 413
check "... answered at once (${RAW_END#END })" between "$(raw_field first)" 0 1
raw "PUT /up/early.bin HTTP/1.1\r\n${H}Content-Length: 314572801\r\n\r\n"
expect_status "Content-Length of 300m + 1 on a 300m location -> 413 at once" 413
sleep 0.2
check_eq "the refused bodies left nothing (no file, no temp file)" \
    "exact-1.bin exact.bin exactch.bin exactpost.bin" "$(ls -A "$SM" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
check "... and nothing under /up/" "[ ! -e '$UP/early.bin' ]"

# ------------------------------------------------ Expect: 100-continue, raw
printf 'continue body\n' >"$T/cont.txt"
LAST_REQ="upl.py expect (raw client, Expect: 100-continue)"
py expect --method PUT --path /up/exp/c1.txt --body-file "$T/cont.txt" --get /up/exp/c1.txt >"$T/e1"
check_match "PUT + Expect: the head alone gets 'HTTP/1.1 100 Continue'" '^first 100 ' "$(sed -n 1p "$T/e1")"
check_eq "... then the body gets 201" "final 201" "$(sed -n 2p "$T/e1")"
check_eq "... with Location" "location /up/exp/c1.txt" "$(sed -n 3p "$T/e1")"
check_eq "... and the connection serves the next request" "next 200 14" "$(sed -n 4p "$T/e1")"
check "... stored" cmp "$T/cont.txt" "$UP/exp/c1.txt"
py expect --method POST --multipart --path /up/exp/ --body-file "$T/cont.txt" --out "$T/e2.json" >"$T/e2"
check_eq "multipart POST + Expect: 100, then 201" "first 100 final 201" "$(awk '{printf "%s%s %s", s, $1, $2; s=" "}' "$T/e2" | cut -d' ' -f1-4)"
BODY=$T/e2.json
jq_ok "... JSON names cont.bin" '.files[0].name == "cont.bin"'
check "... stored" cmp "$T/cont.txt" "$UP/exp/cont.bin"
py expect --method PUT --chunked --path /up/exp/c3.txt --body-file "$T/ch.bin" >"$T/e3"
check_eq "chunked PUT + Expect: 100, then 201" "first 100 final 201" "$(awk 'NR<=2 {printf "%s%s %s", s, $1, $2; s=" "}' "$T/e3")"
check "... 1 MiB stored" cmp "$T/ch.bin" "$UP/exp/c3.txt"
py expect --method PUT --path /small/e4.bin --body-file "$T/4097.bin" >"$T/e4"
check_eq "Expect with Content-Length over body_size: 413 first, no 100" "first 413" "$(sed -n 1p "$T/e4" | cut -d' ' -f1-2)"
py expect --method POST --path /up/raw.txt --body-file "$T/cont.txt" >"$T/e5"
check_eq "Expect with a raw POST to an existing file: 409 first, no 100" "first 409" "$(sed -n 1p "$T/e5" | cut -d' ' -f1-2)"
py expect --method PUT --path /up/nodir/e6.txt --body-file "$T/cont.txt" >"$T/e6"
check_eq "Expect with a missing folder: 409 first, no 100" "first 409" "$(sed -n 1p "$T/e6" | cut -d' ' -f1-2)"
py expect --method PUT --path /ro/e7.txt --body-file "$T/cont.txt" >"$T/e7"
check_eq "Expect where PUT is not allowed: 405 first, no 100" "first 405" "$(sed -n 1p "$T/e7" | cut -d' ' -f1-2)"
py expect --method PUT --path /up/outdir/e8.txt --body-file "$T/cont.txt" >"$T/e8"
check_eq "Expect through a link leading outside: 403 first, no 100" "first 403" "$(sed -n 1p "$T/e8" | cut -d' ' -f1-2)"
head -c 10240 /dev/urandom >"$T/10k.bin"
py expect --method PUT --chunked --path /small/e9.bin --body-file "$T/10k.bin" >"$T/e9"
check_eq "chunked + Expect over body_size: 100 (size unknown), then 413" "first 100 final 413" \
    "$(awk 'NR<=2 {printf "%s%s %s", s, $1, $2; s=" "}' "$T/e9")"
check "no e4/e6/e7/e9 file anywhere" "[ ! -e '$SM/e4.bin' ] && [ ! -e '$UP/e7.txt' ] && [ ! -e '$SM/e9.bin' ] && [ ! -e '$OUT/e8.txt' ]"
check_eq "the existing file untouched by the refused Expect POST" "$(cat "$T/raw.txt")" "$(cat "$UP/raw.txt")"
curl -sv --max-time "$MAXT" -o /dev/null -H 'Expect: 100-continue' -T "$T/cont.txt" "$U/up/exp/curl.txt" 2>"$T/curl-exp.err"
check "curl sees 'HTTP/1.1 100 Continue' and then 201" \
    "grep -q '< HTTP/1.1 100 Continue' '$T/curl-exp.err' && grep -q '< HTTP/1.1 201' '$T/curl-exp.err'"

# ------------------------------------------- concurrent uploads, one name
R=$UP/race
mkdir -p "$R"
for i in 1 2 3 4 5; do head -c 1048576 /dev/urandom >"$T/race$i.bin"; done
sums=$(for i in 1 2 3 4 5; do sha256sum <"$T/race$i.bin" | cut -d' ' -f1; done | sort)
cpids=()
for i in 1 2 3 4 5; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time "$MAXT" -F "f=@$T/race$i.bin;filename=race.bin" "$U/up/race/" >"$T/race$i.st" &
    cpids+=($!)
done
wait "${cpids[@]}"
check_eq "5 simultaneous multipart uploads of race.bin -> 201 each" "201 201 201 201 201" "$(cat "$T"/race?.st | tr '\n' ' ' | sed 's/ $//')"
check_eq "... stored as race.bin, race-1.bin ... race-4.bin" "race-1.bin race-2.bin race-3.bin race-4.bin race.bin" "$(ls -A "$R" | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "... each one whole (the five checksums)" "$sums" "$(for f in "$R"/*; do sha256sum <"$f" | cut -d' ' -f1; done | sort)"
rm -f "$R"/*
cpids=()
for i in 1 2 3 4 5; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time "$MAXT" -T "$T/race$i.bin" "$U/up/race/put.bin" >"$T/race$i.st" &
    cpids+=($!)
done
wait "${cpids[@]}"
check "5 simultaneous PUTs of one name -> 201 or 204 each" "! grep -qvE '^(201|204)\$' '$T'/race?.st"
check "... the file is one of them, whole" "grep -qx \"\$(sha256sum <'$R/put.bin' | cut -d' ' -f1)\" <<<'$sums'"
cpids=()
for i in 1 2 3 4 5; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time "$MAXT" -H 'Content-Type: application/octet-stream' \
        --data-binary "@$T/race$i.bin" "$U/up/race/post.bin" >"$T/race$i.st" &
    cpids+=($!)
done
wait "${cpids[@]}"
check_eq "5 simultaneous raw POSTs of one new name: one 201, four 409" "201 409 409 409 409" "$(sort "$T"/race?.st | tr '\n' ' ' | sed 's/ $//')"
won=$(grep -l 201 "$T"/race?.st | head -1 | sed 's/\.st$/.bin/')
check "... the file is the winner's, whole" "cmp '$won' '$R/post.bin'"
check_eq "... and nothing else in the folder" "post.bin put.bin" "$(ls -A "$R" | sort | tr '\n' ' ' | sed 's/ $//')"

# ---------------------------------------------------- aborted uploads (54)
A=$UP/abort
LAST_REQ="upl.py abort/stall, curl --max-time"
printf 'keep me\n' >"$A/keep.txt"
printf 'other file\n' >"$A/other.bin"
touch -d '2021-06-01 12:00:00 UTC' "$A/keep.txt" "$A/other.bin"
sleep 0.2
fds0=$(nfds)
abort_before=$(state "$A")
# 15 PUTs cut off half-way (5 of them over the existing keep.txt, 1 of 100 MiB)
py abort --kind put --path '/up/abort/put-{i}.bin' --n 9 --size 200000 >/dev/null
py abort --kind put --path '/up/abort/keep.txt' --n 5 --first 9 --size 50000 >/dev/null
py abort --kind put --path '/up/abort/huge.bin' --n 1 --first 14 --size 104857600 --frac 0.1 >/dev/null
# 10 raw POSTs, 10 multipart POSTs (first part complete, second half sent), 5 chunked PUTs
py abort --kind post --path '/up/abort/post-{i}.bin' --n 10 --first 15 >/dev/null
py abort --kind mp --path /up/abort/ --n 10 --first 25 --size 60000 >/dev/null
py abort --kind chunk --path '/up/abort/ch-{i}.bin' --n 5 --first 35 >/dev/null
# (and 4 more: Expect: 100-continue, then the client leaves after the 100)
py abort --kind expect --path '/up/abort/exp-{i}.bin' --n 4 --first 50 >/dev/null
# 5 curl uploads killed by --max-time while sending slowly (3 PUT, 2 multipart)
head -c 2097152 /dev/urandom >"$T/2m.bin"
cpids=()
for i in 1 2 3; do
    curl -s -o /dev/null --max-time 1 --limit-rate 256k -T "$T/2m.bin" "$U/up/abort/curl-$i.bin" &
    cpids+=($!)
done
for i in 4 5; do
    curl -s -o /dev/null --max-time 1 --limit-rate 256k -F "f=@$T/2m.bin;filename=curl-$i.bin" "$U/up/abort/" &
    cpids+=($!)
done
# 5 clients that stop sending: timeouts.body (1s) -> 408
py stall --kind put --path '/up/abort/stall-{i}.bin' --n 3 >"$T/stall1" &
spid1=$!
py stall --kind mp --path /up/abort/ --n 2 >"$T/stall2" &
spid2=$!
wait "${cpids[@]}" 2>/dev/null
wait "$spid1" "$spid2"
st_all=$(cat "$T/stall1" "$T/stall2" | awk '{ print $1 }' | tr '\n' ' ')
check_eq "5 stalled uploads each get 408" "408 408 408 408 408 " "$st_all"
check "... after about timeouts.body (1s)" \
    "cat '$T/stall1' '$T/stall2' | awk '{ if (\$2 < 0.8 || \$2 > $((3 * SLOW))) exit 1 }'"
sleep 0.5
check_eq "54 aborted uploads: the folder is exactly as before (no file, no hidden temp file, others untouched)" \
    "$abort_before" "$(state "$A")"
check_eq "keep.txt still holds its data" "keep me" "$(cat "$A/keep.txt")"
check_eq "no server file descriptor left open into the docroot" "" "$(docroot_fds | tr '\n' ' ')"
check_eq "open file descriptors back to where they were ($fds0)" "$fds0" "$(nfds)"
http "$U/up/abort/keep.txt"
expect_status "the server still serves after the aborts" 200

# --------------------------------------------------- 200 MiB: memory, sha256
BIG=$T/big.bin
LAST_REQ=
head -c 209715200 /dev/urandom >"$BIG"
want=$(sha256sum <"$BIG" | cut -d' ' -f1)
BT=$((60 * SLOW))

# big_upload NAME FILE-ON-DISK CURL-ARGS...: uploads while sampling the
# server's resident memory every 50 ms; checks the status, the stored
# bytes and the memory growth (sampled peak and VmHWM) against 64 MiB.
big_upload() {
    local name=$1 stored=$2
    shift 2
    sleep 0.2
    local rss0 hwm0 hwm1 peak sampler
    # reset the peak (VmHWM) so that it measures this upload alone
    for p in $(server_pids); do echo 5 >"/proc/$p/clear_refs" 2>/dev/null; done
    rss0=$(mem VmRSS)
    hwm0=$(mem VmHWM)
    (while :; do mem VmRSS; sleep 0.05; done) >"$T/rss.$name" 2>/dev/null &
    sampler=$!
    REQ_N=$((REQ_N + 1))
    BODY=$T/req$REQ_N.b
    HDRS=$T/req$REQ_N.h
    LAST_REQ="curl $*"
    STATUS=$(curl -sS --max-time "$BT" -H 'Accept: application/json' -o "$BODY" -D "$HDRS" -w '%{http_code}' "$@" 2>>"$T/curl.err")
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
    hwm1=$(mem VmHWM)
    peak=$(sort -n "$T/rss.$name" | tail -1)
    expect_status "$name -> 201" 201
    jq_ok "$name: JSON size 209715200" '.files[0].size == 209715200'
    check_eq "$name: stored byte for byte (sha256)" "$want" "$(sha256sum <"$stored" 2>/dev/null | cut -d' ' -f1)"
    check "$name: sampled RSS peak ${peak:-?} kB - before $rss0 kB < 64 MiB ($(wc -l <"$T/rss.$name") samples)" \
        "[ -n '$peak' ] && [ \$(( $peak - $rss0 )) -lt 65536 ]"
    check "$name: peak VmHWM $hwm1 kB (reset before: $hwm0 kB) - RSS before $rss0 kB < 64 MiB" \
        "[ \$(( $hwm1 - $rss0 )) -lt 65536 ]"
    rm -f "$stored"
}
big_upload "200 MiB PUT (curl -T)" "$UP/big/put.bin" -T "$BIG" "$U/up/big/put.bin"
big_upload "200 MiB multipart POST (curl -F)" "$UP/big/mp.bin" -F "file=@$BIG;filename=mp.bin" "$U/up/big/"
check_eq "no temp file left in the folder after the big uploads" "" "$(ls -A "$UP/big")"
rm -f "$BIG"

# ---- what was uploaded is not served as the site's own page ----
# CONFIG.md ("Details"): in a location with upload, files of an active type
# (HTML, SVG, XML, JavaScript) go out as attachments, every file with
# nosniff, and an upload never creates the location's index file (409).
printf '<script>alert(1)</script>\n' >"$T/xss.html"
printf '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n' >"$T/xss.svg"
printf 'plain\n' >"$T/plain.txt"
http -T "$T/xss.html" "$U/up/xss.html"
expect_status "PUT xss.html -> 201" 201
http "$U/up/xss.html"
expect_status "GET the uploaded xss.html -> 200" 200
expect_header_re "... as an attachment, not the site's page" Content-Disposition '^attachment'
expect_header "... with nosniff" X-Content-Type-Options nosniff
http -I "$U/up/xss.html"
expect_header_re "HEAD of it: the same" Content-Disposition '^attachment'
http -F "f=@$T/xss.svg;filename=xss.svg" "$U/up/"
expect_status "multipart xss.svg -> 201" 201
http "$U/up/xss.svg"
expect_header_re "the uploaded SVG is an attachment too" Content-Disposition '^attachment'
http -T "$T/plain.txt" "$U/up/plain.txt"
http "$U/up/plain.txt"
expect_status "an uploaded text file -> 200" 200
expect_no_header "... inline (not an active type)" Content-Disposition
expect_header "... with nosniff" X-Content-Type-Options nosniff
http -T "$T/xss.html" "$U/up/index.html"
expect_status "PUT of the location's index file -> 409" 409
check "... nothing stored" "[ ! -e '$UP/index.html' ]"
http -F "f=@$T/xss.html;filename=index.html" "$U/up/sub/"
expect_status "multipart with a part named index.html -> 409" 409
check "... nothing stored" "[ ! -e '$UP/sub/index.html' ]"
http "$U/up/"
expect_status "the folder still lists" 200
expect_body "... its listing" "Index of /up/"
rm -f "$UP/xss.html" "$UP/xss.svg" "$UP/plain.txt"

stop_server
exit 0
