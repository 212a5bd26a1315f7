#!/bin/sh
# Starts or stops a private Postfix on loopback configured like the tern demo: accepts mail
# for bench.test, durable queue, delivers to Maildir. Nothing system-wide is touched: its
# config, queue and mailboxes live under the directory given.
#   bench/postfix-peer.sh start DIR ADDRESS:PORT [DOMAIN]    bench/postfix-peer.sh stop DIR
# DOMAIN (default bench.test) gets one mailbox, bob.
# Environment: PROCESS_LIMIT (default_process_limit, default 200), ROUTES="domain=address ..."
# sends mail for those domains to address:25 (outbound benchmark).
set -eu
action=$1
dir=$(realpath -m "$2")
if [ "$action" = stop ]; then
	postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
	exit 0
fi
listen=$3
domain=${4:-bench.test}
rm -rf "$dir"
mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/mail"
cp /etc/postfix/master.cf.proto "$dir/etc/master.cf" 2>/dev/null || cp /etc/postfix/master.cf "$dir/etc/master.cf"
cp /etc/postfix/dynamicmaps.cf "$dir/etc/" 2>/dev/null || true
# The stock smtpd line, moved to our address and port.
sed -i "s/^smtp      inet  n       -       y       -       -       smtpd/$listen inet n - n - - smtpd/" "$dir/etc/master.cf"
cat > "$dir/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.bench.test
mydestination =
inet_interfaces = all
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_tls_security_level = none
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = $domain
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = inline:{ bob@$domain=bob/Maildir/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
default_process_limit = ${PROCESS_LIMIT:-200}
maillog_file_prefixes = $dir
maillog_file = $dir/postfix.log
CONF
transports=""
for route in ${ROUTES:-}; do
	transports="$transports${transports:+, }${route%%=*}=smtp:[${route#*=}]:25"
done
[ -n "$transports" ] && echo "transport_maps = inline:{ $transports }" >> "$dir/etc/main.cf"
chown 65534:65534 "$dir/mail"
chown postfix "$dir/data"
postfix -c "$dir/etc" check >/dev/null 2>&1 || true
postfix -c "$dir/etc" start || script -qc "postfix -c $dir/etc start" /dev/null
