"""`tern check DOMAIN` and `tern check --ip ADDR` (issue 6) against test zones served by a DNS
server on 127.0.0.1 (dns_server.py) and SMTP/HTTPS hosts on port 25/443 of 127.28.*.*: ternd
itself with TLS, a host with nothing listening, aiosmtpd without STARTTLS that accepts any
recipient (an open relay), aiosmtpd with an expired and with a nearly expired certificate, an
MTA-STS policy server (http.server + ssl), DNSBL zones of our own. Never the real internet:
every lookup goes to the test server (--resolver), every certificate is trusted through --ca."""
import datetime
import hashlib
import http.server
import json
import ssl
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import BUILD, make_certificate
from dns_server import DnsServer

TERN = BUILD / "tern"


@pytest.fixture
def dns():
    server = DnsServer(zones=("test", "in-addr.arpa")).start()
    yield server
    server.stop()


def certificate(directory, name, not_before, not_after):
    """A self-signed certificate for name valid from not_before to not_after (datetimes):
    DIR/NAME.crt and DIR/NAME.key. openssl req cannot make one already expired."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (directory / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                              serialization.PrivateFormat.PKCS8,
                                                              serialization.NoEncryption()))


def spki_sha256(path):
    """The TLSA 3 1 1 association data of a PEM certificate (RFC 6698 §2.1.2-2.1.3)."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


class OpenRelay:
    """aiosmtpd handler accepting every recipient; DATA must never come."""

    def __init__(self):
        self.rcpts = []
        self.data = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts.append(address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        self.data += 1
        return "250 2.0.0 Ok"


@pytest.fixture
def smtp_peers(tmp_path):
    started = []

    def start(host, handler=None, cert_name=None):
        options = {}
        if cert_name:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tmp_path / f"{cert_name}.crt"), str(tmp_path / f"{cert_name}.key"))
            options = {"tls_context": context, "require_starttls": False}
        controller = Controller(handler or OpenRelay(), hostname=host, port=25, server_hostname=host, **options)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


class PolicyServer:
    """HTTPS on host:443 serving path -> (status, content type, body)."""

    def __init__(self, directory, host, name, pages):
        make_certificate(directory, name)
        pages_ = pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, kind, body = pages_.get(self.path, (404, "text/plain", b"not here\n"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *arguments):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 443), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(directory / f"{name}.crt"), str(directory / f"{name}.key"))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def policy_server(tmp_path):
    started = []

    def start(host, name, pages):
        server = PolicyServer(tmp_path, host, name, pages)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def ca_bundle(directory, *names):
    bundle = directory / "ca.pem"
    bundle.write_text("".join((directory / f"{name}.crt").read_text() for name in names))
    return bundle


def tern_check(dns_server, *arguments, json_output=True, timeout=60):
    command = [str(TERN), "check", *arguments, "--resolver", dns_server.address, "--trust-anchor", "none"]
    if json_output:
        command.append("--json")
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - started
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, result.stderr
    assert not dns_server.errors
    if not json_output:
        return result.returncode, result.stdout, elapsed
    return result.returncode, json.loads(result.stdout), elapsed


def find(report, section, subject=None, status=None, why=""):
    """The findings of section (and subject, status) whose why contains the text."""
    return [f for f in report["findings"] if f["section"] == section and (subject is None or f["subject"] == subject)
            and (status is None or f["status"] == status) and why in f["why"]]


def one(report, section, subject, status, why):
    matches = find(report, section, subject, status, why)
    assert len(matches) == 1, json.dumps(report, indent=1)
    return matches[0]


# --- a good domain: ternd with TLS, MTA-STS enforce covering its MX, TLS-RPT ---------------------

POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n"


def good_auth(dns, domain, spf="v=spf1 mx -all"):
    """SPF and DMARC records that `tern check` finds no fault with (its SPF and DMARC sections)."""
    dns.add(domain, "TXT", f'"{spf}"')
    dns.add(f"_dmarc.{domain}", "TXT", f'"v=DMARC1; p=reject; rua=mailto:dmarc@{domain}"')


