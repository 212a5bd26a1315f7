"""The outbound SMTP client (src/smtp/client_session.c) through tests/drivers/client_session_driver,
against real peers on loopback: aiosmtpd with scripted handlers, Postfix's smtp-sink, ternd itself
(PIPELINING, CHUNKING, STARTTLS), and a raw scripted server for the misbehaviours aiosmtpd cannot
produce (a 4xx greeting, a stall before the greeting, malformed replies, EHLO refused, a broken
TLS handshake)."""
import asyncio
import itertools
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import BUILD, assert_clean_log, free_port, make_certificate

DRIVER = BUILD / "tests" / "client_session_driver"
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
_hosts = itertools.count(2)
_messages = itertools.count(1)

# Lines that start with dots, a lone "." inside, 8-bit text and a long line: all must arrive as sent.
MESSAGE = (b"From: sender@client.test\r\nTo: ok@peer.test\r\nSubject: dots\r\n\r\n"
           b".leading dot\r\n..two dots\r\n.\r\nmiddle\r\n. dot space\r\n"
           b"caf\xc3\xa9 8-bit\r\n" + b"x" * 900 + b"\r\nlast line\r\n")
FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def loopback():
    """A loopback address of its own (127.1.X.Y), away from the ones conftest hands to ternd."""
    return f"127.1.{os.getpid() % 250}.{next(_hosts) % 250 + 2}"


def parse(line):
    fields = {}
    for key, value in FIELD.findall(line):
        if value.startswith('"'):
            value = value[1:-1].encode("latin-1").decode("unicode_escape")
        fields[key] = value
    return fields


class Outcome:
    def __init__(self, stdout, stderr, elapsed):
        lines = stdout.splitlines()
        self.result = parse(lines[0])
        self.recipients = {}
        for line in lines[1:]:
            fields = parse(line)
            self.recipients[fields["rcpt"].strip("<>")] = fields
        self.log = stderr
        self.elapsed = elapsed

    def __getitem__(self, key):
        return self.result[key]

    def rcpt(self, address):
        return self.recipients[address]

    def sent_before_reply(self, command, reply_start):
        """Whether the log shows command sent before the first reply starting with reply_start."""
        sent = self.log.find(f'client > "{command}')
        received = self.log.find(f'client < "{reply_start}')
        return sent >= 0 and (received < 0 or sent < received)


@pytest.fixture
def deliver(tmp_path):
    def run(host, port, recipients, message=MESSAGE, tls="none", timeout=5, extra=(), sender="sender@client.test"):
        path = tmp_path / f"message{next(_messages)}"
        path.write_bytes(message)
        arguments = [str(DRIVER), "--connect", f"{host}:{port}", "--helo", "client.test", "--from", sender,
                     "--message", str(path), "--tls", tls, "--timeout", str(timeout), "--debug"]
        for recipient in recipients:
            arguments += ["--to", recipient]
        arguments += list(extra)
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        started = time.monotonic()
        process = subprocess.run(arguments, capture_output=True, timeout=120, env=env)
        stderr = process.stderr.decode(errors="replace")
        assert process.returncode == 0, stderr[-6000:]
        assert_clean_log(stderr)
        return Outcome(process.stdout.decode(), stderr, time.monotonic() - started)
    return run


# --- aiosmtpd peers ---------------------------------------------------------------------------

class Recorder:
    """Accepts everything and keeps what came; hooks change that per test."""

    def __init__(self, pipelining=False, refuse_mail=None, rcpt_replies=None, stall_rcpt=0, drop_after_data=False):
        self.pipelining = pipelining
        self.refuse_mail = refuse_mail
        self.rcpt_replies = rcpt_replies or {}
        self.stall_rcpt = stall_rcpt
        self.drop_after_data = drop_after_data
        self.messages = []
        self.mail_commands = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_commands.append((address, list(mail_options)))
        if self.refuse_mail:
            return self.refuse_mail
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall_rcpt:
            await asyncio.sleep(self.stall_rcpt)
        local = address.split("@")[0]
        if local in self.rcpt_replies:
            return self.rcpt_replies[local]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_after_data:
            server.transport.close()
            return "250 never sent"
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "options": list(envelope.mail_options), "content": envelope.original_content,
                              "tls": session.ssl is not None, "authenticated": session.authenticated})
        return "250 2.0.0 Ok: queued as 4711"


