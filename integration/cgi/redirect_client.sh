#!/bin/sh
# Client redirect: the server answers 302 with this Location.
echo 'Location: http://example.test/x'
echo
