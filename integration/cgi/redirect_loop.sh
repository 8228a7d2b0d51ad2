#!/bin/sh
# Redirects to itself, locally, forever: the server must stop the loop.
echo 'Location: /cgi-bin/redirect_loop.sh'
echo
