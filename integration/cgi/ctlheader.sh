#!/bin/sh
# A control byte (ESC) in a header value would end up in the server's head: 502.
printf 'Content-Type: text/plain\nX-Bad: a\033[31mred\n\nbody\n'