@pytest.fixture
def peer():
    started = []

    def start(handler, **options):
        host = loopback()
        port = free_port(host)
        controller = Controller(handler, hostname=host, port=port, server_hostname="peer.test", **options)
        controller.start()
        started.append(controller)
        return host, port

    yield start
    for controller in started:
        controller.stop()


def server_context(directory, name="mx.peer.test"):
    make_certificate(directory, name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(directory / f"{name}.crt"), str(directory / f"{name}.key"))
    return context


def test_accepts_all_and_content_arrives_byte_identical(peer, deliver):
    handler = Recorder()
    host, port = peer(handler)
    out = deliver(host, port, ["ok@peer.test", "second@peer.test"])
    assert out["outcome"] == "done" and out["stage"] == "quit", out.result
    assert out["reply"].startswith("250 2.0.0 Ok: queued") and out["code"] == "250"
    assert out["tls"] == "" and out["verified"] == "no"
    for address in ("ok@peer.test", "second@peer.test"):
        assert out.rcpt(address)["delivered"] == "yes"
        assert out.rcpt(address)["reply"] == "250 2.0.0 Ok: queued as 4711"
    [message] = handler.messages
    assert message["content"] == MESSAGE
    assert message["from"] == "sender@client.test"
    assert message["to"] == ["ok@peer.test", "second@peer.test"]
    assert "SIZE=%d" % len(MESSAGE) in message["options"]


