#!/bin/sh
# Never answers and ignores SIGTERM (so does its sleep, which inherits the
# ignored disposition): only the SIGKILL that follows ends the group.
trap '' TERM
while :; do
    sleep 1000
done
