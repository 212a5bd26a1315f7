"""Mail from outside on port 25 is judged as receivers judge ours: SPF at MAIL FROM, DKIM and
DMARC at the end of the message, and an Authentication-Results field (RFC 8601) under our
Received field; fields that claim our authserv-id are removed. By default ternd only marks;
`spf reject` refuses an SPF fail at MAIL FROM (550 5.7.23) and `dmarc enforce` honours
p=reject (550 5.7.1) and p=quarantine (the Junk folder). DNS trouble while enforcing gives
451, never a permanent refusal. All zones come from a DNS server on 127.0.0.1."""
import base64
import smtplib
import subprocess
import time

import pytest

from conftest import BUILD
from dns_fixture import dns_server  # noqa: F401 (a fixture)

dkim = pytest.importorskip("dkim")


def txt(text):
    """A TXT value in zone-file form, split into strings of at most 255 octets."""
    return " ".join('"%s"' % text[i:i + 255] for i in range(0, len(text), 255))


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory):
    directory = tmp_path_factory.mktemp("key")
    private = directory / "key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return private.read_bytes(), base64.b64encode(der).decode()


@pytest.fixture
def zones(dns_server, rsa_key):  # noqa: F811 (the fixture)
    _, public = rsa_key
    dns = dns_server
    # sender.test: SPF and DKIM both pass and align; DMARC p=reject.
    dns.add("sender.test", "TXT", txt("v=spf1 ip4:127.0.0.0/8 -all"))
    dns.add("s1._domainkey.sender.test", "TXT", txt("v=DKIM1; k=rsa; p=" + public))
    dns.add("_dmarc.sender.test", "TXT", txt("v=DMARC1; p=reject"))
    # forged.test: only 192.0.2.1 may send; DMARC p=reject.
    dns.add("forged.test", "TXT", txt("v=spf1 ip4:192.0.2.1 -all"))
    dns.add("_dmarc.forged.test", "TXT", txt("v=DMARC1; p=reject"))
    # junk.test: nothing authorizes us; DMARC p=quarantine.
    dns.add("junk.test", "TXT", txt("v=spf1 ip4:192.0.2.1 -all"))
    dns.add("_dmarc.junk.test", "TXT", txt("v=DMARC1; p=quarantine"))
    # other.test: no SPF, no DMARC: a bystander envelope sender.
    dns.add("other.test", "A", "192.0.2.7")
    # broken.test: its DNS fails.
    dns.servfail("broken.test")
    dns.servfail("_dmarc.broken.test")
    return dns


def message(author, subject="hello", extra=b""):
    return (f"From: {author}\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
            f"Date: Sat, 28 Nov 2026 06:00:00 +0000\r\nMessage-ID: <{subject}@test>\r\n").encode() + extra + \
        b"\r\nHello Alice.\r\n"


def signed(rsa_key, body, domain="sender.test"):
    private, _ = rsa_key
    return dkim.sign(body, b"s1", domain.encode(), private, include_headers=[b"from", b"to", b"subject"]) + body


def server(make_ternd, zones, extra=""):
    return make_ternd(extra=f"resolver {zones.address}\n{extra}").start()


def send(ternd, sender, data):
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.ehlo("client.other.test")
        return client.sendmail(sender, ["alice@example.test"], data)


def results_field(stored):
    """Our Authentication-Results field, unfolded."""
    text = stored.decode()
    start = text.index("\nAuthentication-Results: mx.example.test;")
    end = start + 1
    while True:
        end = text.index("\n", end) + 1
        if text[end] not in " \t":
            break
    return " ".join(text[start + 1:end].split())


def test_aligned_mail_passes_everything_and_is_marked(make_ternd, zones, rsa_key):
    ternd = server(make_ternd, zones, "dmarc enforce\nspf reject")
    assert send(ternd, "alice@sender.test", signed(rsa_key, message("Alice <alice@sender.test>"))) == {}
    [stored] = ternd.messages("alice", wait_for=1)
    field = results_field(stored)
    assert "spf=pass" in field and "smtp.mailfrom=alice@sender.test" in field, field
    assert "dkim=pass" in field and "header.d=sender.test" in field and "header.s=s1" in field, field
    assert "dmarc=pass" in field and "header.from=sender.test" in field, field
    # RFC 8601 §5 placement: under our Received field, above the client's fields.
    lines = stored.split(b"\n")
    assert lines[1].startswith(b"Received: from ")
    ternd.wait_log("auth spf=pass dkim=1/1 dmarc=pass")


def test_forged_results_claiming_our_id_are_removed(make_ternd, zones, rsa_key):
    ternd = server(make_ternd, zones)
    forged = (b"Authentication-Results: mx.example.test; dkim=pass header.d=bank.test\r\n"
              b"Authentication-Results: MX.Example.Test (comment); spf=pass\r\n"
              b"Authentication-Results: relay.elsewhere.test; spf=pass\r\n")
    send(ternd, "alice@sender.test", message("Alice <alice@sender.test>", "forged", forged))
    [stored] = ternd.messages("alice", wait_for=1)
    assert stored.count(b"Authentication-Results: mx.example.test;") == 1
    assert b"header.d=bank.test" not in stored and b"MX.Example.Test" not in stored
    assert b"Authentication-Results: relay.elsewhere.test; spf=pass" in stored
    ternd.wait_log("forged_results_dropped=2")


