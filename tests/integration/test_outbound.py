"""Outbound delivery end to end: ternd looks up MX records on a DNS server on 127.0.0.1 and
delivers to real SMTP servers (aiosmtpd, Postfix) listening on port 25 of other loopback
addresses; failures are retried, bounced as RFC 3464 DSNs, or expire."""
import email
import email.policy
import itertools
import os
import pathlib
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

import pytest
from aiosmtpd.controller import Controller

from conftest import ROOT
from dns_fixture import dns_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="receiving servers listen on port 25")
_hosts = itertools.count(10)


def peer_address():
    return f"127.0.{200 + os.getpid() % 50}.{next(_hosts) % 240 + 10}"


class Receiver:
    """An aiosmtpd handler: records what arrives; rcpt_reply(address, attempt) may refuse."""

    def __init__(self, rcpt_reply=None):
        self.rcpt_reply = rcpt_reply or (lambda address, attempt: None)
        self.messages = []
        self.attempts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.attempts += 1
        reply = self.rcpt_reply(address, self.attempts)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Ok: queued here"


@pytest.fixture
def receivers():
    started = []

    def start(handler):
        host = peer_address()
        controller = Controller(handler, hostname=host, port=25)
        controller.start()
        started.append(controller)
        return host

    yield start
    for controller in started:
        controller.stop()


def relay_server(make_ternd, dns, extra=""):
    return make_ternd(extra=f"resolver {dns.address}\ntrusted 127.0.0.0/8\n{extra}").start()


def send(server, sender, recipients, subject="outbound"):
    with smtplib.SMTP(server.host, server.port) as client:
        client.sendmail(sender, recipients, f"From: {sender}\r\nSubject: {subject}\r\n\r\nbody\r\n.dot line\r\n")


def submit_as_alice(server, recipient, *swaks_options):
    """alice's message to recipient, submitted to server over STARTTLS with AUTH by swaks, a
    real mail client: the swaks run (returncode, stdout)."""
    return subprocess.run(["swaks", "--server", server.host, "--port", str(server.submission_port), "--tls",
                           "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "alice-pass",
                           "--from", "alice@example.test", "--to", recipient, *swaks_options],
                          capture_output=True, text=True, timeout=60)


