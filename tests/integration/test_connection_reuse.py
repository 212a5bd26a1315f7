"""Several messages over one connection (RFC 5321 §3.3) and the outbound connection limits:
ternd delivers to aiosmtpd peers that count their connections, and to Debian's Postfix, all on
port 25 of 127.24.x.y addresses, with MX records from a DNS server on 127.0.0.1."""
import asyncio
import itertools
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from conftest import ROOT
from dns_fixture import dns_server  # noqa: F401 (a fixture)
from test_outbound import postfix_peer, relay_server, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="receiving servers listen on port 25")
_hosts = itertools.count(10)


def peer_address():
    return f"127.24.{os.getpid() % 200 + 1}.{next(_hosts) % 240 + 10}"


class Peer:
    """An aiosmtpd handler that counts connections (in all, and open at once) and MAILs per
    connection; mail_reply(n) may answer the n-th MAIL of a connection instead, "drop" closes
    the connection without a reply; after_data(server) runs after each accepted message."""

    def __init__(self, mail_reply=None, rcpt_delay=0.0, drop_after_data=False, refuse=()):
        self.mail_reply = mail_reply or (lambda n: None)
        self.refuse = refuse  # recipients answered 550 at RCPT
        self.resets = 0
        self.quits = 0
        self.rcpt_delay = rcpt_delay
        self.drop_after_data = drop_after_data
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.subjects = []
        self.carriers = []  # the aiosmtpd server (one per connection) of each message

    def connected(self):
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)

    def disconnected(self):
        self.open -= 1

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        count = server.mails_seen = getattr(server, "mails_seen", 0) + 1  # server: one per connection
        reply = self.mail_reply(count)
        if reply == "drop":
            server.transport.abort()
            return "421 4.3.0 gone"  # never sent: the connection is gone
        if reply:
            return reply
        envelope.mail_from = address
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 2.0.0 Bye"

    async def handle_RSET(self, server, session, envelope):
        self.resets += 1
        return "250 2.0.0 OK"

    async def handle_DATA(self, server, session, envelope):
        subject = re.search(rb"Subject: (\S+)", envelope.original_content).group(1).decode()
        self.subjects.append(subject)
        self.carriers.append(server)
        if self.drop_after_data:
            asyncio.get_running_loop().call_later(0.2, server.transport.close)
        return "250 2.0.0 Ok: queued"


class CountingSMTP(SMTP):
    def connection_made(self, transport):
        self.event_handler.connected()
        super().connection_made(transport)

    def connection_lost(self, error):
        self.event_handler.disconnected()
        super().connection_lost(error)


class CountingController(Controller):
    def factory(self):
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def peers():
    started = []

    def start(handler):
        host = peer_address()
        controller = CountingController(handler, hostname=host, port=25)
        controller.start()
        started.append(controller)
        assert wait_for(lambda: handler.open == 0)  # aiosmtpd's own probe at start is not ours
        handler.connections = handler.most_open = 0
        return host

    yield start
    for controller in started:
        controller.stop()


def send_many(server, recipients, prefix="m"):
    """One message per recipient, each with its own subject; returns the subjects."""
    import smtplib
    subjects = []
    with smtplib.SMTP(server.host, server.port) as client:
        for number, recipient in enumerate(recipients):
            subject = f"{prefix}{number}"
            client.sendmail("alice@example.test", [recipient],
                            f"From: alice@example.test\r\nSubject: {subject}\r\n\r\nbody {number}\r\n")
            subjects.append(subject)
    return subjects


def one_domain(dns, domain, address):
    dns.add(domain, "MX", f"10 mx.{domain}.")
    dns.add(f"mx.{domain}", "A", address)


def test_messages_for_one_domain_share_connections(make_ternd, dns_server, peers):
    peer = Peer()
    one_domain(dns_server, "reuse.test", peers(peer))
    server = relay_server(make_ternd, dns_server, "max-outbound-connections-per-domain 2")
    subjects = send_many(server, [f"user{n}@reuse.test" for n in range(12)])
    assert wait_for(lambda: len(peer.subjects) >= 12, timeout=30), server.log_text()[-3000:]
    assert wait_for(lambda: server.spooled() == [])
    time.sleep(0.5)
    assert sorted(peer.subjects) == sorted(subjects)  # every message exactly once
    assert peer.connections < 12, peer.connections
    assert peer.most_open <= 2
    server.wait_log("reusing connection to mx.reuse.test[")
    assert server.log_text().count("status=sent") == 12


