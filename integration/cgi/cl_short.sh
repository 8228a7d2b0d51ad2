#!/bin/sh
# Announces 100 bytes and writes 6: the client must see the cut (close).
printf 'Content-Type: text/plain\r\nContent-Length: 100\r\n\r\n'
printf 'short\n'