def wait_for(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_delivers_to_the_preferred_mx_with_our_received_header(make_ternd, dns_server, receivers):
    first, second = Receiver(), Receiver()
    dns_server.add("remote.test", "MX", "10 mx1.remote.test.", "20 mx2.remote.test.")
    dns_server.add("mx1.remote.test", "A", receivers(first))
    dns_server.add("mx2.remote.test", "A", receivers(second))
    server = relay_server(make_ternd, dns_server)
    send(server, "alice@example.test", ["friend@remote.test"])
    assert wait_for(lambda: first.messages)
    sender, recipients, content = first.messages[0]
    assert (sender, recipients) == ("alice@example.test", ["friend@remote.test"])
    assert content.startswith(b"Received: from ") and b"by mx.example.test (tern)" in content
    assert b"\r\n.dot line\r\n" in content  # dot-stuffing undone on the other side
    assert second.messages == []
    server.wait_log("status=sent (250 2.0.0 Ok: queued here)")
    server.wait_log("relay=mx1.remote.test[")
    assert wait_for(lambda: server.spooled() == [])


def test_falls_back_to_the_next_mx_when_the_first_refuses_connections(make_ternd, dns_server, receivers):
    second = Receiver()
    dns_server.add("remote.test", "MX", "10 mx1.remote.test.", "20 mx2.remote.test.")
    dns_server.add("mx1.remote.test", "A", peer_address())  # nothing listens there
    dns_server.add("mx2.remote.test", "A", receivers(second))
    server = relay_server(make_ternd, dns_server)
    send(server, "alice@example.test", ["friend@remote.test"])
    assert wait_for(lambda: second.messages)
    server.wait_log("relay=mx2.remote.test[")


def test_implicit_mx_is_the_domain_address(make_ternd, dns_server, receivers):
    receiver = Receiver()
    dns_server.add("plain.test", "A", receivers(receiver))
    server = relay_server(make_ternd, dns_server)
    send(server, "alice@example.test", ["someone@plain.test"])
    assert wait_for(lambda: receiver.messages)


def test_temporary_refusal_is_retried_and_then_delivered(make_ternd, dns_server, receivers):
    receiver = Receiver(lambda address, attempt: "451 4.3.0 try later" if attempt == 1 else None)
    dns_server.add("remote.test", "MX", "10 mx.remote.test.")
    dns_server.add("mx.remote.test", "A", receivers(receiver))
    server = relay_server(make_ternd, dns_server, "retry-interval 1s")
    send(server, "alice@example.test", ["friend@remote.test"])
    server.wait_log("status=deferred (451 4.3.0 try later)")
    assert wait_for(lambda: receiver.messages, timeout=15)
    assert len(receiver.messages) == 1
    assert wait_for(lambda: server.spooled() == [])


def dsn_of(stored):
    message = email.message_from_bytes(stored, policy=email.policy.default)
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    return message


def test_permanent_refusal_bounces_to_the_sender(make_ternd, dns_server, receivers):
    receiver = Receiver(lambda address, attempt: "550 5.1.1 <gone@remote.test>: no such user"
                        if address.startswith("gone") else None)
    dns_server.add("remote.test", "MX", "10 mx.remote.test.")
    dns_server.add("mx.remote.test", "A", receivers(receiver))
    server = relay_server(make_ternd, dns_server)
    send(server, "alice@example.test", ["gone@remote.test", "friend@remote.test"], subject="partly bounced")
    [bounce] = server.messages("alice", wait_for=1, timeout=20)
    assert bounce.startswith(b"Return-Path: <>\n")
    report = dsn_of(bounce)
    text = bounce.decode(errors="replace")
    assert "Final-Recipient: rfc822; gone@remote.test" in text and "Status: 5.1.1" in text
    assert "no such user" in text and "Subject: partly bounced" in text  # the original's headers
    assert text.count("Final-Recipient:") == 1  # friend@remote.test was delivered: not reported
    assert report["Auto-Submitted"] == "auto-replied"
    assert len(receiver.messages) == 1 and receiver.messages[0][1] == ["friend@remote.test"]


def test_null_mx_bounces_at_once(make_ternd, dns_server):
    dns_server.add("nomail.test", "MX", "0 .")
    server = relay_server(make_ternd, dns_server)
    send(server, "alice@example.test", ["x@nomail.test"])
    [bounce] = server.messages("alice", wait_for=1, timeout=20)
    assert b"Status: 5.1.10" in bounce


def test_dns_failure_defers_and_never_bounces(make_ternd, dns_server):
    dns_server.servfail("broken.test")
    server = relay_server(make_ternd, dns_server, "retry-interval 1s")
    send(server, "alice@example.test", ["x@broken.test"])
    server.wait_log("dsn=4.4.3 status=deferred")
    time.sleep(2.5)
    assert server.messages("alice") == []
    assert len(server.spooled()) == 1


def test_expired_message_bounces_with_the_last_error(make_ternd, dns_server, receivers):
    receiver = Receiver(lambda address, attempt: "451 4.3.0 still busy")
    dns_server.add("remote.test", "MX", "10 mx.remote.test.")
    dns_server.add("mx.remote.test", "A", receivers(receiver))
    server = relay_server(make_ternd, dns_server, "retry-interval 1s\nmax-queue-lifetime 3s")
    send(server, "alice@example.test", ["friend@remote.test"])
    [bounce] = server.messages("alice", wait_for=1, timeout=20)
    assert b"Status: 4.4.7" in bounce and b"still busy" in bounce
    assert wait_for(lambda: server.spooled() == [])
    assert receiver.attempts >= 2


def test_restart_mid_queue_delivers_exactly_once(make_ternd, dns_server, receivers):
    receiver = Receiver(lambda address, attempt: "451 4.3.0 not yet" if attempt == 1 else None)
    dns_server.add("remote.test", "MX", "10 mx.remote.test.")
    dns_server.add("mx.remote.test", "A", receivers(receiver))
    server = relay_server(make_ternd, dns_server, "retry-interval 1h")
    send(server, "alice@example.test", ["friend@remote.test"])
    server.wait_log("status=deferred (451 4.3.0 not yet)")
    server.kill()
    server.start()
    assert wait_for(lambda: receiver.messages)
    assert wait_for(lambda: server.spooled() == [])
    time.sleep(0.5)
    assert len(receiver.messages) == 1


def postfix_peer(directory, address, domain):
    subprocess.run([str(ROOT / "bench" / "postfix-peer.sh"), "start", str(directory), f"{address}:25", domain],
                   check=True, capture_output=True, timeout=60)

    def listening():
        try:
            socket.create_connection((address, 25), timeout=1).close()
            return True
        except OSError:
            return False
    assert wait_for(listening, timeout=20), (directory / "postfix.log").read_text(errors="replace")[-2000:]


def test_submission_to_ternd_then_delivery_into_postfix(make_ternd, dns_server):
    address = peer_address()
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="tern-postfix-", dir="/tmp"))  # postfix's user must reach it
    os.chmod(tmp_path, 0o755)
    postfix_peer(tmp_path / "postfix", address, "remote.test")
    try:
        dns_server.add("remote.test", "MX", "10 mx.remote.test.")
        dns_server.add("mx.remote.test", "A", address)
        server = make_ternd(extra=f"resolver {dns_server.address}", tls=True).start()
        result = submit_as_alice(server, "bob@remote.test", "--header", "Subject: through two MTAs")
        assert result.returncode == 0, result.stdout[-2000:]
        maildir = tmp_path / "postfix" / "mail" / "bob" / "Maildir" / "new"
        assert wait_for(lambda: maildir.exists() and any(maildir.iterdir()), timeout=30), server.log_text()[-3000:]
        stored = next(maildir.iterdir()).read_bytes()
        assert b"Subject: through two MTAs" in stored
        assert b"by mx.example.test (tern) with ESMTPSA" in stored  # our Received, kept by Postfix
        server.wait_log("status=sent")
    finally:
        subprocess.run([str(ROOT / "bench" / "postfix-peer.sh"), "stop", str(tmp_path / "postfix")],
                       capture_output=True, timeout=60)
        shutil.rmtree(tmp_path, ignore_errors=True)


