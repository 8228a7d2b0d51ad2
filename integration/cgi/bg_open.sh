#!/bin/sh
# Leaves a child running that still holds the script's stdout: no EOF comes
# when the script exits, yet the response must not wait for the child.
sleep 1000 &
echo 'Content-Type: text/plain'
echo
echo 'left a child holding stdout'
