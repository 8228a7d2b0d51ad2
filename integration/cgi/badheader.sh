#!/bin/sh
# A header line without a colon: the server must answer 502.
echo 'Content-Type: text/plain'
echo 'this line is not a header'
echo
echo 'body'
