#!/bin/sh
# Leaves a child running in the background with its stdout closed: the
# response ends when the script exits, and the child must go with the
# script's process group once the request is done.
sleep 1000 >/dev/null 2>&1 &
echo 'Content-Type: text/plain'
echo
echo 'left a child behind'
