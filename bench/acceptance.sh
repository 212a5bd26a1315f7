#!/bin/bash
# Side-by-side acceptance benchmark: ternd and a private Postfix, both accepting mail for
# bench.test durably and delivering to Maildir, loaded by Postfix's smtp-source on loopback.
# Rounds are interleaved (ternd, postfix, ternd, ...). Prints messages/s until the last 250
# and until the last message is in the Maildir.
#   bench/acceptance.sh [SESSIONS] [MESSAGES] [SIZE] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/ternd-config.sh
. bench/graveyard.sh
sessions=${1:-20} messages=${2:-5000} size=${3:-4096} rounds=${4:-3}
work=$(realpath -m bench/tmp)
tern_address=127.0.0.1:2625 postfix_address=127.0.0.1:2626
ternd_pid=""

cleanup() {
	[ -n "$ternd_pid" ] && kill "$ternd_pid" 2>/dev/null && wait "$ternd_pid" 2>/dev/null
	bench/postfix-peer.sh stop "$work/postfix"
}
trap cleanup EXIT

start_ternd() {
	bury "$work/tern"
	write_ternd_config "$work/tern" "$tern_address" 127.0.0.1:53 "max-connections-per-ip 1000"
	build/release/ternd -d -c "$work/tern/ternd.conf" 2> "$work/tern/ternd.log" &
	ternd_pid=$!
	sleep 0.5
}

count_new() { find "$1" -path '*/new/*' -type f 2>/dev/null | wc -l; }

# One round against one server: prints "accept_rate end_to_end_rate".
round() {
	local address=$1 maildirs=$2 before start accepted delivered
	before=$(count_new "$maildirs")
	start=$(date +%s.%N)
	smtp-source -s "$sessions" -m "$messages" -l "$size" -f sender@remote.test -t bob@bench.test "$address"
	accepted=$(date +%s.%N)
	while [ $(( $(count_new "$maildirs") - before )) -lt "$messages" ]; do sleep 0.02; done
	delivered=$(date +%s.%N)
	echo "$(echo "$messages / ($accepted - $start)" | bc -l) $(echo "$messages / ($delivered - $start)" | bc -l)"
}

make -s MODE=release build/release/ternd
start_ternd
bench/postfix-peer.sh start "$work/postfix" "$postfix_address" >/dev/null
sleep 1
echo "smtp-source -s $sessions -m $messages -l $size, $rounds interleaved rounds (msg/s: accepted, in Maildir)"
for i in $(seq "$rounds"); do
	printf 'round %d ternd   %s\n' "$i" "$(round $tern_address "$work/tern/mail")"
	printf 'round %d postfix %s\n' "$i" "$(round $postfix_address "$work/postfix/mail")"
done | awk '{ printf "%s %s %-8s accept %8.1f  end-to-end %8.1f\n", $1, $2, $3, $4, $5 }'
