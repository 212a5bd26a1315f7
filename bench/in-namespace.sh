#!/bin/sh
# Runs a command in a private mount namespace where DIR/ns/passwd and DIR/ns/group (the
# system's files plus a peer's own users) replace /etc/passwd and /etc/group, and each line
# "SOURCE TARGET" of DIR/ns/binds is bind-mounted. That is how a peer MTA that insists on its
# compiled-in users and paths gets them without anything changing outside its own processes.
# The command is exec'd, so its PID is this script's PID.
#   bench/in-namespace.sh DIR COMMAND [ARG...]
set -eu
if [ "${TERN_IN_NAMESPACE:-}" != "$1" ]; then
	TERN_IN_NAMESPACE=$1 exec unshare -m --propagation private "$0" "$@"
fi
ns=$1/ns
shift
mount --bind "$ns/passwd" /etc/passwd
mount --bind "$ns/group" /etc/group
if [ -f "$ns/binds" ]; then
	while read -r source target; do
		mount --bind "$source" "$target"
	done < "$ns/binds"
fi
exec "$@"
