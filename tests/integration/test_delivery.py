"""Mail to local users lands intact in their Maildir, through real clients."""
import email
import shutil
import smtplib
import subprocess
import time

import pytest

BODY = ("From: Sender <sender@remote.test>\r\nTo: alice@example.test\r\nSubject: hello\r\n"
        "Message-ID: <m1@remote.test>\r\n\r\nline one\r\n.leading dot\r\n..two dots\r\n\r\nlast line\r\n")


def body_of(stored):
    """The stored message without tern's Return-Path, Received and Authentication-Results
    fields (mail from outside gets the last), LF endings."""
    lines = stored.split(b"\n")
    assert lines[0].startswith(b"Return-Path: <"), stored[:200]
    assert lines[1].startswith(b"Received: from "), stored[:200]
    index = 2
    while lines[index].startswith(b"\t"):
        index += 1
    assert lines[index].startswith(b"Authentication-Results: mx.example.test;"), stored[:400]
    index += 1
    while lines[index][:1] in (b"\t", b" "):
        index += 1
    return b"\n".join(lines[index:])


def test_smtplib_message_lands_intact_in_maildir(ternd):
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        refused = client.sendmail("sender@remote.test", ["alice@example.test"], BODY)
    assert refused == {}
    [stored] = ternd.messages("alice", wait_for=1)
    assert body_of(stored) == BODY.replace("\r\n", "\n").encode()
    assert stored.startswith(b"Return-Path: <sender@remote.test>\n")
    assert b"by mx.example.test (tern) with ESMTP id " in stored
    assert b"for <alice@example.test>;" in stored
    maildir = ternd.maildir("alice")
    assert (maildir / "cur").is_dir() and (maildir / "tmp").is_dir()
    assert list((maildir / "tmp").iterdir()) == []
    ternd.wait_log("status=sent")
    assert ternd.spooled() == []


def test_plus_address_alias_and_postmaster(ternd):
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.sendmail("", ["alice+lists@example.test"], "Subject: plus\r\n\r\nplus\r\n")
        client.sendmail("sender@remote.test", ["team@example.test"], "Subject: team\r\n\r\nteam\r\n")
        code, _ = client.docmd("MAIL FROM:<sender@remote.test>")
        assert code == 250
        code, text = client.docmd("RCPT TO:<postmaster>")
        assert (code, text[:5]) == (250, b"2.1.5")
        client.rset()
    alice = ternd.messages("alice", wait_for=2)
    bob = ternd.messages("bob", wait_for=1)
    assert len(alice) == 2 and len(bob) == 1
    assert any(b"Return-Path: <>" in m and b"\nplus\n" in m for m in alice)
    assert b"Subject: team" in bob[0]


def test_same_mailbox_twice_in_one_message_is_delivered_once(ternd):
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.sendmail("s@remote.test", ["alice@example.test", "ALICE+x@Example.Test", "team@example.test"],
                        "Subject: once\r\n\r\nonce\r\n")
    assert len(ternd.messages("alice", wait_for=1)) == 1
    assert len(ternd.messages("bob", wait_for=1)) == 1
    ternd.wait_log(" removed\n")
    assert len(ternd.messages("alice")) == 1


def test_unknown_user_and_relay_are_refused(ternd):
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.ehlo("client.test")
        client.mail("sender@remote.test")
        assert client.rcpt("nobody@example.test")[0] == 550
        code, text = client.rcpt("nobody@example.test")
        assert text.startswith(b"5.1.1 <nobody@example.test>")
        code, text = client.rcpt("victim@gmail.test")
        assert (code, text[:5]) == (554, b"5.7.1")
        code, text = client.docmd("DATA")
        assert (code, text[:5]) == (554, b"5.5.1")
    ternd.wait_log('reject RCPT client=')


def test_trusted_network_may_relay_and_mail_stays_queued(make_ternd):
    server = make_ternd(extra="trusted 127.0.0.0/8").start()
    with smtplib.SMTP(server.host, server.port) as client:
        client.sendmail("alice@example.test", ["friend@remote.test", "bob@example.test"], "Subject: r\r\n\r\nr\r\n")
    assert len(server.messages("bob", wait_for=1)) == 1
    server.wait_log("dsn=4.4.3 status=deferred")
    assert len(server.spooled()) == 1
    envelope_path = server.dir / "spool" / server.spooled()[0]
    deadline = time.time() + 10  # the log line comes just before the envelope is rewritten
    while "rcpt: pending 1 remote" not in envelope_path.read_text() and time.time() < deadline:
        time.sleep(0.05)
    envelope = envelope_path.read_text()
    assert "rcpt: pending 1 remote friend@remote.test" in envelope
    assert "delivered" in envelope and "end\n" in envelope


