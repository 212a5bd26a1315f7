#!/bin/sh
# Starts or stops a private OpenSMTPD (Debian's opensmtpd, unpacked by unpack-peer.sh, not
# installed) on loopback configured like ternd: accepts mail for DOMAIN into its durable
# queue (fsync'd before the 250) and delivers at once into a Maildir with its own
# mail.maildir. OpenSMTPD compiles in its users (opensmtpd, opensmtpq), its queue
# (/var/spool/smtpd), helpers (/usr/libexec/opensmtpd), chroot (/var/lib/opensmtpd/empty), control socket (/run) and resolver
# (/etc/resolv.conf), so it runs in a private mount namespace (in-namespace.sh) where those
# paths are DIR's own directories and its resolver is a dead loopback address: nothing outside
# its processes changes and it never asks the machine's DNS. The mailbox owner bob exists only
# in that namespace.
#   bench/opensmtpd-peer.sh start DIR ADDRESS:PORT [DOMAIN]    bench/opensmtpd-peer.sh stop DIR
# Environment: ROUTES="domain=address ..." relays mail for those domains to address:25.
set -eu
bench=$(realpath "$(dirname "$0")")
action=$1
dir=$(realpath -m "$2")
if [ "$action" = stop ]; then
	if [ -f "$dir/smtpd.pid" ]; then
		pid=$(cat "$dir/smtpd.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		rm -f "$dir/smtpd.pid"
	fi
	exit 0
fi
listen=$3
domain=${4:-bench.test}
address=${listen%:*} port=${listen##*:}
pkg=$("$bench/unpack-peer.sh" opensmtpd opensmtpd)
"$0" stop "$dir"  # an earlier instance in DIR
rm -rf "$dir"
mkdir -p "$dir/spool/smtpd" "$dir/varlib/opensmtpd/empty" "$dir/run" "$dir/mail/bob"
"$bench/peer-users.sh" "$dir" opensmtpd:64991 opensmtpq:64992
echo "bob:x:64993:64993::$dir/mail/bob:/bin/sh" >> "$dir/ns/passwd"
echo "bob:x:64993:" >> "$dir/ns/group"
chown 64993:64993 "$dir/mail/bob"
chmod 711 "$dir/spool/smtpd"
printf 'nameserver 127.27.255.53\nlookup file bind\n' > "$dir/ns/resolv.conf"
cat > "$dir/ns/binds" <<BINDS
$dir/spool /var/spool
$dir/varlib /var/lib
$dir/run /run
$dir/ns/resolv.conf /etc/resolv.conf
$pkg/usr/libexec /usr/libexec
BINDS

relays=""
for route in ${ROUTES:-}; do
	relays="${relays}action \"to-${route%%=*}\" relay host smtp://${route#*=}:25
match from src 127.0.0.0/8 for domain \"${route%%=*}\" action \"to-${route%%=*}\"
"
done
cat > "$dir/smtpd.conf" <<CONF
listen on $address port $port hostname mx.$domain
action "local" maildir "$dir/mail/bob/Maildir"
match from any for domain "$domain" rcpt-to regex "^(bob|postmaster)@" action "local"
$relays
CONF
"$bench/in-namespace.sh" "$dir" "$pkg/usr/sbin/smtpd" -d -f "$dir/smtpd.conf" > "$dir/smtpd.log" 2>&1 &
echo $! > "$dir/smtpd.pid"
for _ in $(seq 100); do
	ss -Hltn "src $address:$port" | grep -q . && exit 0
	kill -0 "$(cat "$dir/smtpd.pid")" 2>/dev/null || break
	sleep 0.05
done
cat "$dir/smtpd.log" >&2
exit 1
