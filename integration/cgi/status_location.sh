#!/bin/sh
# A Location path with a Status: not a local redirect, the script's own
# answer (RFC 3875 6.2.4), passed as it is.
echo 'Status: 301 Moved Permanently'
echo 'Location: /hello.txt'
echo 'Content-Type: text/plain'
echo
echo 'moved'