def test_big_message_with_many_dot_lines(peer, deliver):
    handler = Recorder()
    host, port = peer(handler)
    line = b".dot line " + b"y" * 60 + b"\r\nplain " + b"z" * 60 + b"\r\n"
    message = b"Subject: big\r\n\r\n" + line * (4 * 1024 * 1024 // len(line))
    out = deliver(host, port, ["ok@peer.test"], message=message)
    assert out["outcome"] == "done" and out.rcpt("ok@peer.test")["delivered"] == "yes"
    assert handler.messages[0]["content"] == message


def test_missing_final_crlf_is_added_and_dots_stuffed(peer, deliver):
    handler = Recorder()
    host, port = peer(handler)
    out = deliver(host, port, ["ok@peer.test"], message=b"Subject: x\r\n\r\n.\r\n.end")
    assert out["outcome"] == "done"
    assert handler.messages[0]["content"] == b"Subject: x\r\n\r\n.\r\n.end\r\n"


def test_null_sender_and_8bitmime(peer, deliver):
    handler = Recorder()
    host, port = peer(handler)
    out = deliver(host, port, ["ok@peer.test"], sender="", extra=["--eightbit"])
    assert out["outcome"] == "done"
    assert handler.mail_commands[0][0] == "<>"
    assert "BODY=8BITMIME" in handler.mail_commands[0][1]


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelining"])
def test_per_recipient_replies(peer, deliver, pipelining):
    handler = Recorder(pipelining=pipelining, rcpt_replies={
        "grey": "450 4.2.0 <grey@peer.test>: greylisted", "nobody": "550 5.1.1 <nobody@peer.test>: unknown"})
    host, port = peer(handler)
    out = deliver(host, port, ["grey@peer.test", "ok@peer.test", "nobody@peer.test"])
    assert out["outcome"] == "done" and out["stage"] == "quit"
    grey, ok, nobody = out.rcpt("grey@peer.test"), out.rcpt("ok@peer.test"), out.rcpt("nobody@peer.test")
    assert (grey["delivered"], grey["code"], grey["reply"]) == ("no", "450", "450 4.2.0 <grey@peer.test>: greylisted")
    assert (nobody["delivered"], nobody["code"]) == ("no", "550")
    assert (ok["delivered"], ok["code"]) == ("yes", "250")
    assert handler.messages[0]["to"] == ["ok@peer.test"]
    assert handler.messages[0]["content"] == MESSAGE
    # RFC 2920: with PIPELINING, MAIL, every RCPT and DATA go out before the first reply is read.
    assert out.sent_before_reply("DATA", "250 2.1.0") == pipelining
    assert out.sent_before_reply("RCPT TO:<nobody@peer.test>", "250 2.1.0") == pipelining


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelining"])
def test_mail_refused_gives_every_recipient_that_reply(peer, deliver, pipelining):
    handler = Recorder(pipelining=pipelining, refuse_mail="550 5.7.1 sender refused")
    host, port = peer(handler)
    out = deliver(host, port, ["a@peer.test", "b@peer.test"])
    assert out["outcome"] == "done"
    for address in ("a@peer.test", "b@peer.test"):
        assert out.rcpt(address)["delivered"] == "no"
        assert out.rcpt(address)["reply"] == "550 5.7.1 sender refused"
    assert handler.messages == []


def test_temporary_mail_refusal(peer, deliver):
    host, port = peer(Recorder(refuse_mail="451 4.3.0 try again later"))
    out = deliver(host, port, ["a@peer.test"])
    assert out["outcome"] == "done"
    assert out.rcpt("a@peer.test")["code"] == "451"


def test_no_recipient_accepted_sends_no_data(peer, deliver):
    handler = Recorder(rcpt_replies={"a": "550 5.1.1 no", "b": "550 5.1.1 no"})
    host, port = peer(handler)
    out = deliver(host, port, ["a@peer.test", "b@peer.test"])
    assert out["outcome"] == "done"
    assert 'client > "DATA"' not in out.log
    assert handler.messages == []


def test_connection_dropped_after_data(peer, deliver):
    host, port = peer(Recorder(drop_after_data=True))
    out = deliver(host, port, ["ok@peer.test"])
    assert out["outcome"] == "protocol_failed" and out["stage"] == "data"
    assert out["code"] == "0" and out["reply"] == "connection lost after the end of data"
    assert out.rcpt("ok@peer.test")["delivered"] == "no"
    assert out.rcpt("ok@peer.test")["code"] == "0"


def test_stalled_server_times_out(peer, deliver):
    host, port = peer(Recorder(stall_rcpt=30))
    out = deliver(host, port, ["ok@peer.test"], timeout=2)
    assert out["outcome"] == "protocol_failed" and out["stage"] == "rcpt"
    assert out["code"] == "0" and out["reply"] == "timed out after RCPT TO"
    assert out.rcpt("ok@peer.test")["code"] == "0"
    assert out.elapsed < 15


def test_size_limit_smaller_than_message_sends_nothing(peer, deliver):
    handler = Recorder()
    host, port = peer(handler, data_size_limit=200)
    out = deliver(host, port, ["a@peer.test", "b@peer.test"])
    assert out["outcome"] == "done"
    for address in ("a@peer.test", "b@peer.test"):
        assert out.rcpt(address)["reply"] == "552 5.3.4 message size exceeds the server's SIZE limit"
        assert out.rcpt(address)["code"] == "552" and out.rcpt(address)["delivered"] == "no"
    assert handler.mail_commands == []


def test_smtputf8_needed_but_not_offered(peer, deliver):
    handler = Recorder()
    host, port = peer(handler, enable_SMTPUTF8=False)
    out = deliver(host, port, ["ok@peer.test"], extra=["--smtputf8"])
    assert out["outcome"] == "done"
    assert out.rcpt("ok@peer.test")["reply"] == "553 5.6.7 the receiving server does not support SMTPUTF8"
    assert handler.mail_commands == []


def test_smtputf8_offered_is_requested(peer, deliver):
    handler = Recorder()
    host, port = peer(handler)
    out = deliver(host, port, ["ok@peer.test"], extra=["--smtputf8"])
    assert out["outcome"] == "done" and out.rcpt("ok@peer.test")["delivered"] == "yes"
    assert "SMTPUTF8" in handler.mail_commands[0][1]


# --- TLS --------------------------------------------------------------------------------------

def test_starttls_opportunistic_self_signed(peer, deliver, tmp_path):
    handler = Recorder()
    host, port = peer(handler, tls_context=server_context(tmp_path))
    out = deliver(host, port, ["ok@peer.test"], tls="opportunistic", extra=["--host-name", "mx.peer.test"])
    assert out["outcome"] == "done", out.result
    assert re.fullmatch(r"TLS1\.[23] TLS_\w+", out["tls"]), out["tls"]
    assert out["verified"] == "no"
    assert handler.messages[0]["tls"] and handler.messages[0]["content"] == MESSAGE


@pytest.mark.parametrize("name,verified", [("mx.peer.test", "yes"), ("other.peer.test", "no")])
def test_starttls_opportunistic_records_what_verification_would_say(peer, deliver, tmp_path, name, verified):
    host, port = peer(Recorder(), tls_context=server_context(tmp_path))
    out = deliver(host, port, ["ok@peer.test"], tls="opportunistic",
                  extra=["--host-name", name, "--ca-file", str(tmp_path / "mx.peer.test.crt")])
    assert out["outcome"] == "done" and out["verified"] == verified, out.result


def test_starttls_required_verified_with_ca_file(peer, deliver, tmp_path):
    handler = Recorder()
    host, port = peer(handler, tls_context=server_context(tmp_path))
    out = deliver(host, port, ["ok@peer.test"], tls="required",
                  extra=["--host-name", "mx.peer.test", "--ca-file", str(tmp_path / "mx.peer.test.crt")])
    assert out["outcome"] == "done", out.result
    assert out["verified"] == "yes" and out["tls"].startswith("TLS1.")
    assert handler.messages[0]["tls"]


def test_starttls_required_wrong_host_name_fails(peer, deliver, tmp_path):
    handler = Recorder()
    host, port = peer(handler, tls_context=server_context(tmp_path))
    out = deliver(host, port, ["ok@peer.test"], tls="required",
                  extra=["--host-name", "other.peer.test", "--ca-file", str(tmp_path / "mx.peer.test.crt")])
    assert out["outcome"] == "tls_failed" and out["stage"] == "starttls", out.result
    assert "hostname mismatch" in out["reply"]
    assert handler.messages == [] and handler.mail_commands == []


def test_starttls_required_untrusted_certificate_fails(peer, deliver, tmp_path):
    host, port = peer(Recorder(), tls_context=server_context(tmp_path))
    other = tmp_path / "other"
    other.mkdir()
    make_certificate(other, "mx.peer.test")
    out = deliver(host, port, ["ok@peer.test"], tls="required",
                  extra=["--host-name", "mx.peer.test", "--ca-file", str(other / "mx.peer.test.crt")])
    assert out["outcome"] == "tls_failed" and "certificate verify failed" in out["reply"], out.result


def test_starttls_required_but_not_offered(peer, deliver):
    handler = Recorder()
    host, port = peer(handler)
    out = deliver(host, port, ["ok@peer.test"], tls="required", extra=["--host-name", "mx.peer.test"])
    assert out["outcome"] == "tls_failed" and out["stage"] == "starttls"
    assert out["reply"] == "STARTTLS not offered by the server" and out["code"] == "0"
    assert handler.mail_commands == []


def test_opportunistic_without_starttls_stays_plaintext(peer, deliver):
    handler = Recorder()
    host, port = peer(handler)
    out = deliver(host, port, ["ok@peer.test"], tls="opportunistic")
    assert out["outcome"] == "done" and out["tls"] == ""
    assert not handler.messages[0]["tls"]


def authenticator(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"relay-user", b"s3cret pass"), handled=False)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_on_implicit_tls(peer, deliver, tmp_path, mechanism):
    handler = Recorder()
    excluded = ["LOGIN"] if mechanism == "PLAIN" else ["PLAIN"]
    host, port = peer(handler, ssl_context=server_context(tmp_path), authenticator=authenticator,
                      auth_require_tls=False, auth_exclude_mechanism=excluded)
    out = deliver(host, port, ["ok@peer.test"], tls="implicit",
                  extra=["--host-name", "mx.peer.test", "--ca-file", str(tmp_path / "mx.peer.test.crt"),
                         "--auth-user", "relay-user", "--auth-password", "s3cret pass"])
    assert out["outcome"] == "done", out.result
    assert out["verified"] == "yes"
    assert handler.messages[0]["authenticated"] and handler.messages[0]["content"] == MESSAGE
    assert f'client > "AUTH {mechanism}' in out.log
    assert "s3cret" not in out.log and "czNjcmV0" not in out.log  # never the password, plain or base64


