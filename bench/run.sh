#!/bin/bash
# `make bench`: ternd side by side with Postfix, OpenSMTPD and Exim on loopback (issue 7).
# Every server accepts mail for bench.test durably and delivers into a Maildir; all run at
# once from bench/tmp, each on its own 127.27.0.x:2525, started and stopped here by PID.
# Scenarios, rounds interleaved (ternd, postfix, opensmtpd, exim, ternd, ...):
#   1+2. smtp-source with 1/20/100 sessions x 4 KiB/100 KiB: msg/s until the last 250
#        (accept) and until the last message is in the Maildir (end to end);
#        smtp-sink in the same rounds is the ceiling without durability;
#   3.   IDLE sessions that sent EHLO, held at once: how many, total RSS/PSS of the processes;
#   4.   outbound: OUT messages to 10 domains relayed to smtp-sink on 127.27.1.1-10:25
#        (ternd finds them by MX on bench_dns.py; the peers by a static route);
#   5.   the disk: spool_bench commits/s (write, fsync, rename, directory fsync).
# Writes bench/results/bench-TIME.{raw,json,txt,png} (latest.* link to them).
#   bench/run.sh            full run (~20 min on 2 cores)
#   QUICK=1 bench/run.sh    one round, small counts (~2 min)
#   ROUNDS=N SERVERS="ternd postfix" SCENARIOS="accept idle outbound disk" narrow it.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/ternd-config.sh
. bench/graveyard.sh
quick=${QUICK:-0}
if [ "$quick" = 1 ]; then
	rounds=${ROUNDS:-1} idle=${IDLE:-1000} idle_rounds=${IDLE_ROUNDS:-1} out=${OUT:-300}
	matrix=${MATRIX:-"1:4096:50 20:4096:300 20:102400:100"}
	disk_count=500
else
	rounds=${ROUNDS:-3} idle=${IDLE:-10000} idle_rounds=${IDLE_ROUNDS:-2} out=${OUT:-2000}
	matrix=${MATRIX:-"1:4096:100 20:4096:1000 100:4096:1000 1:102400:50 20:102400:300 100:102400:300"}
	disk_count=4000
fi
servers=${SERVERS:-"ternd postfix opensmtpd exim"}
scenarios=${SCENARIOS:-"accept idle outbound disk"}
domains=10
# Postfix runs a process per session (about 1.3 MiB each): 10,000 would need some 13 GB, so
# its process limit (default 100) is raised only this far and it holds that many idle sessions.
postfix_processes=${POSTFIX_PROCESSES:-2000}
work=$(realpath -m bench/tmp/run)
results=$(realpath -m bench/results)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$results/bench-$stamp.raw"
declare -A address=([ternd]=127.27.0.10 [postfix]=127.27.0.11 [opensmtpd]=127.27.0.12 [exim]=127.27.0.13
	[smtp-sink]=127.27.0.14)
port=2525
ternd_pid="" dns_pid="" ceiling_pid=""
routes=""
for k in $(seq $domains); do routes="$routes d$k.out.test=127.27.1.$k"; done

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
record() { echo "$*" >> "$raw"; }

stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null || true
}

stop_sinks() {
	local pidfile
	for pidfile in "$work"/sink.*.pid; do
		[ -f "$pidfile" ] && stop_pid "$(cat "$pidfile")" && rm -f "$pidfile"
	done
	return 0
}

cleanup() {
	set +e
	stop_sinks
	stop_pid "$ceiling_pid"
	stop_pid "$ternd_pid"
	bench/postfix-peer.sh stop "$work/postfix"
	bench/opensmtpd-peer.sh stop "$work/opensmtpd"
	bench/exim-peer.sh stop "$work/exim"
	stop_pid "$dns_pid"
}
trap cleanup EXIT

wait_listening() {
	for _ in $(seq 200); do
		ss -Hltn "src $1:$2" | grep -q . && return 0
		sleep 0.05
	done
	log "nothing listens on $1:$2"
	return 1
}

start_ternd() {
	write_ternd_config "$work/tern" "${address[ternd]}:$port" "$1" "control-socket \"control.sock\"
max-connections $((idle + 100))
max-connections-per-ip $((idle + 100))"
	build/release/ternd -d -c "$work/tern/ternd.conf" 2> "$work/tern/ternd.log" &
	ternd_pid=$!
	wait_listening "${address[ternd]}" $port
}

