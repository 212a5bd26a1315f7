# Sourced by the bench scripts: ternd set up like the peers (accept mail for bench.test,
# durable spool, deliver to bob's Maildir), loopback clients trusted as Postfix's default
# mynetworks trusts them (so they are not SPF/DKIM/DMARC-checked).
#   write_ternd_config DIR LISTEN_ADDRESS:PORT RESOLVER [EXTRA CONFIG LINES]
write_ternd_config() {
	local dir=$1 listen=$2 resolver=$3 extra=${4:-}
	mkdir -p "$dir"
	printf 'bob:x\npostmaster:x\n' > "$dir/users"
	: > "$dir/aliases"
	cat > "$dir/ternd.conf" <<CONF
hostname mx.bench.test
spool "spool"
listen $listen smtp
resolver $resolver
trusted 127.0.0.0/8
$extra
domain bench.test {
    users "users"
    aliases "aliases"
    deliver maildir "mail/%u/Maildir"
}
CONF
}
