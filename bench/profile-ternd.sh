#!/bin/bash
# Profiles ternd's acceptance alone: starts build/release/ternd on loopback with the same
# configuration as bench/acceptance.sh, loads it with smtp-source, and prints messages/s, CPU
# (user+system) and context switches per message from /proc/<pid>, and fsync-family calls per message.
# With STRACE=1 it runs ternd under `strace -f -c` instead (slower; for syscall counts).
# TERND=path runs another binary.
#   bench/profile-ternd.sh [SESSIONS] [MESSAGES] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/ternd-config.sh
. bench/graveyard.sh
sessions=${1:-20} messages=${2:-5000} size=${3:-4096}
work=$(realpath -m bench/tmp/profile)
address=127.0.0.1:2627
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true; }
trap cleanup EXIT

bury "$work" # not rm: see graveyard.sh; `rm -rf bench/tmp/graveyard` when done
write_ternd_config "$work" "$address" 127.0.0.1:53 "max-connections-per-ip 1000"
ternd=${TERND:-build/release/ternd}
[ -z "${TERND:-}" ] && make -s MODE=release build/release/ternd
if [ "${STRACE:-0}" = 1 ]; then
	strace -f -c -o "$work/strace.txt" "$ternd" -d -c "$work/ternd.conf" 2> "$work/ternd.log" &
else
	"$ternd" -d -c "$work/ternd.conf" 2> "$work/ternd.log" &
fi
pid=$!
for _ in $(seq 200); do ss -Hltn "src $address" | grep -q . && break; sleep 0.05; done
target=$pid
[ "${STRACE:-0}" = 1 ] && target=$(pgrep -P "$pid" ternd)
cpu() { awk '{ print $14 + $15 }' "/proc/$target/stat"; }
switches() { cat /proc/"$target"/task/*/status | awk '/ctxt_switches/ { n += $2 } END { print n }'; }
ticks=$(getconf CLK_TCK)
before=$(cpu) switches_before=$(switches)
start=$(date +%s.%N)
smtp-source -s "$sessions" -m "$messages" -l "$size" -f sender@remote.test -t bob@bench.test "$address"
accepted=$(date +%s.%N)
while [ "$(find "$work/mail" -path '*/new/*' -type f 2>/dev/null | wc -l)" -lt "$messages" ]; do sleep 0.02; done
delivered=$(date +%s.%N)
after=$(cpu) switches_after=$(switches)
echo "accept $(echo "$messages / ($accepted - $start)" | bc -l | cut -c1-7) msg/s" \
     "end-to-end $(echo "$messages / ($delivered - $start)" | bc -l | cut -c1-7) msg/s" \
     "cpu $(echo "($after - $before) * 1000000 / $ticks / $messages" | bc -l | cut -c1-6) us/msg (accept+deliver)" \
     "switches $(echo "($switches_after - $switches_before) / $messages" | bc -l | cut -c1-5)/msg"
if [ "${STRACE:-0}" = 1 ]; then
	kill "$target"; wait "$pid" 2>/dev/null || true; pid=""
	head -25 "$work/strace.txt"
	grep -E ' (fsync|fdatasync|syncfs|sync_file_range|renameat2?|openat|write|close)$' "$work/strace.txt" |
		awk -v m="$messages" '{ printf "%-16s %6.2f per message\n", $NF, $4 / m }'
fi
