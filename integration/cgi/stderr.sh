#!/bin/sh
# Writes a line to stderr, which goes to the server's error log.
echo 'cgi-stderr-marker-7f3a' >&2
echo 'Content-Type: text/plain'
echo
echo 'see the error log'
