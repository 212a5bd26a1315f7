"""Limits, timeouts, signals and restarts, as an admin sees them."""
import signal
import smtplib
import socket
import subprocess
import threading
import time

from conftest import TERND


def test_connections_per_address_are_limited(make_ternd):
    server = make_ternd(extra="max-connections-per-ip 2").start()
    first, second = server.connect(), server.connect()
    assert first.reply().startswith("220") and second.reply().startswith("220")
    third = server.connect()
    assert third.reply().startswith("421 4.7.0")
    assert third.closed()
    first.close()
    server.wait_log("disconnect")
    fourth = server.connect()
    assert fourth.reply().startswith("220")


def test_total_connections_are_limited(make_ternd):
    server = make_ternd(extra="max-connections 1").start()
    first = server.connect()
    assert first.reply().startswith("220")
    second = server.connect()
    assert second.reply().startswith("421 4.7.0")


def test_idle_client_times_out_with_421(make_ternd):
    server = make_ternd(extra="command-timeout 1s").start()
    client = server.connect()
    assert client.reply().startswith("220")
    started = time.time()
    assert client.reply().startswith("421 4.4.2")
    assert client.closed()
    assert 0.8 < time.time() - started < 5
    server.wait_log("timeout state=ready")


def test_stalled_data_times_out(make_ternd):
    server = make_ternd(extra="data-timeout 1s").start()
    client = server.connect()
    client.reply()
    client.command("EHLO client.test")
    client.send("MAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
    client.reply(), client.reply()
    assert client.reply().startswith("354")
    client.send("Subject: half a message\r\n")
    assert client.reply().startswith("421 4.4.2")
    assert server.messages("alice") == []


def test_sigterm_says_421_to_idle_sessions_and_exits_cleanly(ternd):
    client = ternd.connect()
    client.reply()
    client.command("EHLO client.test")
    ternd.process.send_signal(signal.SIGTERM)
    assert client.reply().startswith("421 4.3.2")
    assert ternd.process.wait(timeout=10) == 0
    ternd.log.close()
    ternd.process = None
    assert "shutting down" in ternd.log_text()


def test_sigterm_lets_a_message_in_flight_finish(ternd):
    client = ternd.connect()
    client.reply()
    client.command("EHLO client.test")
    client.send("MAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
    client.reply(), client.reply()
    assert client.reply().startswith("354")
    client.send("Subject: in flight\r\n\r\n")
    ternd.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    client.send("end of it\r\n.\r\n")
    assert client.reply().startswith("250 2.0.0")
    assert client.reply().startswith("421 4.3.2")
    assert ternd.process.wait(timeout=10) == 0
    ternd.log.close()
    ternd.process = None
    ternd.start()
    assert len(ternd.messages("alice", wait_for=1)) == 1


def test_sighup_reloads_users_without_dropping_sessions(ternd):
    client = ternd.connect()
    client.reply()
    client.command("EHLO client.test")
    assert client.command("MAIL FROM:<s@remote.test>").startswith("250")
    assert client.command("RCPT TO:<dave@example.test>").startswith("550 5.1.1")
    (ternd.dir / "users").write_text((ternd.dir / "users").read_text() + "dave:x\n")
    ternd.process.send_signal(signal.SIGHUP)
    ternd.wait_log("reloaded")
    # The open session keeps the rules it started with; new sessions get the new ones.
    assert client.command("RCPT TO:<alice@example.test>").startswith("250")
    assert client.command("NOOP").startswith("250")
    with smtplib.SMTP(ternd.host, ternd.port) as fresh:
        fresh.sendmail("s@remote.test", ["dave@example.test"], "Subject: new user\r\n\r\nhi\r\n")
    assert len(ternd.messages("dave", wait_for=1)) == 1


def test_sighup_with_broken_config_keeps_running_config(ternd):
    original = ternd.config.read_text()
    ternd.config.write_text(original + "bogus-directive 1\n")
    ternd.process.send_signal(signal.SIGHUP)
    ternd.wait_log("reload failed")
    with smtplib.SMTP(ternd.host, ternd.port) as client:
        client.sendmail("s@remote.test", ["alice@example.test"], "Subject: still up\r\n\r\nx\r\n")
    assert len(ternd.messages("alice", wait_for=1)) == 1


def test_spooled_mail_survives_kill_and_is_delivered_on_restart(make_ternd):
    server = make_ternd()
    # alice's Maildir cannot be created: delivery defers and the message stays spooled.
    (server.dir / "mail").mkdir()
    (server.dir / "mail" / "alice").write_text("not a directory")
    server.start()
    with smtplib.SMTP(server.host, server.port) as client:
        client.sendmail("s@remote.test", ["alice@example.test", "bob@example.test"], "Subject: survive\r\n\r\nx\r\n")
    server.wait_log("status=deferred")
    assert len(server.messages("bob", wait_for=1)) == 1
    server.kill()
    assert len(server.spooled()) == 1
    queue_id = server.spooled()[0][:-len(".env")]
    envelope = (server.dir / "spool" / server.spooled()[0]).read_text()
    assert "rcpt: delivered 1 local:bob@example.test bob@example.test" in envelope
    assert "rcpt: pending 1 local:alice@example.test alice@example.test" in envelope
    (server.dir / "mail" / "alice").unlink()
    server.start()
    [stored] = server.messages("alice", wait_for=1)
    assert b"Subject: survive" in stored
    server.wait_log(f"{queue_id} removed")
    assert server.spooled() == []
    assert len(server.messages("bob")) == 1  # delivered once, not again after the restart


def send_numbered(host, port, first, count, acknowledged, errors):
    for number in range(first, first + count):
        try:
            with smtplib.SMTP(host, port, timeout=10) as client:
                client.sendmail("s@remote.test", ["bob@example.test"],
                                f"Subject: msg-{number:05d}\r\n\r\nbody {number}\r\n")
            acknowledged.append(number)
        except (smtplib.SMTPException, OSError) as error:
            errors.append(error)


def test_kill_9_under_load_loses_nothing_acknowledged_and_duplicates_nothing(make_ternd):
    server = make_ternd().start()
    acknowledged, errors = [], []
    threads = [threading.Thread(target=send_numbered, args=(server.host, server.port, i * 1000, 60, acknowledged, errors))
               for i in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    server.kill()
    for thread in threads:
        thread.join()
    assert acknowledged, "no message was acknowledged before the kill"
    server.start()
    time.sleep(0.5)
    server.wait_log("started")
    deadline = time.time() + 30
    while server.spooled() and time.time() < deadline:
        time.sleep(0.1)
    subjects = [m.split(b"Subject: msg-")[1][:5].decode() for m in server.messages("bob")]
    assert len(subjects) == len(set(subjects)), "a message was delivered twice"
    missing = {f"{n:05d}" for n in acknowledged} - set(subjects)
    assert not missing, f"acknowledged but lost: {sorted(missing)}"


def test_config_check_flag(make_ternd):
    server = make_ternd()
    result = subprocess.run([str(TERND), "-n", "-c", str(server.config)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"{server.config}: ok"


def test_listen_address_in_use_fails_start(make_ternd):
    server = make_ternd()
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind((server.host, server.port))
    blocker.listen()
    result = subprocess.run([str(TERND), "-d", "-c", str(server.config)], capture_output=True, text=True,
                            timeout=10)
    blocker.close()
    assert result.returncode == 1
    assert f"cannot listen on {server.host}:{server.port}" in result.stderr


def test_runs_as_configured_user_after_binding(tmp_path):
    import os
    import pwd
    import shutil
    import tempfile
    if os.geteuid() != 0:
        import pytest
        pytest.skip("needs root to drop privileges")
    from conftest import Ternd, assert_clean_log
    nobody = pwd.getpwnam("nobody")
    directory = tempfile.mkdtemp(prefix="tern-user-", dir="/tmp")
    try:
        os.chmod(directory, 0o755)
        server = Ternd(directory, extra="user nobody")
        (server.dir / "mail").mkdir()
        os.chown(server.dir / "mail", nobody.pw_uid, nobody.pw_gid)
        server.start()
        server.wait_log("running as user nobody")
        status = open(f"/proc/{server.process.pid}/status").read()
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1:] == [str(nobody.pw_uid)] * 4
        with smtplib.SMTP(server.host, server.port) as client:
            client.sendmail("s@remote.test", ["alice@example.test"], "Subject: unprivileged\r\n\r\nx\r\n")
        [stored] = server.messages("alice", wait_for=1)
        assert b"Subject: unprivileged" in stored
        assert (server.maildir("alice") / "new").stat().st_uid == nobody.pw_uid
        assert server.stop() == 0
        assert_clean_log(server.log_text())
    finally:
        shutil.rmtree(directory, ignore_errors=True)
