#!/bin/sh
# Installs the Debian packages portico needs to build and test, when they
# are missing: with apt-get when run as root, else prints the command.
# Extra packages may be named as arguments (e.g. the benchmark's peers).
set -eu

need="gcc make pkg-config libyaml-dev libcmocka-dev curl jq python3 php-cgi $*"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
else
    echo "deps: missing packages:$missing" >&2
    echo "deps: run: sudo apt-get install -y$missing" >&2
    exit 1
fi
