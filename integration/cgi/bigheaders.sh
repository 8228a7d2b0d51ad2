#!/bin/sh
# 60 headers of 150 bytes: 9 KiB, more than portico passes on (8 KiB).
echo 'Content-Type: text/plain'
i=0
while [ $i -lt 60 ]; do
    printf 'X-Pad-%02d: %0140d\n' $i 0
    i=$((i + 1))
done
echo
echo 'padded'
