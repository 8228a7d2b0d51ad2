#!/bin/sh
# Headers and a first piece of body, then silence: timeouts.cgi bounds the
# gap, so the server must cut the response (close) and kill the group.
echo 'Content-Type: text/plain'
echo
echo 'first part'
while :; do
    sleep 1000
done