def test_a_burst_starts_with_a_few_connections_and_grows(make_ternd, dns_server, peers):
    """Slow start (as Postfix's initial_destination_concurrency): a burst for one domain begins
    on 5 connections, one more per success, and is carried by reusing them; not 20 new ones."""
    peer = Peer(rcpt_delay=0.3)
    one_domain(dns_server, "burst.test", peers(peer))
    server = relay_server(make_ternd, dns_server, "")
    subjects = send_many(server, [f"user{n}@burst.test" for n in range(30)])
    assert wait_for(lambda: len(peer.subjects) >= 30, timeout=60), server.log_text()[-3000:]
    assert sorted(peer.subjects) == sorted(subjects)
    assert peer.connections < 20, peer.connections
    assert peer.most_open <= 20


def test_rset_after_a_refused_transaction_then_the_next_message(make_ternd, dns_server, peers):
    peer = Peer(refuse=("nobody@strict.test",))
    one_domain(dns_server, "strict.test", peers(peer))
    server = relay_server(make_ternd, dns_server)
    send_many(server, ["nobody@strict.test"])
    server.wait_log("status=bounced (550 5.1.1 no such user)")
    assert wait_for(lambda: peer.resets == 1)  # RFC 5321 §4.1.1.5: MAIL was accepted, so RSET
    subjects = send_many(server, ["somebody@strict.test"], prefix="after")
    assert wait_for(lambda: peer.subjects == subjects)
    server.wait_log("reusing connection to mx.strict.test[")
    assert peer.connections == 1


def test_connection_under_starttls_is_reused(make_ternd, dns_server, tmp_path):
    from test_outbound import tls_server_context
    peer = Peer()
    host = peer_address()
    context = tls_server_context(tmp_path, "mx.tls.test")
    controller = CountingController(peer, hostname=host, port=25, tls_context=context)
    controller.start()
    try:
        one_domain(dns_server, "tls.test", host)
        server = relay_server(make_ternd, dns_server)
        subjects = send_many(server, ["a@tls.test"])
        assert wait_for(lambda: peer.subjects)
        subjects += send_many(server, ["b@tls.test"], prefix="n")
        assert wait_for(lambda: sorted(peer.subjects) == sorted(subjects))
        server.wait_log("reusing connection to mx.tls.test[")
        assert server.log_text().count("tls=TLS") == 2, server.log_text()  # both under TLS
        assert peer.carriers[0] is peer.carriers[1]  # (STARTTLS makes aiosmtpd count a connection twice)
    finally:
        controller.stop()


def test_idle_connection_closes_after_a_while(make_ternd, dns_server, peers):
    peer = Peer()
    one_domain(dns_server, "idle.test", peers(peer))
    server = relay_server(make_ternd, dns_server)
    send_many(server, ["someone@idle.test"])
    assert wait_for(lambda: peer.subjects and peer.open == 1)
    assert wait_for(lambda: peer.open == 0, timeout=10)  # QUIT after CONNECTION_CACHE_IDLE_SECONDS


def test_shutdown_says_quit_on_kept_connections(make_ternd, dns_server, peers):
    peer = Peer()
    one_domain(dns_server, "bye.test", peers(peer))
    server = relay_server(make_ternd, dns_server)
    send_many(server, ["someone@bye.test"])
    assert wait_for(lambda: peer.subjects and peer.open == 1)  # kept for the next message
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 4  # not the idle timeout
    assert wait_for(lambda: peer.open == 0)
    assert peer.quits == 1


