#!/bin/sh
# Local redirect to another script, with PATH_INFO and a query: the target
# runs as a GET of that URL (RFC 3875 6.2.2).
echo 'Location: /cgi-bin/env.py/pi?from=redirect'
echo
