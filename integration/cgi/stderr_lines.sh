#!/bin/sh
# Three lines on stderr, each to be logged as its own error log line at
# warn: a short one, one of 3500+ bytes (3500 '~' between two markers), and
# a last one without a trailing newline, written just before the script
# exits. A normal response on stdout.
printf 'stderr-first-line-4b1e\n' >&2
printf 'stderr-long-begin-9c2d %s stderr-long-end-9c2d\n' "$(printf '%3500s' '' | tr ' ' '~')" >&2
echo 'Content-Type: text/plain'
echo
echo 'three lines on stderr'
printf 'stderr-last-no-newline-d07a' >&2