def test_good_domain_all_ok(dns, make_ternd, policy_server, tmp_path):
    ternd = make_ternd(tls=True, host="127.28.1.1", port=25).start()
    policy_server("127.28.1.2", "mta-sts.example.test", {"/.well-known/mta-sts.txt": (200, "text/plain", POLICY)})
    bundle = ca_bundle(tmp_path, "mta-sts.example.test")
    bundle.write_text(bundle.read_text() + (ternd.dir / "mx.example.test.crt").read_text())
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.28.1.1")
    dns.add("_mta-sts.example.test", "TXT", '"v=STSv1; id=20261128T0600;"')
    dns.add("mta-sts.example.test", "A", "127.28.1.2")
    dns.add("_smtp._tls.example.test", "TXT", '"v=TLSRPTv1; rua=mailto:tls-reports@example.test"')
    good_auth(dns, "example.test")
    status, report, elapsed = tern_check(dns, "example.test", "--ca", str(bundle))
    assert status == 0, json.dumps(report, indent=1)
    assert report["status"] == "ok" and report["target"] == "example.test"
    host = "mx.example.test [127.28.1.1]"
    one(report, "MX", "", "ok", "1 MX host")
    one(report, "MX", "mx.example.test", "ok", "resolves to 127.28.1.1")
    one(report, "SMTP", host, "ok", "accepts TCP on port 25")
    one(report, "SMTP", host, "ok", "greets with 220")
    one(report, "SMTP", host, "ok", "answers EHLO")
    one(report, "TLS", host, "ok", "STARTTLS: TLS")
    one(report, "TLS", host, "ok", "certificate verifies for mx.example.test")
    days = one(report, "TLS", host, "ok", "certificate valid for ")["why"].split()[3]
    assert days in ("29", "30"), days
    one(report, "Open relay", host, "ok", "refuses to relay")
    one(report, "DANE", "mx.example.test", "info", "no TLSA records")
    one(report, "MTA-STS", "", "ok", "record v=STSv1 with id 20261128T0600")
    one(report, "MTA-STS", "", "ok", "policy fetched from https://mta-sts.example.test/.well-known/mta-sts.txt")
    one(report, "MTA-STS", "", "ok", "mode enforce")
    one(report, "MTA-STS", "", "ok", "max_age 604800 seconds (7 days)")
    one(report, "MTA-STS", "mx.example.test", "ok", "covered by the policy's mx patterns")
    one(report, "TLS-RPT", "", "ok", "TLS-RPT record at _smtp._tls.example.test")
    assert "relay-test.invalid" in ternd.log_text()  # the relay test reached ternd's RCPT


def test_human_output_is_grouped_and_plain_when_piped(dns, make_ternd, tmp_path):
    ternd = make_ternd(tls=True, host="127.28.1.3", port=25).start()
    bundle = ternd.dir / "mx.example.test.crt"
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.28.1.3")
    good_auth(dns, "example.test")
    status, text, _ = tern_check(dns, "example.test", "--ca", str(bundle), json_output=False)
    assert status == 0, text
    assert "\033[" not in text  # no colour into a pipe
    lines = text.splitlines()
    assert lines[0] == "tern check example.test"
    for heading in ("MX", "SMTP", "TLS", "Open relay", "DANE", "MTA-STS", "TLS-RPT", "SPF", "DMARC", "DKIM"):
        assert heading in lines, text
    assert lines.index("MX") < lines.index("SMTP") < lines.index("TLS") < lines.index("MTA-STS")
    assert "  ok   mx.example.test [127.28.1.3]: greets with 220" in lines
    assert "  info mx.example.test: no TLSA records at _25._tcp.mx.example.test: DANE is not used" in lines
    assert any(line.startswith("       fix: optional: publish an MTA-STS policy") for line in lines), text
    assert lines[-1].startswith("ok: ") and "0 warnings, 0 failures" in lines[-1]


# --- a bad domain: every host wrong in its own way, checked at once ------------------------------

