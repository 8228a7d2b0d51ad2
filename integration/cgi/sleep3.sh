#!/bin/sh
sleep 3
echo 'Content-Type: text/plain'
echo
echo 'slept 3 s'
