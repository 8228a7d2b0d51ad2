#!/bin/sh
# Prints the shell's ignored and blocked signal masks (SigIgn, SigBlk of
# /proc/self/status, read by the shell itself): both must be all zero,
# whatever the server ignores (SIGPIPE) or inherited ignored (SIGINT and
# SIGQUIT when a shell started it with &).
echo 'Content-Type: text/plain'
echo
while read -r key value; do
    case $key in
    SigIgn: | SigBlk:) echo "$key $value" ;;
    esac
done </proc/self/status
