#!/bin/sh
# Headers at once, then a line every 0.2 s forever: for a client that
# disconnects mid-body (the script must be killed, not left writing).
echo 'Content-Type: text/plain'
echo
while :; do
    echo tick
    sleep 0.2
done
