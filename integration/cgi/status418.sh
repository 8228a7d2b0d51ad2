#!/bin/sh
echo "Status: 418 I'm a teapot"
echo 'Content-Type: text/plain'
echo
echo 'short and stout'
