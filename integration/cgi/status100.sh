#!/bin/sh
# An interim status is not a script's to send: 502.
printf 'Status: 100 Continue\r\n\r\n'
