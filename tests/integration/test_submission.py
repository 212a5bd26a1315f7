"""TLS (STARTTLS on 25 and 587, implicit on 465) and AUTH for submission, with real clients."""
import base64
import shutil
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from conftest import make_certificate

MESSAGE = "From: alice@example.test\r\nSubject: submitted\r\n\r\nhello\r\n"


def tls_context(server):
    context = ssl.create_default_context(cafile=str(server.dir / "mx.example.test.crt"))
    context.check_hostname = False  # we connect by IP address; the chain itself is verified
    return context


@pytest.fixture
def mx(make_ternd):
    return make_ternd(tls=True).start()


def submit(server, port, user="alice", password="alice-pass", implicit=False):
    if implicit:
        client = smtplib.SMTP_SSL(server.host, port, context=tls_context(server))
    else:
        client = smtplib.SMTP(server.host, port)
        client.starttls(context=tls_context(server))
    client.login(user, password)
    return client


def test_starttls_on_port_25_then_delivery_records_tls(mx):
    with smtplib.SMTP(mx.host, mx.port) as client:
        client.ehlo("client.test")
        assert client.has_extn("starttls") and not client.has_extn("auth")
        client.starttls(context=tls_context(mx))
        client.ehlo("client.test")
        assert not client.has_extn("starttls") and not client.has_extn("auth")  # AUTH is for 587/465
        client.sendmail("s@remote.test", ["alice@example.test"], "Subject: tls\r\n\r\nx\r\n")
    [stored] = mx.messages("alice", wait_for=1)
    assert b"with ESMTPS id " in stored and b"(using TLS1.3 " in stored
    mx.wait_log("tls TLS1.3")


def test_submission_requires_tls_before_mail_and_auth(mx):
    client = mx.connect(port=mx.submission_port)
    client.reply()
    ehlo = client.command("EHLO client.test")
    assert "STARTTLS" in ehlo and "AUTH" not in ehlo
    assert client.command("AUTH PLAIN " + base64.b64encode(b"\0alice\0alice-pass").decode()).startswith("530 5.7.0")
    assert client.command("MAIL FROM:<alice@example.test>").startswith("530 5.7.0")


def test_submission_after_tls_requires_auth(mx):
    with smtplib.SMTP(mx.host, mx.submission_port) as client:
        client.starttls(context=tls_context(mx))
        client.ehlo("client.test")
        assert "PLAIN" in client.esmtp_features["auth"] and "LOGIN" in client.esmtp_features["auth"]
        code, text = client.mail("alice@example.test")
        assert (code, text[:5]) == (530, b"5.7.0")


def test_auth_plain_on_587_relays_and_marks_esmtpsa(mx):
    with submit(mx, mx.submission_port) as client:
        refused = client.sendmail("alice@example.test", ["friend@remote.test", "bob@example.test"], MESSAGE)
    assert refused == {}
    [stored] = mx.messages("bob", wait_for=1)
    assert b"with ESMTPSA id " in stored
    mx.wait_log("auth ok user=alice@example.test")
    mx.wait_log("dsn=4.4.3 status=deferred")
    assert len(mx.spooled()) == 1


def test_auth_login_on_465_implicit_tls(mx):
    with smtplib.SMTP_SSL(mx.host, mx.submissions_port, context=tls_context(mx)) as client:
        client.ehlo("client.test")
        client.user, client.password = "alice", "alice-pass"
        code, _ = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
        assert code == 235
        client.sendmail("alice+list@example.test", ["bob@example.test"], MESSAGE)
    assert len(mx.messages("bob", wait_for=1)) == 1


