#!/bin/sh
# Starts or stops a private Exim (Debian's exim4-daemon-light, unpacked by unpack-peer.sh, not
# installed) on loopback configured like ternd: accepts mail for DOMAIN, spools it durably
# (Exim fsyncs its -D and -H files before the 250) and delivers at once into a Maildir. Its
# config, spool, logs and mailboxes live under DIR; it runs as root from there with -C (a root
# caller keeps privilege) in a private mount namespace that has the Debian-exim user its
# package would have added (in-namespace.sh). Exim's re-exec for delivery runs with -C as
# well, so it loses root (the config is not in Debian's trusted_configs): it delivers as
# Debian-exim, which owns the spool and DIR/mail. Integration tests use it as a receiving peer
# on ADDRESS:25; benchmarks on other ports.
#   bench/exim-peer.sh start DIR ADDRESS:PORT [DOMAIN]    bench/exim-peer.sh stop DIR
# DOMAIN (default bench.test) gets one mailbox, bob, in DIR/mail/bob/Maildir.
# Environment: MAX_CONNECTIONS (smtp_accept_max, default 1000; Exim's own default is 20),
# ROUTES="domain=address ..." sends mail for those domains to address:25 (outbound benchmark).
set -eu
bench=$(realpath "$(dirname "$0")")
action=$1
dir=$(realpath -m "$2")
if [ "$action" = stop ]; then
	if [ -f "$dir/exim.pid" ]; then
		pid=$(cat "$dir/exim.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		rm -f "$dir/exim.pid"
	fi
	exit 0
fi
listen=$3
domain=${4:-bench.test}
address=${listen%:*} port=${listen##*:}
pkg=$("$bench/unpack-peer.sh" exim exim4-base exim4-config exim4-daemon-light)
"$0" stop "$dir"  # an earlier instance in DIR
rm -rf "$dir"
mkdir -p "$dir/spool" "$dir/log" "$dir/mail"
"$bench/peer-users.sh" "$dir" Debian-exim:64990
chown 64990:64990 "$dir/spool" "$dir/log" "$dir/mail"

routes=""
for route in ${ROUTES:-}; do
	routes="$routes${routes:+ ; }${route%%=*} ${route#*=}"
done

cat > "$dir/exim.conf" <<CONF
primary_hostname = mx.$domain
domainlist local_domains = $domain
daemon_smtp_ports = $port
local_interfaces = <; $address.$port
spool_directory = $dir/spool
log_file_path = $dir/log/%slog
pid_file_path = $dir/exim.pid
exim_path = $pkg/usr/sbin/exim4
tls_advertise_hosts =
smtp_connect_backlog = 1024
never_users = root
host_lookup =
rfc1413_hosts =
smtp_accept_max = ${MAX_CONNECTIONS:-1000}
smtp_accept_max_per_host =
acl_smtp_rcpt = acl_check_rcpt
keep_environment =

begin acl
acl_check_rcpt:
  accept domains = +local_domains
         local_parts = bob : postmaster
  accept hosts = 127.0.0.0/8
         domains = ! +local_domains
  deny   message = relay not permitted

begin routers
$( [ -n "$routes" ] && printf 'bench_routes:\n  driver = manualroute\n  route_list = %s\n  transport = remote_smtp\n  self = send\n' "$routes" )
local_user:
  driver = accept
  domains = +local_domains
  transport = maildir_delivery

begin transports
maildir_delivery:
  driver = appendfile
  directory = $dir/mail/bob/Maildir
  maildir_format
  create_directory
  delivery_date_add
  envelope_to_add
  return_path_add
  user = Debian-exim

remote_smtp:
  driver = smtp
  port = 25
  hosts_try_chunking =

begin retry
*   *   F,2h,1m
CONF
chmod 644 "$dir/exim.conf"
"$bench/in-namespace.sh" "$dir" "$pkg/usr/sbin/exim4" -C "$dir/exim.conf" -bdf -q1h > "$dir/log/stdout" 2>&1 &
for _ in $(seq 100); do [ -s "$dir/exim.pid" ] && break; sleep 0.05; done
[ -s "$dir/exim.pid" ] || { cat "$dir/log/stdout" "$dir/log/paniclog" 2>/dev/null >&2; exit 1; }