def tls_server_context(directory, name):
    import ssl
    from conftest import make_certificate
    make_certificate(directory, name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(directory / f"{name}.crt"), str(directory / f"{name}.key"))
    return context


def relay_authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"relay-user", b"relay secret"),
                      handled=False)

def start_relay(make_ternd, dns_server, tmp_path, scheme, port, secret, extra=""):
    """An aiosmtpd smarthost on relay.provider.test (TLS, AUTH relay-user / "relay secret") and a
    ternd using it with the given credentials. Returns (server, receiver, relay address, controller)."""
    receiver = Receiver()
    host = peer_address()
    options = dict(authenticator=relay_authenticator, auth_require_tls=True)
    if scheme == "smtps":  # aiosmtpd does not count implicit TLS as TLS for auth_require_tls
        options.update(ssl_context=tls_server_context(tmp_path, "relay.provider.test"), auth_require_tls=False)
    else:
        options.update(tls_context=tls_server_context(tmp_path, "relay.provider.test"), require_starttls=True)
    controller = Controller(receiver, hostname=host, port=port, **options)
    controller.start()
    try:
        dns_server.add("relay.provider.test", "A", host)
        (tmp_path / "relay.secret").write_text(secret)
        os.chmod(tmp_path / "relay.secret", 0o600)
        server = relay_server(make_ternd, dns_server,
                              f'relay {scheme}://relay.provider.test:{port} auth "{tmp_path / "relay.secret"}" '
                              f'ca "{tmp_path / "relay.provider.test.crt"}" {extra}')
    except BaseException:
        controller.stop()
        raise
    return server, receiver, host, controller


@pytest.mark.parametrize("scheme,port", [("smtps", 465), ("smtp", 587)])
def test_smarthost_with_auth_over_465_and_587(make_ternd, dns_server, tmp_path, scheme, port):
    server, receiver, host, controller = start_relay(make_ternd, dns_server, tmp_path, scheme, port,
                                                     "relay-user:relay secret\n")
    try:
        send(server, "alice@example.test", ["friend@anywhere.test"])  # no DNS for anywhere.test: the relay decides
        assert wait_for(lambda: receiver.messages), server.log_text()[-3000:]
        assert receiver.messages[0][1] == ["friend@anywhere.test"]
        server.wait_log(f"relay=relay.provider.test[{host}]:{port}")
        server.wait_log("tls=TLS1.")
    finally:
        controller.stop()


def test_smarthost_with_wrong_password_defers(make_ternd, dns_server, tmp_path):
    server, receiver, host, controller = start_relay(make_ternd, dns_server, tmp_path, "smtps", 465,
                                                     "relay-user:not it\n")
    try:
        send(server, "alice@example.test", ["friend@anywhere.test"])
        server.wait_log("status=deferred")
        assert receiver.messages == [] and len(server.spooled()) == 1
        assert server.messages("alice") == []  # a relay's refusal of our login is not the recipient's fault
    finally:
        controller.stop()


# 1.2.3.4 only appears in DNS answers here: no test sends it a packet. (127/8 and the test
# networks have built-in reverse zones in libunbound, so they cannot stand in for it.)
def test_startup_warns_about_a_hostname_without_address_or_ptr(make_ternd, dns_server):
    dns_server.add("mx.example.test", "A", "127.0.0.9")
    server = make_ternd(extra=f"resolver {dns_server.address}\nsource-address 1.2.3.4").start()
    server.wait_log("hostname mx.example.test does not resolve to the outbound address 1.2.3.4")
    server.wait_log("outbound address 1.2.3.4 has no PTR record")