def test_auth_refused(peer, deliver, tmp_path):
    handler = Recorder()
    host, port = peer(handler, ssl_context=server_context(tmp_path), authenticator=authenticator,
                      auth_require_tls=False)
    out = deliver(host, port, ["ok@peer.test"], tls="implicit",
                  extra=["--host-name", "mx.peer.test", "--ca-file", str(tmp_path / "mx.peer.test.crt"),
                         "--auth-user", "relay-user", "--auth-password", "wrong"])
    assert out["outcome"] == "protocol_failed" and out["stage"] == "auth"
    assert out["code"] == "535", out.log
    assert handler.mail_commands == []


def test_auth_never_without_tls(peer, deliver):
    handler = Recorder()
    host, port = peer(handler, authenticator=authenticator, auth_require_tls=False)
    out = deliver(host, port, ["ok@peer.test"], extra=["--auth-user", "relay-user", "--auth-password", "pw"])
    assert out["outcome"] == "protocol_failed" and out["stage"] == "auth"
    assert out["code"] == "0"
    assert 'client > "AUTH' not in out.log


def test_implicit_tls_against_plaintext_server(peer, deliver):
    host, port = peer(Recorder())
    out = deliver(host, port, ["ok@peer.test"], tls="implicit", extra=["--host-name", "mx.peer.test"])
    assert out["outcome"] == "tls_failed" and out["stage"] == "connect", out.result


