#!/bin/sh
# The handle-passing demo as a test: server and client in two processes, the
# client must print the message it read through the passed descriptor.
#   run_demo.sh HANDOFF_SERVER HANDOFF_CLIENT
set -eu
name="@localsock-demo-test-$$"
"$1" "$name" >/dev/null &
server=$!
output=$("$2" "$name")
wait "$server"
echo "$output"
echo "$output" | grep -q "you are reading this through a descriptor it passed you"