def test_4xx_to_the_second_mail_on_a_connection_defers_that_message(make_ternd, dns_server, peers):
    peer = Peer(mail_reply=lambda n: "451 4.3.2 one at a time" if n == 2 else None)
    one_domain(dns_server, "picky.test", peers(peer))
    server = relay_server(make_ternd, dns_server, "retry-interval 1s")
    subjects = send_many(server, ["a@picky.test"])
    assert wait_for(lambda: peer.subjects)
    subjects += send_many(server, ["b@picky.test"], prefix="n")  # over the kept connection
    server.wait_log("reusing connection to mx.picky.test[")
    server.wait_log("status=deferred (451 4.3.2 one at a time)")
    assert wait_for(lambda: len(peer.subjects) == 2, timeout=20), server.log_text()[-3000:]
    assert wait_for(lambda: server.spooled() == [])
    time.sleep(0.5)
    assert sorted(peer.subjects) == sorted(subjects)


def test_peer_closing_between_transactions_loses_nothing(make_ternd, dns_server, peers):
    peer = Peer(drop_after_data=True)
    one_domain(dns_server, "closer.test", peers(peer))
    server = relay_server(make_ternd, dns_server)
    subjects = []
    for number in range(4):
        subjects += send_many(server, [f"u{number}@closer.test"], prefix=f"c{number}-")
        time.sleep(0.6)  # the peer has closed the kept connection by now
    assert wait_for(lambda: len(peer.subjects) == 4, timeout=20), server.log_text()[-3000:]
    assert wait_for(lambda: server.spooled() == [])
    assert sorted(peer.subjects) == sorted(subjects)
    assert "status=deferred" not in server.log_text()
    assert peer.connections == 4


def test_kept_connection_dropped_at_mail_is_replaced_by_a_new_one(make_ternd, dns_server, peers):
    peer = Peer(mail_reply=lambda n: "drop" if n == 2 else None)
    one_domain(dns_server, "dropper.test", peers(peer))
    server = relay_server(make_ternd, dns_server)
    subjects = send_many(server, ["a@dropper.test"])
    assert wait_for(lambda: peer.subjects)
    subjects += send_many(server, ["b@dropper.test"], prefix="n")
    assert wait_for(lambda: len(peer.subjects) == 2, timeout=20), server.log_text()[-3000:]
    server.wait_log("was closed; connecting again")
    assert wait_for(lambda: server.spooled() == [])
    time.sleep(0.5)
    assert sorted(peer.subjects) == sorted(subjects)
    assert "status=deferred" not in server.log_text()


def test_421_to_mail_on_a_kept_connection_means_a_new_connection(make_ternd, dns_server, peers):
    peer = Peer(mail_reply=lambda n: "421 4.4.2 idle too long, closing" if n == 2 else None)
    one_domain(dns_server, "timeout.test", peers(peer))
    server = relay_server(make_ternd, dns_server)
    subjects = send_many(server, ["a@timeout.test"])
    assert wait_for(lambda: peer.subjects)
    subjects += send_many(server, ["b@timeout.test"], prefix="n")
    assert wait_for(lambda: len(peer.subjects) == 2, timeout=20), server.log_text()[-3000:]
    server.wait_log("was closed; connecting again")
    assert sorted(peer.subjects) == sorted(subjects)
    assert "status=deferred" not in server.log_text()
    assert peer.connections == 2


def test_per_domain_limit_of_two_is_never_exceeded(make_ternd, dns_server, peers):
    peer = Peer(rcpt_delay=0.3)
    one_domain(dns_server, "narrow.test", peers(peer))
    server = relay_server(make_ternd, dns_server, "max-outbound-connections-per-domain 2")
    subjects = send_many(server, [f"user{n}@narrow.test" for n in range(12)])
    assert wait_for(lambda: len(peer.subjects) == 12, timeout=40), server.log_text()[-3000:]
    assert sorted(peer.subjects) == sorted(subjects)
    assert peer.most_open == 2, peer.most_open  # both used, never a third


def test_total_limit_is_respected_across_domains(make_ternd, dns_server, peers):
    peer = Peer(rcpt_delay=0.3)
    address = peers(peer)
    domains = [f"d{n}.test" for n in range(6)]
    for domain in domains:
        one_domain(dns_server, domain, address)
    server = relay_server(make_ternd, dns_server, "max-outbound-connections 3")
    subjects = send_many(server, [f"user{n}@{domains[n % 6]}" for n in range(12)])
    assert wait_for(lambda: len(peer.subjects) == 12, timeout=40), server.log_text()[-3000:]
    assert sorted(peer.subjects) == sorted(subjects)
    assert peer.most_open <= 3, peer.most_open
    assert wait_for(lambda: server.spooled() == [])