def test_startup_is_quiet_when_the_identity_is_right(make_ternd):
    from dns_server import DnsServer
    with DnsServer(zones=("test", "in-addr.arpa")) as dns:
        dns.add("mx.example.test", "A", "1.2.3.4")
        dns.add("4.3.2.1.in-addr.arpa", "PTR", "mx.example.test.")
        server = make_ternd(extra=f"resolver {dns.address}\nsource-address 1.2.3.4").start()
        time.sleep(1)
        server.stop()
        assert "PTR" not in server.log_text() and "does not resolve" not in server.log_text()


def test_blocked_port_25_switches_to_the_fallback_relay(make_ternd, dns_server, tmp_path):
    for name in ["one", "two", "three", "four"]:  # MX hosts where nothing answers on port 25
        dns_server.add(f"{name}.test", "MX", f"10 mx.{name}.test.")
        dns_server.add(f"mx.{name}.test", "A", peer_address())
    server, relay_receiver, host, controller = start_relay(make_ternd, dns_server, tmp_path, "smtps", 465,
                                                           "relay-user:relay secret\n",
                                                           "fallback\nretry-interval 1s")
    try:
        send(server, "alice@example.test", ["a@one.test", "b@two.test", "c@three.test"])
        server.wait_log("outbound port 25 looks blocked")
        send(server, "alice@example.test", ["d@four.test"])
        assert wait_for(lambda: len(relay_receiver.messages) >= 2, timeout=20), server.log_text()[-3000:]
        delivered = sorted(r for _, recipients, _ in relay_receiver.messages for r in recipients)
        assert "d@four.test" in delivered  # new mail goes through the relay at once
        assert wait_for(lambda: server.spooled() == [], timeout=20)  # and the deferred mail on its retry
        assert server.messages("alice") == []  # nothing bounced
    finally:
        controller.stop()


def test_delay_warning_is_sent_once(make_ternd, dns_server, receivers):
    receiver = Receiver(lambda address, attempt: "451 4.3.0 still busy")
    dns_server.add("remote.test", "MX", "10 mx.remote.test.")
    dns_server.add("mx.remote.test", "A", receivers(receiver))
    server = relay_server(make_ternd, dns_server, "retry-interval 1s\ndelay-warning 1s")
    send(server, "alice@example.test", ["friend@remote.test"])
    [warning] = server.messages("alice", wait_for=1, timeout=20)
    dsn_of(warning)
    assert b"Subject: Delayed Mail (still being retried)" in warning
    assert b"Action: delayed" in warning and b"Will-Retry-Until: " in warning and b"still busy" in warning
    assert wait_for(lambda: receiver.attempts >= 4, timeout=20)
    assert len(server.messages("alice")) == 1  # once, however many retries
    assert len(server.spooled()) == 1


class Staller(Receiver):
    """Takes its time over every recipient, like an overloaded or tarpitting server."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio
        await asyncio.sleep(4)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_stalled_remote_servers_do_not_hold_up_local_delivery(make_ternd, dns_server, receivers):
    staller = Staller()
    dns_server.add("slow.test", "MX", "10 mx.slow.test.")
    dns_server.add("mx.slow.test", "A", receivers(staller))
    server = relay_server(make_ternd, dns_server)
    for number in range(70):  # more than the remote lane's 64 slots
        send(server, "alice@example.test", [f"user{number}@slow.test"])
    started = time.time()
    send(server, "someone@remote.test", ["bob@example.test"], subject="local while remote stalls")
    assert server.messages("bob", wait_for=1, timeout=3), "local delivery waited for remote servers"
    assert time.time() - started < 3
    assert wait_for(lambda: len(staller.messages) == 70, timeout=60)
    assert wait_for(lambda: server.spooled() == [], timeout=10)


class Counter(Receiver):
    """Counts how many sessions are inside RCPT at the same moment."""

    def __init__(self):
        super().__init__()
        self.inside = 0
        self.most = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio
        self.inside += 1
        self.most = max(self.most, self.inside)
        await asyncio.sleep(1.5)
        self.inside -= 1
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_connections_per_destination_are_limited(make_ternd, dns_server, receivers):
    counter = Counter()
    dns_server.add("busy.test", "MX", "10 mx.busy.test.")
    dns_server.add("mx.busy.test", "A", receivers(counter))
    server = relay_server(make_ternd, dns_server)
    for number in range(30):
        send(server, "alice@example.test", [f"user{number}@busy.test"])
    assert wait_for(lambda: len(counter.messages) == 30, timeout=40)
    assert 10 <= counter.most <= 20, counter.most  # DESTINATION_CONNECTIONS_MAX
