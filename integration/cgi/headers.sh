#!/bin/sh
# Extra headers are passed to the client as they are.
echo 'Content-Type: text/plain'
echo 'X-Custom: 1'
echo 'Set-Cookie: a=b'
echo
echo 'with headers'