# --- a raw scripted server, for misbehaviour ------------------------------------------------------

class Scripted:
    """Accepts one connection and plays a script: ("send", bytes), ("expect", prefix) reads one
    line, ("data",) reads up to CRLF.CRLF, ("wait", seconds), ("close",)."""

    def __init__(self, script):
        self.host = loopback()
        self.listener = socket.create_server((self.host, 0))
        self.port = self.listener.getsockname()[1]
        self.script = script
        self.received = []
        self.errors = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.listener.settimeout(20)
        connection, _ = self.listener.accept()
        connection.settimeout(20)
        pending = b""
        try:
            for step in self.script:
                if step[0] == "send":
                    connection.sendall(step[1])
                elif step[0] == "expect":
                    while b"\r\n" not in pending:
                        chunk = connection.recv(65536)
                        if not chunk:
                            raise EOFError(f"closed while expecting {step[1]!r}")
                        pending += chunk
                    line, pending = pending.split(b"\r\n", 1)
                    self.received.append(line)
                    if not line.startswith(step[1]):
                        self.errors.append(f"expected {step[1]!r}, got {line!r}")
                elif step[0] == "data":
                    while b"\r\n.\r\n" not in pending:
                        pending += connection.recv(65536)
                    data, pending = pending.split(b"\r\n.\r\n", 1)
                    self.received.append(data + b"\r\n")
                elif step[0] == "wait":
                    time.sleep(step[1])
                elif step[0] == "close":
                    break
        except Exception as error:  # reported by check()
            self.errors.append(repr(error))
        finally:
            connection.close()
            self.listener.close()

    def check(self):
        self.thread.join(10)
        assert self.errors == []


