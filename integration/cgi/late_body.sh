#!/bin/sh
# The header block at once, then work before the first body byte: the
# client must see the status while the script works.
echo 'Content-Type: text/plain'
echo
sleep 1.5
echo 'late body'