# The process whose descendants are the server (for memory): ternd itself, Postfix's master,
# Exim's daemon, OpenSMTPD's parent.
root_pid() {
	case $1 in
	ternd) echo "$ternd_pid" ;;
	postfix) tr -d ' ' < "$work/postfix/queue/pid/master.pid" ;;
	opensmtpd) cat "$work/opensmtpd/smtpd.pid" ;;
	exim) cat "$work/exim/exim.pid" ;;
	esac
}

maildir_of() {
	case $1 in
	ternd) echo "$work/tern/mail/bob/Maildir/new" ;;
	*) echo "$work/$1/mail/bob/Maildir/new" ;;
	esac
}

count_files() { [ -d "$1" ] && ls -U "$1" | wc -l || echo 0; }

# The I/O counters of the block device under bench/tmp (/sys/class/block/DEV/stat): write
# requests and cache flushes per message show what each server's durability costs the disk
# (approximately: the kernel's background writeback during a round counts too). Empty when
# there is no such device (tmpfs, overlay).
disk_stat=""
device=$(findmnt -no SOURCE -T "$(dirname "$work")" 2>/dev/null || true)
[ -n "$device" ] && [ -r "/sys/class/block/$(basename "$device")/stat" ] && disk_stat="/sys/class/block/$(basename "$device")/stat"
io_counters() { if [ -n "$disk_stat" ]; then awk '{ print $5, ($16 == "" ? 0 : $16) }' "$disk_stat"; else echo "0 0"; fi; }

# Records writes_per_msg and flushes_per_msg of one round since BEFORE (io_counters' output).
record_io() {
	local scenario=$1 server=$2 round=$3 count=$4 before=$5 after
	[ -n "$disk_stat" ] || return 0
	after=$(io_counters)
	read -r writes_before flushes_before <<< "$before"
	read -r writes_after flushes_after <<< "$after"
	record "$scenario $server $round writes_per_msg $(echo "($writes_after - $writes_before) / $count" | bc -l)"
	record "$scenario $server $round flushes_per_msg $(echo "($flushes_after - $flushes_before) / $count" | bc -l)"
}

now() { date +%s.%N; }

# Scenarios 1, 2 and 5 (smtp-sink): one round against one server.
accept_round() {
	local server=$1 sessions=$2 size=$3 count=$4 round=$5 new start accepted delivered errors
	local scenario="accept-s$sessions-$((size / 1024))k"
	new=$(maildir_of "$server")
	local io_before
	io_before=$(io_counters)
	start=$(now)
	errors=$(smtp-source -s "$sessions" -m "$count" -l "$size" -f sender@remote.test -t bob@bench.test \
		"${address[$server]}:$port" 2>&1 | wc -l)
	accepted=$(now)
	if [ "$errors" -gt 0 ]; then
		log "$server: smtp-source reported $errors errors ($scenario)"
		record "$scenario $server $round errors $errors"
	fi
	record "$scenario $server $round accept $(echo "$count / ($accepted - $start)" | bc -l)"
	if [ "$server" = smtp-sink ]; then
		record_io "$scenario" "$server" "$round" "$count" "$io_before"
		return 0
	fi
	local deadline=$(( $(date +%s) + 120 + count / 10 ))
	while [ "$(count_files "$new")" -lt "$count" ]; do
		if [ "$(date +%s)" -gt "$deadline" ]; then
			log "$server: only $(count_files "$new") of $count messages in the Maildir ($scenario)"
			bury_files "$new"
			return 0
		fi
		sleep 0.02
	done
	delivered=$(now)
	record "$scenario $server $round end_to_end $(echo "$count / ($delivered - $start)" | bc -l)"
	record_io "$scenario" "$server" "$round" "$count" "$io_before"
	bury_files "$new"
}

# Scenario 3.
idle_round() {
	local server=$1 round=$2 json
	json=$(/usr/bin/python3 bench/idle_sessions.py "${address[$server]}" $port "$idle" "$(root_pid "$server")" \
		$((60 + idle / 50)))
	log "$server idle: $json"
	record "idle $server $round held $(echo "$json" | sed 's/.*"held": \([0-9]*\).*/\1/')"
	record "idle $server $round rss_mib $(echo "$json" | sed 's/.*"rss_kib": \([0-9]*\).*/\1/' | awk '{ print $1 / 1024 }')"
	record "idle $server $round pss_mib $(echo "$json" | sed 's/.*"pss_kib": \([0-9]*\).*/\1/' | awk '{ print $1 / 1024 }')"
	record "idle $server $round processes $(echo "$json" | sed 's/.*"processes": \([0-9]*\).*/\1/')"
	sleep 2  # let the server notice the closed sessions before the next one is loaded
}

