"""`tern policy` answers what ternd would reply to a client, and which rule decided."""
import subprocess

from conftest import BUILD
from dns_fixture import dns_server  # noqa: F401 (a fixture)

TERN = BUILD / "tern"


def policy(server, *arguments):
    result = subprocess.run([str(TERN), "policy", "-c", str(server.config), *arguments],
                            capture_output=True, text=True, timeout=30)
    return result.returncode, result.stdout + result.stderr


def test_stranger_may_not_relay_but_may_reach_local_users(make_ternd):
    server = make_ternd(tls=True)
    status, output = policy(server, "--ip", "203.0.113.9", "--from", "x@remote.test", "--to", "someone@gmail.test")
    assert status == 1
    assert "554 5.7.1 <someone@gmail.test>: Relay access denied" in output
    assert "neither trusted nor authenticated" in output
    status, output = policy(server, "--ip", "203.0.113.9", "--from", "x@remote.test", "--to", "alice+tag@example.test")
    assert status == 0 and "250 2.1.5" in output and "goes to: mailbox alice@example.test" in output


def test_submission_needs_authentication_and_owned_sender(make_ternd):
    server = make_ternd(tls=True)
    status, output = policy(server, "--ip", "203.0.113.9", "--port", str(server.submission_port),
                            "--from", "alice@example.test", "--to", "friend@remote.test")
    assert status == 1 and "530 5.7.0 Authentication required" in output
    status, output = policy(server, "--ip", "203.0.113.9", "--port", "587", "--user", "alice",
                            "--from", "alice@example.test", "--to", "friend@remote.test")
    assert status == 0 and "relay: the client is trusted or authenticated" in output
    status, output = policy(server, "--ip", "203.0.113.9", "--port", "465", "--user", "alice",
                            "--from", "bob@example.test", "--to", "friend@remote.test")
    assert status == 1 and "553 5.7.1" in output and "own addresses" in output


def test_trusted_network_and_usage_errors(make_ternd):
    server = make_ternd(extra="trusted 192.0.2.0/24")
    status, output = policy(server, "--ip", "192.0.2.7", "--from", "app@example.test", "--to", "x@remote.test")
    assert status == 0 and "(trusted network)" in output
    assert policy(server, "--ip", "not-an-ip", "--from", "a@b.test", "--to", "c@d.test")[0] == 2
    assert policy(server, "--ip", "192.0.2.7", "--user", "nobody", "--from", "a@b.test", "--to", "c@d.test")[0] == 2


def test_spf_at_mail_from_as_ternd_runs_it(make_ternd, dns_server):  # noqa: F811 (the fixture)
    dns_server.add("forged.test", "TXT", '"v=spf1 ip4:192.0.2.1 -all"')
    dns_server.add("good.test", "TXT", '"v=spf1 ip4:203.0.113.0/24 -all"')
    server = make_ternd(extra="spf reject")
    where = ["--resolver", dns_server.address, "--ip", "203.0.113.9", "--helo", "mx.good.test"]
    status, output = policy(server, *where, "--from", "ceo@forged.test", "--to", "alice@example.test")
    assert status == 1 and "spf:   fail" in output and "550 5.7.23 SPF:" in output and "spf reject" in output
    status, output = policy(server, *where, "--from", "news@good.test", "--to", "alice@example.test")
    assert status == 0 and "spf:   pass" in output and "250 2.1.5" in output
    marking = make_ternd()
    status, output = policy(marking, *where, "--from", "ceo@forged.test", "--to", "alice@example.test")
    assert status == 0 and "spf:   fail" in output and "marked only" in output
