#!/bin/sh
# Installs the Debian packages portico needs, when they are missing: with
# apt-get when run as root, else prints the command to run.
#
#   scripts/deps.sh [PKG...]         build, run and test (make test, .ci/run):
#                                    everything missing is installed, or the
#                                    command is printed and the script fails
#   scripts/deps.sh --run [PKG...]   build and run (make run, make demo): only
#                                    the build and run packages are required;
#                                    the CGI demos' interpreters get a note
#                                    when missing
#
# Extra packages may be named as arguments (e.g. the soak test's tools);
# they are required in both modes.
set -eu

build="gcc make pkg-config libyaml-dev libssl-dev zlib1g-dev"
# What running the demo needs beyond the build: openssl makes the HTTPS
# certificates on the first make run (scripts/tls-cert.sh).
run="openssl"
# Only the CGI demos need these (/cgi-bin/*.py, info.php): without them
# those pages answer 502, and everything else works.
cgi="python3 php-cgi"
# What make test needs on top: unit tests (cmocka), integration tests.
test="libcmocka-dev curl jq"

mode=test
if [ "${1:-}" = --run ]; then
    mode=run
    shift
fi

# missing PKG...: prints those of the packages that are not installed.
missing() {
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            printf ' %s' "$p"
    done
}

# install PKG...: apt-get install (as root).
install() {
    echo "deps: installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2068
    apt-get install -y -q --no-install-recommends $@ >/dev/null
}

if ! command -v dpkg-query >/dev/null; then
    echo "deps: no dpkg-query (not Debian?): cannot check packages; portico needs a C" \
        "compiler, make, pkg-config, the headers of libyaml, OpenSSL and zlib, and the openssl" \
        "command (make test also cmocka, curl, jq, python3 and php-cgi)" >&2
    exit 0
fi

if [ $mode = run ]; then
    need=$(missing $build $run "$@")
    optional=$(missing $cgi)
else
    need=$(missing $build $run $cgi $test "$@")
    optional=""
fi
[ -z "$need$optional" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    # shellcheck disable=SC2086
    install $need $optional
    exit 0
fi
if [ -n "$optional" ]; then
    echo "deps: note: the CGI demos need$optional (their pages answer 502 without them);" >&2
    echo "deps: note: to install: sudo apt-get install -y$optional" >&2
fi
if [ -n "$need" ]; then
    echo "deps: missing packages:$need" >&2
    echo "deps: run: sudo apt-get install -y$need" >&2
    exit 1
fi
exit 0