def test_4xx_greeting(deliver):
    server = Scripted([("send", b"421 4.3.2 mx.peer.test busy, try later\r\n"), ("expect", b"QUIT"),
                       ("send", b"221 bye\r\n")])
    out = deliver(server.host, server.port, ["ok@peer.test"])
    assert out["outcome"] == "protocol_failed" and out["stage"] == "greeting"
    assert out["code"] == "421" and out["reply"] == "421 4.3.2 mx.peer.test busy, try later"
    assert out.rcpt("ok@peer.test")["code"] == "0"
    server.check()


def test_no_greeting_times_out(deliver):
    server = Scripted([("wait", 8)])
    out = deliver(server.host, server.port, ["ok@peer.test"], timeout=1)
    assert out["outcome"] == "protocol_failed" and out["stage"] == "greeting"
    assert out["reply"] == "timed out waiting for the greeting" and out.elapsed < 6


def test_server_that_stops_reading_times_out(deliver):
    """RFC 5321 §4.5.3.2.5: a block of data that cannot leave in time ends the session."""
    server = Scripted([
        ("send", b"220 peer.test\r\n"), ("expect", b"EHLO"), ("send", b"250 peer.test\r\n"),
        ("expect", b"MAIL"), ("send", b"250 ok\r\n"), ("expect", b"RCPT"), ("send", b"250 ok\r\n"),
        ("expect", b"DATA"), ("send", b"354 go\r\n"), ("wait", 12)])
    out = deliver(server.host, server.port, ["ok@peer.test"], message=(b"x" * 998 + b"\r\n") * 32000, timeout=2)
    assert out["outcome"] == "protocol_failed" and out["stage"] == "data", out.result
    assert out["reply"] == "timed out sending the message" and out.elapsed < 10


def test_ehlo_refused_falls_back_to_helo(deliver):
    server = Scripted([
        ("send", b"220 old.peer.test SMTP\r\n"), ("expect", b"EHLO client.test"),
        ("send", b"500 5.5.1 command not recognized\r\n"), ("expect", b"HELO client.test"),
        ("send", b"250 old.peer.test\r\n"), ("expect", b"MAIL FROM:<sender@client.test>"),
        ("send", b"250 ok\r\n"), ("expect", b"RCPT TO:<ok@peer.test>"), ("send", b"250 ok\r\n"),
        ("expect", b"DATA"), ("send", b"354 go\r\n"), ("data",), ("send", b"250 queued\r\n"),
        ("expect", b"QUIT"), ("send", b"221 bye\r\n")])
    out = deliver(server.host, server.port, ["ok@peer.test"])
    server.check()
    assert out["outcome"] == "done" and out.rcpt("ok@peer.test")["reply"] == "250 queued"
    assert server.received[2] == b"MAIL FROM:<sender@client.test>"  # no SIZE without EHLO
    assert server.received[5].replace(b"\r\n..", b"\r\n.") == MESSAGE


