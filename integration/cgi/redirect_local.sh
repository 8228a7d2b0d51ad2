#!/bin/sh
# Local redirect: the server answers with /hello.txt itself.
echo 'Location: /hello.txt'
echo