def test_alias_forwarding_to_another_domain_is_queued_not_lost(ternd):
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.sendmail("s@remote.test", ["mixed@example.test"], "Subject: f\r\n\r\nf\r\n")
    assert len(ternd.messages("carol", wait_for=1)) == 1
    ternd.wait_log("dsn=4.4.3 status=deferred")
    envelope = (ternd.dir / "spool" / ternd.spooled()[0]).read_text()
    assert "remote friend@elsewhere.test" in envelope


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_swaks_delivers(ternd):
    result = subprocess.run(["swaks", "--server", ternd.host, "--port", str(ternd.port), "--from",
                             "s@remote.test", "--to", "bob@example.test", "--header", "Subject: via swaks",
                             "--body", "swaks body"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    [stored] = ternd.messages("bob", wait_for=1)
    assert b"Subject: via swaks" in stored and b"swaks body" in stored


def test_curl_delivers(ternd, tmp_path):
    mail = tmp_path / "mail.txt"
    mail.write_bytes(b"Subject: via curl\r\n\r\ncurl body\r\n")
    result = subprocess.run(["curl", "-sS", f"smtp://{ternd.host}:{ternd.port}", "--mail-from", "s@remote.test",
                             "--mail-rcpt", "alice@example.test", "--upload-file", str(mail)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    [stored] = ternd.messages("alice", wait_for=1)
    assert stored.endswith(b"\n\ncurl body\n")


@pytest.mark.skipif(shutil.which("smtp-source") is None, reason="postfix tools not installed")
def test_smtp_source_load_all_delivered(ternd):
    result = subprocess.run(["smtp-source", "-s", "10", "-m", "200", "-l", "2048", "-f", "s@remote.test",
                             "-t", "bob@example.test", f"{ternd.host}:{ternd.port}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(ternd.messages("bob", wait_for=200, timeout=60)) == 200


def test_bdat_chunks_are_one_message(ternd):
    client = ternd.connect()
    assert client.reply().startswith("220 ")
    assert "250 CHUNKING" in client.command("EHLO client.test")
    assert client.command("MAIL FROM:<s@remote.test> BODY=8BITMIME").startswith("250 2.1.0")
    assert client.command("RCPT TO:<alice@example.test>").startswith("250 2.1.5")
    part1 = b"Subject: chunks\r\n\r\nfirst half "
    part2 = b"second half\r\n.not the end\r\n"
    client.send(b"BDAT %d\r\n" % len(part1) + part1)
    assert client.reply().startswith("250 2.0.0")
    client.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
    assert client.reply().startswith("250 2.0.0 Ok: queued as ")
    assert client.command("QUIT").startswith("221")
    [stored] = ternd.messages("alice", wait_for=1)
    assert stored.endswith(b"\n\nfirst half second half\n.not the end\n")


def test_received_header_parses_and_names_protocol(ternd):
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.helo("oldclient.test")
        client.sendmail("s@remote.test", ["alice@example.test", "bob@example.test"], "Subject: r\r\n\r\nx\r\n")
    [stored] = ternd.messages("alice", wait_for=1)
    message = email.message_from_bytes(stored)
    received = " ".join(message["Received"].split())
    assert received.startswith("from oldclient.test ([127.0.0.1]) by mx.example.test (tern) with SMTP id ")
    assert " for " not in received  # several recipients: none named
    assert email.utils.parsedate_to_datetime(received.rsplit(";", 1)[1].strip()) is not None


def test_large_message_arrives_byte_for_byte(ternd):
    lines = [f"line {i:07d} " + "x" * 60 for i in range(80000)]  # about 6 MB
    body = "Subject: large\r\n\r\n" + "\r\n".join(lines) + "\r\n"
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.sendmail("s@remote.test", ["alice@example.test"], body)
    [stored] = ternd.messages("alice", wait_for=1, timeout=30)
    assert body_of(stored) == body.replace("\r\n", "\n").encode()


def test_large_bdat_message_in_many_chunks(ternd):
    client = ternd.connect()
    client.reply()
    client.command("EHLO client.test")
    client.send("MAIL FROM:<s@remote.test>\r\nRCPT TO:<bob@example.test>\r\n")
    assert client.reply().startswith("250") and client.reply().startswith("250")
    chunk = b"y" * 900 + b"\r\n"
    for _ in range(2000):
        client.send(b"BDAT %d\r\n" % len(chunk) + chunk)
    for _ in range(2000):
        assert client.reply().startswith("250 2.0.0")
    client.send(b"BDAT 0 LAST\r\n")
    assert client.reply().startswith("250 2.0.0 Ok: queued as")
    [stored] = ternd.messages("bob", wait_for=1, timeout=30)
    assert stored.count(b"y" * 900 + b"\n") == 2000


def test_a_broken_mailbox_holds_up_nobody_in_its_batch(make_ternd):
    """Deliveries run in batches (one worker job, shared fsyncs): carol's unusable Maildir
    defers only carol's copies; alice's and bob's, in the same batches, each arrive once, and
    carol's arrive once hers can be made."""
    import concurrent.futures
    server = make_ternd(extra="retry-interval 1s\nretry-max 1s\n").start()
    blocker = server.dir / "mail" / "carol" / "Maildir"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the Maildir should be\n")

    def send(number):
        with smtplib.SMTP(server.host, server.port) as client:
            body = f"From: sender@remote.test\r\nSubject: m{number}\r\n\r\nbody {number}\r\n"
            return client.sendmail("sender@remote.test", ["alice@example.test", "bob@example.test",
                                                          "carol@example.test"], body)

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        assert list(pool.map(send, range(40))) == [{}] * 40
    for user in ("alice", "bob"):
        stored = server.messages(user, wait_for=40, timeout=30)
        assert sorted(int(m.split(b"\nbody ")[1]) for m in stored) == list(range(40))
    server.wait_log("mailbox=carol@example.test relay=maildir delay=")
    assert "status=deferred" in server.log_text()
    assert len(server.spooled()) == 40  # carol's copies wait
    blocker.unlink()
    stored = server.messages("carol", wait_for=40, timeout=30)
    assert sorted(int(m.split(b"\nbody ")[1]) for m in stored) == list(range(40))
    assert len(server.messages("alice")) == 40 and len(server.messages("bob")) == 40  # not again
    deadline = time.time() + 10
    while server.spooled() and time.time() < deadline:
        time.sleep(0.05)
    assert server.spooled() == []
