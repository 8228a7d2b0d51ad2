# shellcheck shell=bash disable=SC2034 # sets the knobs and tables of lib.sh
# bench/gzip.sh -- the compression cases of make bench (a section of
# bench/run.sh, sourced; ONLY=gzip). A 100 KiB HTML page (page.html: rows
# of a table, text and numbers, about what a generated page is) and its
# precompressed copy page.html.gz (gzip -9); one core each, wrk with
# "Accept-Encoding: gzip" on every request, keep-alive:
#   gzip         GET /page.html gzipped on the fly at level 5:
#                  portico  compress: {level: 5, precompressed: false}
#                  nginx    gzip on; gzip_comp_level 5 (text/html is always gzipped)
#                  h2o      compress: {gzip: 5}
#                  caddy    encode { gzip 5 }
#   gzip-static  GET /pre/page.html answered with page.html.gz as it is:
#                  portico  compress: {gzip: false} (precompressed files on)
#                  nginx    gzip_static on
#                  h2o      file.send-compressed: ON
#                  caddy    file_server { precompressed gzip }
#   gzip-plain   GET /page.html without Accept-Encoding (the identity
#                body, for scale: what compressing adds)
# The preflight checks each case (Content-Encoding: gzip and a body that
# gunzips to the page, or the plain page); the note: bytes of one body as
# sent (without the chunked framing).

GZIP_SERVERS="portico nginx h2o caddy"
def_case gzip gzip req/s hi "$GZIP_SERVERS" "GET /page.html (100 KiB HTML) gzipped on the fly at level 5"
def_case gzip-static gzip req/s hi "$GZIP_SERVERS" "GET /pre/page.html, its precompressed page.html.gz"
def_case gzip-plain gzip req/s hi "$GZIP_SERVERS" "GET /page.html without Accept-Encoding"
declare -gA GZ_BYTES=()

# gzip_setup: DOCROOT/page.html and page.html.gz.
gzip_setup() {
    python3 - "$DOCROOT/page.html" <<'EOF' || return 1
import sys
out = ['<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Orders</title>'
       '<link rel="stylesheet" href="/style.css"></head>\n<body>\n<h1>Orders this week</h1>\n'
       '<table class="orders">\n<tr><th>#</th><th>Customer</th><th>Item</th><th>Qty</th>'
       '<th>Price</th><th>Status</th></tr>\n']
names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov",
         "Donald Knuth", "Frances Allen", "Ken Thompson", "Radia Perlman", "John McCarthy"]
items = ["keyboard", "monitor", "cable", "laptop stand", "headset", "webcam", "dock", "mouse"]
states = ["shipped", "pending", "delivered", "returned"]
i = 0
while sum(map(len, out)) < 100 * 1024 - 200:
    x = (i * 2654435761) % 4294967296
    out.append('<tr class="%s"><td>%d</td><td><a href="/customers/%d">%s</a></td><td>%s</td>'
               '<td>%d</td><td>%d.%02d</td><td>%s</td></tr>\n'
               % (states[x % 4], 10000 + i, x % 9973, names[x % 10], items[(x >> 8) % 8],
                  1 + (x >> 12) % 9, (x >> 4) % 500, x % 100, states[x % 4]))
    i += 1
out.append("</table>\n</body>\n</html>\n")
open(sys.argv[1], "w").write("".join(out))
EOF
    gzip -9 -n -c "$DOCROOT/page.html" >"$DOCROOT/page.html.gz"
    chmod 644 "$DOCROOT"/page.html*
    PAGE_SIZE=$(stat -c %s "$DOCROOT/page.html")
}

# gzip_prepare NAME PORT DIR
gzip_prepare() {
    case $1 in
    portico)
        {
            portico_conf 1 off "$2" "{compress: {level: 5, precompressed: false}}"
            echo "      /pre/: {root: $DOCROOT, compress: {gzip: false}}"
        } >"$3/portico.yaml"
        portico_cmd "$3"
        ;;
    nginx)
        nginx_prepare nginx "$3" <<EOF
    types {
        text/html html;
    }
$(nginx_files)
    server {
        listen $HOST:$2;
        server_name localhost;
        root $DOCROOT;
        location / {
            gzip on;
            gzip_comp_level 5;
        }
        location /pre/ {
            alias $DOCROOT/;
            gzip_static on;
        }
    }
EOF
        ;;
    h2o) printf '      /pre:\n        file.dir: %s\n        file.send-compressed: ON\n      /:\n        file.dir: %s\n        compress:\n          gzip: 5\n' \
        "$DOCROOT" "$DOCROOT" | h2o_prepare "$2" "$3" ;;
    caddy)
        caddy_prepare "$3" <<EOF
http://$HOST:$2 {
    root * $DOCROOT
    handle_path /pre/* {
        file_server {
            precompressed gzip
        }
    }
    handle {
        encode {
            gzip 5
        }
        file_server
    }
}
EOF
        ;;
    esac
}

gzip_ready() { [[ $(status_of "$2" /page.html) == 200 ]]; }

# gzip_path CASE: the path CASE asks for.
gzip_path() { if [[ $1 == gzip-static ]]; then echo /pre/page.html; else echo /page.html; fi; }

# gzip_check NAME: each case answers 200, gzipped (a body that gunzips to
# the page) or plain as it should; GZ_BYTES gets the bytes of each.
gzip_check() {
    local s=$1 c out code ce bytes dir=$TMP/gzip/$1
    local -a ae
    for c in gzip gzip-static gzip-plain; do
        ae=(-H 'Accept-Encoding: gzip')
        [[ $c != gzip-plain ]] || ae=()
        out=$(curl -s "${ae[@]}" -D "$dir/head" -o "$dir/body" --max-time 5 \
            -w '%{http_code} %{size_download}' "http://$HOST:$(port_of "$s")$(gzip_path "$c")" || true)
        code=${out% *} bytes=${out#* }
        ce=$(sed -n 's/^[Cc]ontent-[Ee]ncoding: *\([^[:space:]]*\).*/\1/p' "$dir/head" | head -1)
        GZ_BYTES["$c $s"]=$bytes
        if [[ $c == gzip-plain ]]; then
            [[ $code == 200 && -z $ce && $bytes == "$PAGE_SIZE" ]] && continue
        elif [[ $code == 200 && $ce == gzip ]] && gunzip -c <"$dir/body" | cmp -s - "$DOCROOT/page.html"; then
            continue
        fi
        note "$s: $c answered '$code', Content-Encoding '$ce', $bytes bytes: not as expected"
        return 1
    done
}

# gzip_env CASE: Accept-Encoding: gzip but for gzip-plain.
gzip_env() {
    [[ $1 == gzip-plain ]] || WRK_ARGS=(-H 'Accept-Encoding: gzip')
}

gzip_run() {
    wrk_run "$1" "$2" "$3" "http://$HOST:$(port_of "$2")$(gzip_path "$1")" || return 1
    result "$1" "$2" "$3" "$RUN_RPS" "$RUN_US" "${GZ_BYTES["$1 $2"]:-?} bytes a body"
}