def test_limits_follow_a_reload(make_ternd, dns_server, peers):
    peer = Peer(rcpt_delay=0.3)
    one_domain(dns_server, "reload.test", peers(peer))
    server = relay_server(make_ternd, dns_server, "max-outbound-connections-per-domain 1")
    send_many(server, [f"user{n}@reload.test" for n in range(4)], prefix="r")
    assert wait_for(lambda: len(peer.subjects) == 4, timeout=30)
    assert peer.most_open == 1
    server.config.write_text(server.config.read_text().replace("max-outbound-connections-per-domain 1",
                                                               "max-outbound-connections-per-domain 3"))
    import signal
    server.process.send_signal(signal.SIGHUP)
    server.wait_log("reloaded")
    send_many(server, [f"user{n}@reload.test" for n in range(9)], prefix="s")
    assert wait_for(lambda: len(peer.subjects) == 13, timeout=30)
    assert 1 < peer.most_open <= 3, peer.most_open


def postfix_connections(directory):
    log = directory / "postfix.log"
    return len(re.findall(r"smtpd\[\d+\]: connect from", log.read_text(errors="replace"))) if log.exists() else 0


def test_postfix_receives_many_messages_over_few_connections(make_ternd, dns_server):
    address = peer_address()
    top = pathlib.Path(tempfile.mkdtemp(prefix="tern-postfix-reuse-", dir="/tmp"))  # postfix's user must reach it
    os.chmod(top, 0o755)
    postfix_peer(top / "postfix", address, "remote.test")
    try:
        one_domain(dns_server, "remote.test", address)
        server = relay_server(make_ternd, dns_server, "max-outbound-connections-per-domain 2")
        subjects = send_many(server, ["bob@remote.test"] * 10, prefix="p")
        maildir = top / "postfix" / "mail" / "bob" / "Maildir" / "new"
        assert wait_for(lambda: maildir.exists() and len(list(maildir.iterdir())) >= 10, timeout=60), \
            server.log_text()[-3000:]
        assert wait_for(lambda: server.spooled() == [])
        time.sleep(1)
        stored = [re.search(rb"Subject: (\S+)", path.read_bytes()).group(1).decode() for path in maildir.iterdir()]
        assert sorted(stored) == sorted(subjects)  # each exactly once
        assert 1 <= postfix_connections(top / "postfix") < 10, postfix_connections(top / "postfix")
        server.wait_log("reusing connection to mx.remote.test[")
    finally:
        subprocess.run([str(ROOT / "bench" / "postfix-peer.sh"), "stop", str(top / "postfix")],
                       capture_output=True, timeout=60)
        shutil.rmtree(top, ignore_errors=True)


def test_smarthost_connection_carries_mail_for_several_domains(make_ternd, dns_server, tmp_path):
    from test_outbound import relay_authenticator, tls_server_context
    peer = Peer()
    host = peer_address()
    context = tls_server_context(tmp_path, "relay.provider.test")
    controller = CountingController(peer, hostname=host, port=465, ssl_context=context,
                                    authenticator=relay_authenticator, auth_require_tls=False)
    controller.start()
    try:
        dns_server.add("relay.provider.test", "A", host)
        (tmp_path / "relay.secret").write_text("relay-user:relay secret\n")
        os.chmod(tmp_path / "relay.secret", 0o600)
        server = relay_server(make_ternd, dns_server, f'relay smtps://relay.provider.test auth "{tmp_path}/relay.secret" '
                                                      f'ca "{tmp_path}/relay.provider.test.crt"')
        subjects = send_many(server, ["a@one.test"])
        assert wait_for(lambda: peer.subjects), server.log_text()[-3000:]
        subjects += send_many(server, ["b@two.test"], prefix="n")  # another domain, the same relay
        assert wait_for(lambda: sorted(peer.subjects) == sorted(subjects)), server.log_text()[-3000:]
        server.wait_log("reusing connection to relay.provider.test[")
        assert peer.carriers[0] is peer.carriers[1]
    finally:
        controller.stop()