def test_tampered_signature_fails_dkim(make_ternd, zones, rsa_key):
    ternd = server(make_ternd, zones)
    data = signed(rsa_key, message("Alice <alice@sender.test>", "tampered")).replace(b"Hello Alice.", b"Hello Eve.")
    send(ternd, "alice@sender.test", data)
    field = results_field(ternd.messages("alice", wait_for=1)[0])
    assert "dkim=fail" in field and "spf=pass" in field and "dmarc=pass" in field, field


def test_by_default_failures_are_only_marked(make_ternd, zones):
    ternd = server(make_ternd, zones)
    assert send(ternd, "ceo@forged.test", message("CEO <ceo@forged.test>", "marked")) == {}
    field = results_field(ternd.messages("alice", wait_for=1)[0])
    assert "spf=fail" in field and "dkim=none" in field and "dmarc=fail" in field, field
    assert "policy.dmarc=reject" in field, field


def test_spf_reject_refuses_a_fail_at_mail_from(make_ternd, zones):
    ternd = server(make_ternd, zones, "spf reject")
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.ehlo("client.other.test")
        code, text = client.mail("ceo@forged.test")
        assert (code, text[:6]) == (550, b"5.7.23"), text
        code, text = client.mail("alice@broken.test")
        assert (code, text[:6]) == (451, b"4.7.24"), text
        code, text = client.mail("alice@sender.test")
        assert code == 250, text
        client.rset()
    ternd.wait_log("reject: MAIL from=<ceo@forged.test> spf=fail")


def test_dmarc_enforce_rejects_quarantines_and_defers(make_ternd, zones):
    ternd = server(make_ternd, zones, "dmarc enforce")
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.ehlo("client.other.test")
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("bounce@other.test", ["alice@example.test"], message("CEO <ceo@forged.test>", "p1"))
        assert refused.value.smtp_code == 550 and refused.value.smtp_error.startswith(b"5.7.1 DMARC")
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            client.sendmail("bounce@other.test", ["alice@example.test"], message("a <a@broken.test>", "p2"))
        assert deferred.value.smtp_code == 451 and deferred.value.smtp_error.startswith(b"4.7.1 DMARC")
        assert client.sendmail("bounce@other.test", ["alice@example.test"], message("a <a@junk.test>", "p3")) == {}
    junk = ternd.maildir("alice") / ".Junk"
    for _ in range(100):
        if (junk / "new").is_dir() and list((junk / "new").iterdir()):
            break
        time.sleep(0.1)
    [stored] = [path.read_bytes() for path in (junk / "new").iterdir()]
    assert b"Subject: p3" in stored and "dmarc=fail" in results_field(stored)
    assert not (ternd.maildir("alice") / "new").exists() or not list((ternd.maildir("alice") / "new").iterdir())
    ternd.wait_log("quarantine")


def test_mail_from_trusted_clients_is_not_checked(make_ternd, zones):
    ternd = server(make_ternd, zones, "trusted 127.0.0.0/8")
    send(ternd, "ceo@forged.test", message("CEO <ceo@forged.test>", "trusted"))
    [stored] = ternd.messages("alice", wait_for=1)
    assert b"Authentication-Results:" not in stored
    assert zones.asked("forged.test", "TXT") == 0


def test_a_slow_dns_holds_only_its_own_session(make_ternd, zones):
    zones.slow("slow.test")  # never answers
    ternd = server(make_ternd, zones, "spf reject")
    waiting = smtplib.SMTP(ternd.host, ternd.port, timeout=30)
    waiting.ehlo("client.other.test")
    waiting.sock.sendall(b"MAIL FROM:<someone@slow.test>\r\n")  # its reply waits for SPF
    started = time.monotonic()
    assert send(ternd, "alice@sender.test", message("Alice <alice@sender.test>", "meanwhile")) == {}
    assert time.monotonic() - started < 5
    assert ternd.messages("alice", wait_for=1)
    waiting.sock.close()  # leaves with its check in flight: cancelled, nothing leaks
    ternd.wait_log("disconnect")


def test_tern_auth_prints_the_field_ternd_adds(make_ternd, zones, rsa_key):
    ternd = server(make_ternd, zones)
    data = signed(rsa_key, message("Alice <alice@sender.test>", "same"))
    send(ternd, "alice@sender.test", data)
    stored = ternd.messages("alice", wait_for=1)[0]
    result = subprocess.run([str(BUILD / "tern"), "auth", "--ip", "127.0.0.1", "--helo", "client.other.test",
                             "--sender", "alice@sender.test", "--authserv-id", "mx.example.test",
                             "--resolver", zones.address], input=data, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.decode()
    assert printed.startswith("Authentication-Results: mx.example.test;\n\t") and "\r" not in printed
    assert " ".join(printed.split()) == results_field(stored)


def test_client_leaving_during_the_checks_leaves_nothing_behind(make_ternd, zones):
    zones.slow("_dmarc.slowdmarc.test", 2)
    ternd = server(make_ternd, zones)
    client = smtplib.SMTP(ternd.host, ternd.port, timeout=30)
    client.ehlo("client.other.test")
    client.mail("alice@other.test")
    client.rcpt("alice@example.test")
    client.docmd("DATA")
    client.sock.sendall(message("x <x@slowdmarc.test>", "gone") + b".\r\n")
    client.sock.close()  # before the reply: the message was never acknowledged
    time.sleep(3)
    assert send(ternd, "alice@sender.test", message("Alice <alice@sender.test>", "after")) == {}
    [stored] = ternd.messages("alice", wait_for=1)
    assert b"Subject: after" in stored  # the unacknowledged one was not delivered
    assert not any(b"Subject: gone" in m for m in ternd.messages("alice"))
