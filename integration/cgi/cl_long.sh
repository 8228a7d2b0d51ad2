#!/bin/sh
# Announces 5 bytes and writes 11: only 5 may reach the client, and the
# connection stays usable for the next request.
printf 'Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n'
printf 'hello world'
