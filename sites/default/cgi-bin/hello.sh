#!/bin/sh
# Hello from a POSIX shell script, with the server's date.
echo 'Content-Type: text/plain'
echo
echo 'Hello from /bin/sh!'
date