def test_multi_line_replies_and_pipelined_reply_burst(deliver):
    """Replies split over several lines, and pipelined replies arriving in one packet."""
    server = Scripted([
        ("send", b"220-peer.test first line\r\n220-second line\r\n220 ready\r\n"), ("expect", b"EHLO"),
        ("send", b"250-peer.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
        ("expect", b"MAIL"), ("expect", b"RCPT TO:<a@"), ("expect", b"RCPT TO:<b@"), ("expect", b"DATA"),
        ("send", b"250 ok\r\n250 ok\r\n550-5.1.1 b is\r\n550 5.1.1 unknown\r\n354 go\r\n"),
        ("data",), ("send", b"250-2.0.0 queued\r\n250 2.0.0 as 42\r\n"), ("expect", b"QUIT"), ("send", b"221 bye\r\n")])
    out = deliver(server.host, server.port, ["a@peer.test", "b@peer.test"])
    server.check()
    assert out["outcome"] == "done"
    assert out.rcpt("a@peer.test")["reply"] == "250 2.0.0 as 42" and out.rcpt("a@peer.test")["delivered"] == "yes"
    assert out.rcpt("b@peer.test")["reply"] == "550 5.1.1 unknown"


@pytest.mark.parametrize("reply,problem", [
    (b"250-peer.test\n250 ok\r\n", "bare LF in a reply after EHLO"),
    (b"250-peer.test\r\n251 ok\r\n", "malformed reply after EHLO"),
    (b"250 " + b"x" * 5000 + b"\r\n", "reply line over 4096 octets after EHLO"),
    (b"250 o\x00k\r\n", "NUL or bare CR in a reply after EHLO"),
    (b"hello\r\n", "malformed reply after EHLO"),
], ids=["bare-lf", "code-changes", "line-too-long", "nul", "no-code"])
def test_malformed_replies_fail_the_session(deliver, reply, problem):
    server = Scripted([("send", b"220 peer.test\r\n"), ("expect", b"EHLO"), ("send", reply), ("wait", 3)])
    out = deliver(server.host, server.port, ["ok@peer.test"])
    assert out["outcome"] == "protocol_failed" and out["stage"] == "ehlo"
    assert out["code"] == "0" and out["reply"] == problem


def test_broken_tls_handshake_after_starttls(deliver):
    server = Scripted([("send", b"220 peer.test\r\n"), ("expect", b"EHLO"),
                       ("send", b"250-peer.test\r\n250 STARTTLS\r\n"), ("expect", b"STARTTLS"),
                       ("send", b"220 go ahead\r\n"), ("wait", 0.5), ("send", b"this is not TLS\r\n"), ("close",)])
    out = deliver(server.host, server.port, ["ok@peer.test"], tls="opportunistic")
    assert out["outcome"] == "tls_failed" and out["stage"] == "starttls", out.result
    assert out["reply"].startswith("TLS handshake failed")


def test_plaintext_after_starttls_reply_is_discarded(deliver):
    """RFC 3207 §4.2: a server (or attacker) sending more after its 220 cannot inject replies."""
    server = Scripted([("send", b"220 peer.test\r\n"), ("expect", b"EHLO"),
                       ("send", b"250-peer.test\r\n250 STARTTLS\r\n"), ("expect", b"STARTTLS"),
                       ("send", b"220 go ahead\r\n250 injected\r\n"), ("wait", 2), ("close",)])
    out = deliver(server.host, server.port, ["ok@peer.test"], tls="opportunistic")
    assert "discarded 14 octets" in out.log
    assert out["outcome"] == "tls_failed"


def test_source_address_that_cannot_be_bound(deliver):
    host = loopback()
    out = deliver(host, free_port(host), ["ok@peer.test"], extra=["--source", "192.0.2.1"])
    assert out["outcome"] == "connect_failed" and out["reply"].startswith("bind: "), out.result


def test_connect_timeout(deliver):
    """A listener whose accept queue is full drops further SYNs: the connect never completes."""
    host = loopback()
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        fillers.append(filler)
    time.sleep(0.2)
    try:
        out = deliver(host, listener.getsockname()[1], ["ok@peer.test"], timeout=1)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    assert out["outcome"] == "connect_failed" and out["reply"] == "connect timed out", out.result
    assert out.elapsed < 6


def test_connect_refused(deliver):
    host = loopback()
    port = free_port(host)
    out = deliver(host, port, ["ok@peer.test"])
    assert out["outcome"] == "connect_failed" and out["stage"] == "connect"
    assert "refused" in out["reply"].lower()


# --- Postfix's smtp-sink and ternd: realistic peers ----------------------------------------------

@pytest.fixture
def smtp_sink():
    processes = []
    top = pathlib.Path(tempfile.mkdtemp(prefix="tern-smtp-sink-"))  # pytest's tmp_path is closed to postfix
    top.chmod(0o755)
    if not os.path.exists(SMTP_SINK) or os.geteuid() != 0:
        pytest.skip("smtp-sink needs Postfix and root (it drops to the postfix user)")

    def start(*options):
        host = loopback()
        port = free_port(host)
        dump = top / f"dump{len(processes)}"
        dump.mkdir()
        shutil.chown(dump, user="postfix")
        process = subprocess.Popen([SMTP_SINK, "-u", "postfix", "-d", f"{dump}/%Y%m%d%H%M%S.", *options,
                                    f"{host}:{port}", "100"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        processes.append(process)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection((host, port), timeout=1).close()
                return host, port, dump
            except OSError:
                time.sleep(0.05)
        raise AssertionError("smtp-sink did not start")

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)
    shutil.rmtree(top)


def sink_messages(dump, count=1):
    deadline = time.time() + 10
    while time.time() < deadline:
        files = sorted(dump.iterdir())
        if len(files) >= count:
            time.sleep(0.2)
            return [f.read_bytes() for f in files]
        time.sleep(0.05)
    raise AssertionError("smtp-sink dumped nothing")


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "no-pipelining"])
def test_smtp_sink(smtp_sink, deliver, pipelining):
    host, port, dump = smtp_sink(*([] if pipelining else ["-p"]))
    source = loopback()
    out = deliver(host, port, ["a@peer.test", "b@peer.test"], extra=["--source", source])
    assert out["outcome"] == "done" and out["stage"] == "quit", out.result
    assert all(out.rcpt(a)["delivered"] == "yes" for a in ("a@peer.test", "b@peer.test"))
    assert out.sent_before_reply("DATA", "250 2.1.0") == pipelining
    [dumped] = sink_messages(dump)
    assert f"X-Client-Addr: {source}\n".encode() in dumped  # bound to the source address
    assert b"X-Rcpt-Args: <a@peer.test>\nX-Rcpt-Args: <b@peer.test>\n" in dumped
    # smtp-sink stores LF line ends after its own headers; the body must match line for line.
    assert MESSAGE.replace(b"\r\n", b"\n") in dumped


