#!/bin/sh
# scripts/tls-cert.sh DIR -- the certificates of the demo's HTTPS, made
# with openssl the first time and reused after (what make run, make demo,
# the tests and the container's first start run; build/tls by default).
#
#   DIR/ca.pem, DIR/ca.key                a certificate authority of this
#                                         checkout alone, for 10 years: the
#                                         file to trust (curl --cacert, a browser)
#   DIR/localhost.pem, DIR/localhost.key  the server's certificate, signed by
#                                         it, for 397 days: localhost,
#                                         *.localhost and the demo's
#                                         blog/api/app.localhost, 127.0.0.1, ::1
#
# All keys are ECDSA P-256, written with mode 0600. The CA may only sign
# for localhost, names under it, 127.0.0.0/8 and ::1 (critical name
# constraints): trusting it in a browser lets its key, which stays in DIR to
# renew the server's certificate, vouch for nothing else. Files that are
# there and fit (the pair matches, the chain verifies, 30 days or more to
# go, every name present) are kept; otherwise the server's certificate,
# or both, are made anew, and a line on stderr says so. Nothing in DIR is
# ever committed: build/ is ignored by git.
#
# Safe to run twice at once (flock on DIR/.lock, when flock is there).
set -eu

DIR=${1:-build/tls}
DAYS_CA=3650
DAYS_LEAF=397       # what browsers accept of any certificate
RENEW=$((30 * 86400)) # make a file anew when it expires within this
NAMES="DNS:localhost, DNS:*.localhost, DNS:blog.localhost, DNS:api.localhost, DNS:app.localhost, IP:127.0.0.1, IP:::1"

command -v openssl >/dev/null || {
    echo "tls-cert: openssl is needed to make the demo's certificates (apt-get install openssl)" >&2
    exit 1
}
mkdir -p "$DIR"
umask 077
if command -v flock >/dev/null; then
    exec 9>"$DIR/.lock"
    flock 9
fi

CA=$DIR/ca.pem
CAKEY=$DIR/ca.key
CRT=$DIR/localhost.pem
KEY=$DIR/localhost.key

# fits CERT KEY: both there, the key is the certificate's, RENEW to go.
fits() {
    [ -s "$1" ] && [ -s "$2" ] &&
        openssl x509 -in "$1" -noout -checkend "$RENEW" >/dev/null 2>&1 &&
        [ "$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null)" = \
            "$(openssl pkey -in "$2" -pubout 2>/dev/null)" ]
}

# in_use: the four files are there and fit, checked with three openssl
# runs (what every start costs): the chain verifies 30 days from now, the
# key is the certificate's, and the certificate names each of NAMES
# (openssl prints them as "DNS:a, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1").
in_use() {
    [ -s "$CA" ] && [ -s "$CAKEY" ] && [ -s "$CRT" ] && [ -s "$KEY" ] &&
        openssl verify -attime "$(($(date +%s) + RENEW))" -CAfile "$CA" "$CRT" >/dev/null 2>&1 &&
        info=$(openssl x509 -in "$CRT" -noout -pubkey -ext subjectAltName 2>/dev/null) &&
        [ "$(printf '%s\n' "$info" | sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p')" = \
            "$(openssl pkey -in "$KEY" -pubout 2>/dev/null)" ] || return 1
    sans=$(printf '%s\n' "$info" | sed -n '/Subject Alternative Name/{n;p;}' |
        sed -e 's/IP Address:/IP:/g' -e 's/IP:0:0:0:0:0:0:0:1/IP:::1/g' -e 's/^[[:space:]]*//')
    echo "$NAMES" | tr ',' '\n' | sed 's/^ *//' | while IFS= read -r n; do
        case ", $sans," in *", $n,"*) ;; *) exit 1 ;; esac
    done
}
in_use && exit 0

CONF=$DIR/.openssl.cnf
cat >"$CONF" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
O = portico demo
CN = portico demo CA $(hostname 2>/dev/null || echo local) $(date -u +%Y-%m-%dT%H:%MZ)
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical, permitted;DNS:localhost, permitted;IP:127.0.0.0/255.0.0.0, permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $NAMES
EOF
trap 'rm -f "$CONF" "$DIR"/*.tmp' EXIT

if ! fits "$CA" "$CAKEY"; then
    if ! openssl req -x509 -new -config "$CONF" -extensions ca -newkey ec \
        -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CAKEY.tmp" -out "$CA.tmp" \
        -days "$DAYS_CA" 2>"$DIR/openssl.log.tmp"; then
        cat "$DIR/openssl.log.tmp" >&2
        exit 1
    fi
    mv -f "$CAKEY.tmp" "$CAKEY"
    mv -f "$CA.tmp" "$CA"
    chmod 644 "$CA"
    echo "tls-cert: made a new certificate authority, $CA: the file to trust (curl --cacert, a browser)" >&2
fi

# The server's certificate is made anew whenever in_use failed (with the
# CA when that did not fit either).
if ! openssl req -new -config "$CONF" -subj "/O=portico demo/CN=localhost" -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEY.tmp" -out "$DIR/csr.tmp" \
    2>"$DIR/openssl.log.tmp" ||
    ! openssl x509 -req -in "$DIR/csr.tmp" -CA "$CA" -CAkey "$CAKEY" \
        -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS_LEAF" -sha256 \
        -extfile "$CONF" -extensions leaf -out "$CRT.tmp" 2>>"$DIR/openssl.log.tmp"; then
    cat "$DIR/openssl.log.tmp" >&2
    exit 1
fi
mv -f "$KEY.tmp" "$KEY"
mv -f "$CRT.tmp" "$CRT"
chmod 644 "$CRT"
echo "tls-cert: made the server's certificate $CRT (localhost, *.localhost, 127.0.0.1, ::1; signed by $CA)" >&2
