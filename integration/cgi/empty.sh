#!/bin/sh
# A header block and no body at all: 200 with an empty body.
printf 'Content-Type: text/plain\r\n\r\n'
