#!/bin/sh
# Exits at once, successfully, without writing a byte.
exit 0
