#!/bin/sh
# Writes DIR/ns/passwd and DIR/ns/group for in-namespace.sh: the system's users and groups plus
# the given system users (each with its own group of the same id), for a peer MTA whose
# package would have created them with adduser.
#   bench/peer-users.sh DIR NAME:ID...
set -eu
ns=$1/ns
shift
mkdir -p "$ns"
cp /etc/passwd "$ns/passwd"
cp /etc/group "$ns/group"
for user in "$@"; do
	name=${user%:*} id=${user#*:}
	echo "$name:x:$id:$id::/nonexistent:/usr/sbin/nologin" >> "$ns/passwd"
	echo "$name:x:$id:" >> "$ns/group"
done
chmod 644 "$ns/passwd" "$ns/group"