def test_smtp_sink_refuses_rcpt_and_data(smtp_sink, deliver):
    host, port, _ = smtp_sink("-r", "RCPT")  # soft-bounce every RCPT (and drop PIPELINING)
    out = deliver(host, port, ["a@peer.test"])
    assert out["outcome"] == "done" and out.rcpt("a@peer.test")["code"] == "450"


def test_ternd_peer_bdat_pipelining_starttls(make_ternd, deliver):
    """ternd offers PIPELINING, CHUNKING and STARTTLS: the message goes as one BDAT LAST chunk."""
    mx = make_ternd(tls=True).start()
    out = deliver(mx.host, mx.port, ["alice@example.test", "nobody@example.test"], tls="required",
                  extra=["--host-name", "mx.example.test", "--ca-file", str(mx.dir / "mx.example.test.crt")])
    assert out["outcome"] == "done", out.result
    assert out["verified"] == "yes" and out["tls"].startswith("TLS1.")
    assert out.rcpt("alice@example.test")["delivered"] == "yes"
    assert out.rcpt("nobody@example.test")["code"].startswith("5")
    assert f'client > "BDAT {len(MESSAGE)} LAST"' in out.log
    assert 'client > "DATA"' not in out.log
    [stored] = mx.messages("alice", wait_for=1)
    assert stored.endswith(MESSAGE.replace(b"\r\n", b"\n"))  # Maildir files use LF