start_sinks() {
	for k in $(seq $domains); do
		smtp-sink -u nobody -c "127.27.1.$k:25" 1000 > "$work/sink.$k.out" 2>&1 &
		echo $! > "$work/sink.$k.pid"
	done
	for k in $(seq $domains); do wait_listening "127.27.1.$k" 25; done
}

sink_counter() { # sum of one counter (mesg, sess) over the sinks
	local total=0 k value
	for k in $(seq $domains); do
		value=$(tail -c 80 "$work/sink.$k.out" | tr '\r' '\n' | grep "$1=" | tail -1 | sed "s/.*$1=\([0-9]*\).*/\1/")
		total=$((total + ${value:-0}))
	done
	echo $total
}

# Scenario 4: OUT messages, OUT/10 to each domain, injected over 20 sessions and relayed.
outbound_round() {
	local server=$1 round=$2 start done_at per=$((out / domains)) k open
	start_sinks
	local injectors=()
	start=$(now)
	for k in $(seq $domains); do
		smtp-source -s 2 -m "$per" -l 4096 -f sender@bench.test -t "user@d$k.out.test" \
			"${address[$server]}:$port" > /dev/null 2>&1 &
		injectors+=($!)
	done
	wait "${injectors[@]}" || true
	local deadline=$(( $(date +%s) + 120 + out / 10 ))
	while [ "$(sink_counter mesg)" -lt "$((per * domains))" ]; do
		if [ "$(date +%s)" -gt "$deadline" ]; then
			log "$server: only $(sink_counter mesg) of $((per * domains)) relayed"
			stop_sinks
			return 0
		fi
		sleep 0.05
	done
	done_at=$(now)
	sleep 3
	open=$(ss -Htn state established "( sport = :25 )" | grep -c ' 127\.27\.1\.' || true)
	record "outbound $server $round relay $(echo "$per * $domains / ($done_at - $start)" | bc -l)"
	record "outbound $server $round connections $(( $(sink_counter sess) + open ))"
	stop_sinks
}

disk_round() {
	local threads line
	for threads in 1 16; do
		line=$(bench/spool-bench.sh "$disk_count" 4096 "$threads" | tail -1)
		record "disk-t$threads spool_bench 1 commits $(echo "$line" | awk '{ print $3 }')"
	done
}

bury "$work" # an earlier run's servers, spools and mail
mkdir -p "$work" "$results"
ulimit -n "$(ulimit -Hn)"
log "building release ternd"
make -s MODE=release build/release/ternd
: > "$raw"
record "# $(date -u) $(nproc) cores, $(uname -r); quick=$quick rounds=$rounds idle=$idle out=$out"

/usr/bin/python3 bench/bench_dns.py $domains > "$work/dns.address" &
dns_pid=$!
for _ in $(seq 100); do [ -s "$work/dns.address" ] && break; sleep 0.05; done
log "starting servers: $servers"
for server in $servers; do
	case $server in
	ternd) start_ternd "$(cat "$work/dns.address")" ;;
	postfix) PROCESS_LIMIT=$postfix_processes ROUTES="$routes" bench/postfix-peer.sh start "$work/postfix" \
		"${address[postfix]}:$port" > /dev/null ;;
	opensmtpd) ROUTES="$routes" bench/opensmtpd-peer.sh start "$work/opensmtpd" "${address[opensmtpd]}:$port" ;;
	exim) MAX_CONNECTIONS=$((idle + 100)) ROUTES="$routes" bench/exim-peer.sh start "$work/exim" \
		"${address[exim]}:$port" ;;
	esac
	wait_listening "${address[$server]}" $port
done
smtp-sink -u nobody "${address[smtp-sink]}:$port" 1000 > /dev/null 2>&1 &
ceiling_pid=$!
wait_listening "${address[smtp-sink]}" $port
sleep 1

for scenario in $scenarios; do
	case $scenario in
	accept)
		for cell in $matrix; do
			IFS=: read -r sessions size count <<< "$cell"
			for round in $(seq "$rounds"); do
				for server in $servers smtp-sink; do
					log "accept: $server s=$sessions size=$size n=$count round $round"
					accept_round "$server" "$sessions" "$size" "$count" "$round"
				done
			done
		done ;;
	idle)
		for round in $(seq "$idle_rounds"); do
			for server in $servers; do idle_round "$server" "$round"; done
		done ;;
	outbound)
		for round in $(seq "$rounds"); do
			for server in $servers; do
				log "outbound: $server n=$out round $round"
				outbound_round "$server" "$round"
			done
		done ;;
	disk) log "disk: spool_bench"; disk_round ;;
	esac
done

cleanup
trap - EXIT
graveyard_clear
/usr/bin/python3 bench/report.py "$raw"
