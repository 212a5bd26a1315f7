"""ternd delivers to a real Exim: Debian's exim4-daemon-light, unpacked and run privately by
bench/exim-peer.sh, receives for remote.test on 127.27.0.25:25; ternd finds it through MX
records on the test DNS server, and the message lands in Exim's Maildir with our Received
header kept."""
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import ROOT
from dns_fixture import dns_server  # noqa: F401 (a fixture)
from test_outbound import submit_as_alice, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="Exim listens on port 25 and runs as root")
EXIM_ADDRESS = "127.27.0.25"
EXIM_PEER = ROOT / "bench" / "exim-peer.sh"


def listening(address, port):
    try:
        socket.create_connection((address, port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def exim():
    """Exim receiving for remote.test into DIR/mail/bob/Maildir; yields DIR."""
    directory = pathlib.Path(tempfile.mkdtemp(prefix="tern-exim-", dir="/tmp"))  # Debian-exim must reach it
    os.chmod(directory, 0o755)
    try:
        subprocess.run([str(EXIM_PEER), "start", str(directory / "exim"), f"{EXIM_ADDRESS}:25", "remote.test"],
                       check=True, capture_output=True, timeout=120)
        assert wait_for(lambda: listening(EXIM_ADDRESS, 25))
        yield directory / "exim"
    finally:
        subprocess.run([str(EXIM_PEER), "stop", str(directory / "exim")], capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


def exim_log(directory):
    path = directory / "log" / "mainlog"
    return path.read_text(errors="replace") if path.exists() else ""


def test_submission_to_ternd_then_delivery_into_exim(make_ternd, dns_server, exim):
    dns_server.add("remote.test", "MX", "10 mx.remote.test.")
    dns_server.add("mx.remote.test", "A", EXIM_ADDRESS)
    server = make_ternd(extra=f"resolver {dns_server.address}", tls=True).start()
    result = submit_as_alice(server, "bob@remote.test", "--header", "Subject: from tern to exim")
    assert result.returncode == 0, result.stdout[-2000:]
    new = exim / "mail" / "bob" / "Maildir" / "new"
    assert wait_for(lambda: new.exists() and any(new.iterdir()), timeout=30), \
        server.log_text()[-3000:] + exim_log(exim)[-3000:]
    stored = next(new.iterdir()).read_bytes()
    assert b"Subject: from tern to exim" in stored
    assert b"by mx.example.test (tern) with ESMTPSA" in stored  # our Received, below Exim's own
    assert stored.index(b"by mx.remote.test") < stored.index(b"by mx.example.test (tern)")
    assert b"Return-path: <alice@example.test>" in stored
    server.wait_log("status=sent")
    assert "<= alice@example.test" in exim_log(exim)


def test_exim_refusal_of_an_unknown_user_bounces_to_the_sender(make_ternd, dns_server, exim):
    dns_server.add("remote.test", "MX", "10 mx.remote.test.")
    dns_server.add("mx.remote.test", "A", EXIM_ADDRESS)
    server = make_ternd(extra=f"resolver {dns_server.address}", tls=True).start()
    result = submit_as_alice(server, "nobody-here@remote.test")
    assert result.returncode == 0, result.stdout[-2000:]
    [bounce] = server.messages("alice", wait_for=1, timeout=30)
    assert b"nobody-here@remote.test" in bounce and b"Status: 5." in bounce
    server.wait_log("status=bounced")
