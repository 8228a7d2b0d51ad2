#!/bin/sh
# Never answers. No exec: the shell and its sleep share the process group,
# so only a group kill ends both.
while :; do
    sleep 1000
done