def test_wrong_password_and_unknown_user_look_the_same_and_slow_down(mx):
    replies, delays = [], []
    for user, password in [("alice", "Tr0ub4dor-9x"), ("nobody", "Tr0ub4dor-9x"), ("alice", "Tr0ub4dor-9y")]:
        with smtplib.SMTP(mx.host, mx.submission_port) as client:
            client.starttls(context=tls_context(mx))
            client.ehlo("client.test")
            started = time.time()
            code, text = client.docmd("AUTH", "PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode())
            delays.append(time.time() - started)
            replies.append((code, text))
    assert replies == [(535, b"5.7.8 Authentication credentials invalid")] * 3
    assert delays[1] >= 0.9 and delays[2] >= 1.9, delays  # the delay grows per client address
    assert mx.log_text().count("auth failed") == 3
    assert "Tr0ub4dor" not in mx.log_text()  # passwords never reach the log


def test_authenticated_user_may_only_send_as_own_addresses(mx):
    with submit(mx, mx.submission_port) as client:
        for sender in ["alice@example.test", "Alice+news@example.test", "postmaster@example.test", ""]:
            assert client.mail(sender)[0] == 250, sender
            client.rset()
        for sender in ["bob@example.test", "alice@remote.test", "team@example.test"]:
            code, text = client.mail(sender)
            if sender == "team@example.test":  # an alias that includes alice is hers too
                assert code == 250
            else:
                assert (code, text[:5]) == (553, b"5.7.1"), sender
            client.rset()


def test_starttls_injection_pipelined_command_is_discarded(mx):
    raw = socket.create_connection((mx.host, mx.port), timeout=10)
    reader = raw.makefile("rb")
    assert reader.readline().startswith(b"220 ")
    raw.sendall(b"EHLO client.test\r\n")
    while not reader.readline().startswith(b"250 "):
        pass
    raw.sendall(b"STARTTLS\r\nMAIL FROM:<injected@remote.test>\r\n")
    assert reader.readline().startswith(b"220 2.0.0")
    tls = tls_context(mx).wrap_socket(raw, server_hostname="mx.example.test")
    reader = tls.makefile("rb")
    tls.sendall(b"EHLO client.test\r\n")
    first = reader.readline()
    assert first.startswith(b"250-mx.example.test"), first  # not the reply to the injected MAIL
    while not first.startswith(b"250 "):
        first = reader.readline()
    tls.sendall(b"RCPT TO:<alice@example.test>\r\n")
    assert reader.readline().startswith(b"503 5.5.1")  # no MAIL happened inside TLS
    mx.wait_log("discarded 34 octets pipelined after STARTTLS")


def test_old_tls_versions_are_refused(mx):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        with socket.create_connection((mx.host, mx.submissions_port), timeout=10) as raw:
            with context.wrap_socket(raw) as tls:
                tls.recv(100)


def test_sni_picks_the_matching_certificate(make_ternd):
    server = make_ternd(tls=True)
    make_certificate(server.dir, "mail.other.test")
    server.config.write_text(server.config.read_text().replace(
        "tls cert", 'tls cert "mail.other.test.crt" key "mail.other.test.key"\ntls cert', 1))
    server.start()
    names = {}
    for requested in ["mail.other.test", "mx.example.test", "unknown.test"]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with socket.create_connection((server.host, server.submissions_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=requested) as tls:
                der = tls.getpeercert(binary_form=True)
                names[requested] = ssl.DER_cert_to_PEM_cert(der)
    assert names["mail.other.test"] != names["mx.example.test"]
    assert names["unknown.test"] == names["mail.other.test"]  # the first certificate is the default


def test_sighup_picks_up_a_renewed_certificate(mx):
    def certificate():
        context = tls_context(mx)
        with socket.create_connection((mx.host, mx.submissions_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="mx.example.test") as tls:
                return tls.getpeercert(binary_form=True)
    old_session = submit(mx, mx.submission_port)
    before = certificate()
    make_certificate(mx.dir, "mx.example.test")  # "renewed": a new key and certificate
    mx.process.send_signal(1)
    mx.wait_log("reloaded")
    context = ssl.create_default_context(cafile=str(mx.dir / "mx.example.test.crt"))
    context.check_hostname = False
    with socket.create_connection((mx.host, mx.submissions_port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="mx.example.test") as tls:
            after = tls.getpeercert(binary_form=True)
    assert before != after
    assert old_session.noop()[0] == 250  # the session from before the reload is still served
    old_session.quit()


def test_openssl_s_client_starttls(mx):
    # s_client sends its input as soon as it reads it: pace it like a person typing.
    script = ("(sleep 1; printf 'EHLO client.test\\n'; sleep 1; printf 'QUIT\\n'; sleep 1) | "
              f"openssl s_client -starttls smtp -crlf -connect {mx.host}:{mx.port} -servername mx.example.test "
              f"-CAfile {mx.dir / 'mx.example.test.crt'} -verify_return_error -quiet")
    result = subprocess.run(["bash", "-c", script], capture_output=True, timeout=30)
    output = result.stdout.decode(errors="replace")
    assert "verify return:1" in result.stderr.decode(errors="replace"), result.stderr[-2000:]
    assert "250-mx.example.test" in output and "221 2.0.0" in output


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_swaks_tls_and_auth(mx):
    result = subprocess.run(["swaks", "--server", mx.host, "--port", str(mx.submission_port), "--tls",
                             "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "alice-pass",
                             "--from", "alice@example.test", "--to", "bob@example.test"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout[-2000:]
    assert len(mx.messages("bob", wait_for=1)) == 1
    result = subprocess.run(["swaks", "--server", mx.host, "--port", str(mx.submissions_port), "--tlsc",
                             "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "alice-pass",
                             "--from", "alice@example.test", "--to", "bob@example.test"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout[-2000:]
    assert len(mx.messages("bob", wait_for=2)) == 2


def test_curl_smtps_with_auth(mx, tmp_path):
    mail = tmp_path / "mail.txt"
    mail.write_bytes(MESSAGE.encode())
    result = subprocess.run(["curl", "-sS", "--cacert", str(mx.dir / "mx.example.test.crt"), "--resolve",
                             f"mx.example.test:{mx.submissions_port}:{mx.host}",
                             f"smtps://mx.example.test:{mx.submissions_port}", "--user", "alice:alice-pass",
                             "--mail-from", "alice@example.test", "--mail-rcpt", "bob@example.test",
                             "--upload-file", str(mail)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert len(mx.messages("bob", wait_for=1)) == 1


@pytest.mark.skipif(shutil.which("msmtp") is None, reason="msmtp not installed")
def test_msmtp_submission(mx, tmp_path):
    result = subprocess.run(["msmtp", "--host", mx.host, "--port", str(mx.submission_port), "--tls=on",
                             "--tls-starttls=on", f"--tls-trust-file={mx.dir / 'mx.example.test.crt'}",
                             "--tls-host-override=mx.example.test", "--auth=on", "--user=alice",
                             "--passwordeval=echo alice-pass", "--from=alice@example.test", "bob@example.test"],
                            input=MESSAGE, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert len(mx.messages("bob", wait_for=1)) == 1
