#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Command agent of a memory guest, one per connection (busybox nc -ll -e, port
# RMEM_AGENT_PORT). Reads one line, a base64-encoded bash command, runs it with
# output to the connection, then sends "\n\001RC <status>". Test guests only:
# anyone on the virtual link may run anything as root. See rmem_on in
# guest-lib.sh for the client.
exec 2>&1
IFS= read -r cmd || exit 1
cmd=$(printf '%s' "$cmd" | base64 -d) || exit 1
cd /tmp || exit 1
bash -c "$cmd" </dev/null
printf '\n\001RC %d\n' "$?"