def test_bad_hosts_each_finding_and_all_probes_concurrent(dns, smtp_peers, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate(tmp_path, "expired.bad.test", now - datetime.timedelta(days=60), now - datetime.timedelta(days=1))
    certificate(tmp_path, "soon.bad.test", now - datetime.timedelta(days=60), now + datetime.timedelta(days=5))
    relay = OpenRelay()
    smtp_peers("127.28.2.2", relay)                            # no STARTTLS, open relay
    smtp_peers("127.28.2.3", cert_name="expired.bad.test")     # expired certificate
    smtp_peers("127.28.2.4", cert_name="soon.bad.test")        # expires in 5 days
    bundle = ca_bundle(tmp_path, "expired.bad.test", "soon.bad.test")
    dns.add("bad.test", "MX", "10 down.bad.test", "20 plain.bad.test", "30 expired.bad.test", "40 soon.bad.test",
            "50 alias.bad.test", "60 noaddress.bad.test", "70 192.0.2.1")
    dns.add("down.bad.test", "A", "127.28.2.1")  # nothing listens there
    dns.add("plain.bad.test", "A", "127.28.2.2")
    dns.add("expired.bad.test", "A", "127.28.2.3")
    dns.add("soon.bad.test", "A", "127.28.2.4")
    dns.add("alias.bad.test", "CNAME", "soon.bad.test")
    dns.add("noaddress.bad.test", "TXT", '"nothing"')
    status, report, elapsed = tern_check(dns, "bad.test", "--ca", str(bundle))
    assert status == 2 and report["status"] == "fail", json.dumps(report, indent=1)
    one(report, "MX", "192.0.2.1", "fail", "MX record names an IP address")
    one(report, "MX", "alias.bad.test", "fail", "is an alias (CNAME) of soon.bad.test")
    one(report, "MX", "noaddress.bad.test", "fail", "has no address: no A or AAAA records")
    one(report, "SMTP", "down.bad.test [127.28.2.1]", "fail", "does not accept TCP on port 25")
    assert not find(report, "SMTP", "down.bad.test [127.28.2.1]", "ok")
    plain = "plain.bad.test [127.28.2.2]"
    one(report, "SMTP", plain, "ok", "greets with 220")
    one(report, "TLS", plain, "warn", "STARTTLS not offered")
    one(report, "Open relay", plain, "fail", "OPEN RELAY: RCPT TO:<tern-relay-test@relay-test.invalid> was accepted")
    assert relay.rcpts == ["tern-relay-test@relay-test.invalid"] and relay.data == 0  # never DATA
    expired = "expired.bad.test [127.28.2.3]"
    one(report, "TLS", expired, "ok", "STARTTLS: TLS")
    one(report, "TLS", expired, "fail", "certificate does not verify for expired.bad.test: certificate has expired")
    one(report, "TLS", expired, "fail", "certificate expired")
    soon = "soon.bad.test [127.28.2.4]"
    one(report, "TLS", soon, "ok", "certificate verifies for soon.bad.test")
    assert one(report, "TLS", soon, "warn", "certificate expires in ")["why"].split()[3] in ("4", "5")
    one(report, "Open relay", soon, "fail", "OPEN RELAY")
    # The alias is still probed (senders follow it), under its own name: the certificate is not for it.
    one(report, "TLS", "alias.bad.test [127.28.2.4]", "fail", "certificate does not verify for alias.bad.test")
    print(f"tern check of 7 MX records, 5 probed hosts: {elapsed:.2f} s")
    assert elapsed < 10, elapsed  # six hosts, one probe each, all at once


class SilentHost:
    """Accepts TCP on host:25 and never says a word (a hung server, or a greeting far too slow);
    or, with greeting, says that line and nothing more."""

    def __init__(self, host, greeting=None):
        import socket
        self.greeting = greeting
        self.listener = socket.create_server((host, 25))
        self.connections = []
        self.stopping = False
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while not self.stopping:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            if self.greeting:
                connection.sendall(self.greeting)

    def stop(self):
        self.stopping = True
        self.listener.close()
        for connection in self.connections:
            connection.close()


def test_four_mx_two_silent_take_one_timeout_not_two(dns, make_ternd):
    """Probes run at once: two hung hosts cost one command timeout (15 s), not two."""
    ternd = make_ternd(tls=True, host="127.28.6.3", port=25).start()
    silent = [SilentHost("127.28.6.1"), SilentHost("127.28.6.2")]
    try:
        dns.add("slow.test", "MX", "10 hung1.slow.test", "20 hung2.slow.test", "30 mx.slow.test", "40 down.slow.test")
        dns.add("hung1.slow.test", "A", "127.28.6.1")
        dns.add("hung2.slow.test", "A", "127.28.6.2")
        dns.add("mx.slow.test", "A", "127.28.6.3")
        dns.add("down.slow.test", "A", "127.28.6.4")
        status, report, elapsed = tern_check(dns, "slow.test", "--ca", str(ternd.dir / "mx.example.test.crt"))
    finally:
        for host in silent:
            host.stop()
    print(f"tern check of 4 MX hosts, two of them hung: {elapsed:.2f} s")
    assert status == 2
    for host in ("hung1.slow.test [127.28.6.1]", "hung2.slow.test [127.28.6.2]"):
        one(report, "SMTP", host, "ok", "accepts TCP on port 25")
        one(report, "SMTP", host, "fail", "greeting was not 220: timed out waiting for the greeting")
    one(report, "SMTP", "mx.slow.test [127.28.6.3]", "ok", "answers EHLO")
    one(report, "TLS", "mx.slow.test [127.28.6.3]", "fail", "certificate does not verify for mx.slow.test")
    one(report, "SMTP", "down.slow.test [127.28.6.4]", "fail", "does not accept TCP on port 25")
    assert 14 < elapsed < 20, elapsed


class RefusesNullSender(OpenRelay):
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return "550 5.7.1 no bounces here" if address in ("", "<>") else "250 2.1.0 Ok"


def test_no_service_greeting_and_refused_null_sender(dns, smtp_peers):
    host = SilentHost("127.28.8.1", greeting=b"554 5.3.2 no service here\r\n")
    refusing = RefusesNullSender()
    smtp_peers("127.28.8.2", refusing)
    try:
        dns.add("odd.test", "MX", "10 closed.odd.test", "20 picky.odd.test")
        dns.add("closed.odd.test", "A", "127.28.8.1")
        dns.add("picky.odd.test", "A", "127.28.8.2")
        status, report, _ = tern_check(dns, "odd.test")
    finally:
        host.stop()
    assert status == 2
    one(report, "SMTP", "closed.odd.test [127.28.8.1]", "fail", "greeting was not 220: 554 5.3.2 no service here")
    assert not find(report, "SMTP", "closed.odd.test [127.28.8.1]", "ok", "EHLO")
    one(report, "Open relay", "picky.odd.test [127.28.8.2]", "warn", "not tested: MAIL FROM:<> was refused")
    assert refusing.rcpts == [] and refusing.data == 0


def test_null_mx_receives_no_mail(dns):
    dns.add("nomail.test", "MX", "0 .")
    good_auth(dns, "nomail.test", spf="v=spf1 -all")
    status, report, _ = tern_check(dns, "nomail.test")
    assert status == 0, report
    one(report, "MX", "", "ok", "null MX (RFC 7505): this domain receives no mail")
    assert not find(report, "SMTP")


def test_null_mx_among_others_fails(dns):
    dns.add("mixed.test", "MX", "0 .", "10 mx.mixed.test")
    dns.add("mx.mixed.test", "A", "127.28.9.9")
    status, report, _ = tern_check(dns, "mixed.test", "--no-probe")
    assert status == 2
    one(report, "MX", "", "fail", "a null MX (\".\") among other MX records")


def test_no_mx_is_implicit_mx_warning(dns):
    dns.add("implicit.test", "A", "127.28.9.9")
    status, report, _ = tern_check(dns, "implicit.test", "--no-probe")
    assert status == 1, report
    one(report, "MX", "", "warn", "no MX records: senders use the domain's own address as an implicit MX")
    one(report, "MX", "implicit.test", "ok", "resolves to 127.28.9.9")


def test_nonexistent_domain_fails(dns):
    status, report, _ = tern_check(dns, "nowhere.test", "--no-probe")
    assert status == 2
    one(report, "MX", "", "fail", "nowhere.test does not exist (NXDOMAIN)")


# --- MTA-STS gone wrong ----------------------------------------------------------------------

def sts_domain(dns, domain, policy_host_address, *records):
    dns.add(domain, "MX", f"10 mx1.{domain}", f"20 mx2.{domain}")
    dns.add(f"mx1.{domain}", "A", "127.28.9.9")
    dns.add(f"mx2.{domain}", "A", "127.28.9.9")
    dns.add(f"_mta-sts.{domain}", "TXT", *(records or ('"v=STSv1; id=1"',)))
    dns.add(f"mta-sts.{domain}", "A", policy_host_address)


def test_mta_sts_testing_mode_and_uncovered_mx(dns, policy_server, tmp_path):
    policy = b"version: STSv1\nmode: testing\nmx: mx1.sts.test\nmax_age: 3600\n"
    policy_server("127.28.4.1", "mta-sts.sts.test", {"/.well-known/mta-sts.txt": (200, "text/plain", policy)})
    sts_domain(dns, "sts.test", "127.28.4.1")
    status, report, _ = tern_check(dns, "sts.test", "--no-probe", "--ca", str(tmp_path / "mta-sts.sts.test.crt"))
    assert status == 1, json.dumps(report, indent=1)
    one(report, "MTA-STS", "", "warn", "mode testing")
    one(report, "MTA-STS", "", "warn", "max_age 3600 seconds")
    one(report, "MTA-STS", "mx1.sts.test", "ok", "covered")
    one(report, "MTA-STS", "mx2.sts.test", "warn", "not covered by the policy's mx patterns")


def test_mta_sts_enforce_wildcard_and_uncovered_host_fails(dns, policy_server, tmp_path):
    policy = b"version: STSv1\nmode: enforce\nmx: *.wild.test\nmax_age: 86400\n"
    policy_server("127.28.4.2", "mta-sts.wild.test", {"/.well-known/mta-sts.txt": (200, "text/plain", policy)})
    sts_domain(dns, "wild.test", "127.28.4.2")
    dns.add("wild.test", "MX", "30 deep.mx3.wild.test")
    dns.add("deep.mx3.wild.test", "A", "127.28.9.9")
    status, report, _ = tern_check(dns, "wild.test", "--no-probe", "--ca", str(tmp_path / "mta-sts.wild.test.crt"))
    assert status == 2, json.dumps(report, indent=1)
    one(report, "MTA-STS", "mx1.wild.test", "ok", "covered")
    one(report, "MTA-STS", "mx2.wild.test", "ok", "covered")
    one(report, "MTA-STS", "deep.mx3.wild.test", "fail", "senders that enforce MTA-STS will not deliver to it")


def test_mta_sts_policy_missing_wrong_type_and_untrusted(dns, policy_server, tmp_path):
    policy_server("127.28.4.3", "mta-sts.gone.test", {})
    sts_domain(dns, "gone.test", "127.28.4.3")
    status, report, _ = tern_check(dns, "gone.test", "--no-probe", "--ca", str(tmp_path / "mta-sts.gone.test.crt"))
    assert status == 2
    one(report, "MTA-STS", "", "fail", "answered HTTP 404")
    policy_server("127.28.4.4", "mta-sts.html.test",
                  {"/.well-known/mta-sts.txt": (200, "text/html", b"<html>version: STSv1</html>")})
    sts_domain(dns, "html.test", "127.28.4.4")
    status, report, _ = tern_check(dns, "html.test", "--no-probe", "--ca", str(tmp_path / "mta-sts.html.test.crt"))
    one(report, "MTA-STS", "", "fail", "not text/plain")
    status, report, _ = tern_check(dns, "html.test", "--no-probe", "--ca", str(tmp_path / "mta-sts.gone.test.crt"))
    one(report, "MTA-STS", "", "fail", "cannot fetch https://mta-sts.html.test/.well-known/mta-sts.txt")


def test_mta_sts_record_problems(dns):
    sts_domain(dns, "two.test", "127.28.9.9", '"v=STSv1; id=1"', '"v=STSv1; id=2"')
    status, report, _ = tern_check(dns, "two.test", "--no-probe")
    one(report, "MTA-STS", "", "fail", "2 MTA-STS records")
    sts_domain(dns, "noid.test", "127.28.9.9", '"v=STSv1; policy=x"')
    status, report, _ = tern_check(dns, "noid.test", "--no-probe")
    one(report, "MTA-STS", "", "fail", "has no valid id")
    dns.add("_smtp._tls.noid.test", "TXT", '"v=TLSRPTv1; rua=ftp://x"')
    status, report, _ = tern_check(dns, "noid.test", "--no-probe")
    one(report, "TLS-RPT", "", "fail", "an invalid TLS-RPT record")


# --- DANE, with an unsigned zone: matching works, and the answer is reported not validated ----

def test_dane_tlsa_match_and_mismatch_unsigned(dns, make_ternd):
    ternd = make_ternd(tls=True, host="127.28.5.1", port=25).start()
    cert = ternd.dir / "mx.example.test.crt"
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.28.5.1")
    dns.add("_25._tcp.mx.example.test", "TLSA", f"3 1 1 {spki_sha256(cert)}")
    status, report, _ = tern_check(dns, "example.test", "--ca", str(cert))
    assert status == 1, json.dumps(report, indent=1)
    one(report, "DANE", "mx.example.test", "warn", "1 TLSA record at _25._tcp.mx.example.test, but the answer is "
                                                   "not DNSSEC-validated")
    one(report, "DANE", "mx.example.test [127.28.5.1]", "ok", "the certificate matches one of 1 usable TLSA record")
    dns.remove("_25._tcp.mx.example.test")
    dns.add("_25._tcp.mx.example.test", "TLSA", "3 1 1 " + "00" * 32, "1 1 1 " + "11" * 32)
    status, report, _ = tern_check(dns, "example.test", "--ca", str(cert))
    assert status == 2
    one(report, "DANE", "mx.example.test [127.28.5.1]", "fail", "matches none of 1 usable TLSA record")


# --- a sending IP --------------------------------------------------------------------------------

# Sending addresses come from 198.18.0.0/15 (RFC 2544): libunbound answers the reverse zones of
# loopback, private and documentation ranges itself (RFC 6303), so their PTRs never reach the
# test server. Nothing connects to these addresses; only names are looked up.

def ip_zone(dns):
    dns.add("5.3.18.198.in-addr.arpa", "PTR", "mail.example.test.")
    dns.add("mail.example.test", "A", "198.18.3.5")
    dns.add("6.3.18.198.in-addr.arpa", "PTR", "dsl-198-18-3-6.pool.example.test.")
    dns.add("dsl-198-18-3-6.pool.example.test", "A", "198.18.3.6")
    dns.add("7.3.18.198.in-addr.arpa", "PTR", "elsewhere.example.test.")
    dns.add("elsewhere.example.test", "A", "198.18.3.99")
    dns.add("6.3.18.198.bl.test", "A", "127.0.0.2")
    dns.add("6.3.18.198.bl.test", "TXT", '"listed for testing"')
    dns.add("5.3.18.198.refusing.test", "A", "127.255.255.254")
    dns.add("refusing.test", "TXT", '"a zone"')
    dns.add("bl.test", "TXT", '"a zone"')


def test_ip_good_sender(dns):
    ip_zone(dns)
    status, report, _ = tern_check(dns, "--ip", "198.18.3.5", "--helo", "mail.example.test", "--dnsbl", "bl.test")
    assert status == 0, json.dumps(report, indent=1)
    one(report, "Reverse DNS", "", "ok", "PTR: 198.18.3.5 -> mail.example.test")
    one(report, "Reverse DNS", "mail.example.test", "ok", "forward-confirmed")
    one(report, "Reverse DNS", "mail.example.test", "ok", "does not look dynamic")
    one(report, "Reverse DNS", "HELO", "ok", "HELO name mail.example.test matches the PTR name")
    one(report, "DNSBL", "bl.test", "ok", "not listed")
    assert not find(report, "Inbound SMTP")


def test_ip_dynamic_listed_and_helo_mismatch(dns):
    ip_zone(dns)
    status, report, _ = tern_check(dns, "--ip", "198.18.3.6", "--helo", "mail.example.test", "--dnsbl", "bl.test")
    assert status == 2, json.dumps(report, indent=1)
    name = "dsl-198-18-3-6.pool.example.test"
    one(report, "Reverse DNS", name, "ok", "forward-confirmed")
    one(report, "Reverse DNS", name, "warn", "looks like a dynamic/residential name: the address 198.18.3.6")
    one(report, "Reverse DNS", "HELO", "warn", "HELO name mail.example.test is not the PTR name " + name)
    one(report, "DNSBL", "bl.test", "fail", "198.18.3.6 is listed: 127.0.0.2")


def test_ip_no_ptr_unconfirmed_refused_query_and_explain(dns):
    ip_zone(dns)
    status, report, _ = tern_check(dns, "--ip", "198.18.3.8", "--dnsbl", "bl.test", "--explain")
    assert status == 2
    one(report, "Reverse DNS", "", "fail", "198.18.3.8 has no PTR record")
    explained = find(report, "Inbound SMTP", "", "info")
    assert len(explained) == 2 and "need not accept inbound SMTP" in explained[0]["why"]
    status, report, _ = tern_check(dns, "--ip", "198.18.3.7", "--dnsbl", "bl.test")
    one(report, "Reverse DNS", "elsewhere.example.test", "fail", "not forward-confirmed")
    status, report, _ = tern_check(dns, "--ip", "198.18.3.5", "--dnsbl", "refusing.test", "--dnsbl", "bl.test")
    assert status == 1
    one(report, "DNSBL", "refusing.test", "warn", "no verdict: 127.255.255.254, queries through a public")
    one(report, "DNSBL", "bl.test", "ok", "not listed")


def test_usage_errors_exit_2(dns):
    for arguments in ([], ["--ip", "not-an-address", "--dnsbl", "bl.test"], ["a.test", "b.test"],
                      ["a.test", "--port", "0"], ["bad domain.test"], ["[192.0.2.1]"]):
        result = subprocess.run([str(TERN), "check", *arguments, "--resolver", dns.address, "--trust-anchor", "none"],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and result.stdout == "", (arguments, result.stdout, result.stderr)


def test_dane_dnssec_signed_tlsa_is_validated(tmp_path, make_ternd):
    """A DNSSEC-signed zone (dns_server.sign_zone, trust anchor at its apex): the TLSA answer
    is secure, and the certificate matches it."""
    server = DnsServer(zones=("test", "dane.test")).start()
    try:
        anchor = tmp_path / "dane.test.key"
        anchor.write_text(server.sign_zone("dane.test") + "\n")
        ternd = make_ternd(tls=True, host="127.28.7.1", port=25).start()
        cert = ternd.dir / "mx.example.test.crt"
        server.add("example.test", "MX", "10 mx.dane.test")
        server.add("mx.dane.test", "A", "127.28.7.1")
        server.add("_25._tcp.mx.dane.test", "TLSA", f"3 1 1 {spki_sha256(cert)}")
        result = subprocess.run([str(TERN), "check", "example.test", "--resolver", server.address, "--trust-anchor",
                                 str(anchor), "--ca", str(cert), "--json"], capture_output=True, text=True, timeout=60)
        assert "Sanitizer" not in result.stderr, result.stderr
        report = json.loads(result.stdout)
        assert not server.errors, server.errors
    finally:
        server.stop()
    one(report, "MX", "mx.dane.test", "ok", "resolves to 127.28.7.1")
    one(report, "DANE", "mx.dane.test", "ok", "1 TLSA record at _25._tcp.mx.dane.test, DNSSEC-validated")
    one(report, "DANE", "mx.dane.test [127.28.7.1]", "ok", "the certificate matches one of 1 usable TLSA record")
    # DANE-EE needs no name (RFC 7672 §3.1.1); WebPKI senders still want one: both are said.
    one(report, "TLS", "mx.dane.test [127.28.7.1]", "fail", "certificate does not verify for mx.dane.test")
