"""The relay matrix: every kind of client on every port, to a local and a remote recipient and
to addresses that try to smuggle a remote destination. Only an authenticated user (on the
submission ports) or a trusted network may reach another domain; nothing else ever relays."""
import base64
import smtplib
import ssl

import pytest

TRICKY = ["user%other.test@example.test", "other.test!user@example.test", "@example.test:user@other.test",
          '"user@other.test"@example.test', "user@[127.0.0.1]", "user@other.test."]
RELAYED_WHEN_ALLOWED = {"@example.test:user@other.test", "user@[127.0.0.1]"}  # really remote destinations


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    from conftest import Ternd
    made = {}
    for name, extra in [("plain", ""), ("trusting", "trusted 127.0.0.0/8")]:
        server = Ternd(tmp_path_factory.mktemp(name), extra=extra, tls=True)
        made[name] = server.start()
    yield made
    for server in made.values():
        assert server.stop() == 0


def open_session(server, port_kind, identity):
    context = ssl.create_default_context(cafile=str(server.dir / "mx.example.test.crt"))
    context.check_hostname = False
    if port_kind == 465:
        client = smtplib.SMTP_SSL(server.host, server.submissions_port, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port if port_kind == 25 else server.submission_port)
        client.ehlo("client.test")
        if port_kind == 587:
            client.starttls(context=context)
    client.ehlo("client.test")
    auth = None
    if identity in ("good", "bad"):
        password = "alice-pass" if identity == "good" else "not-her-password"
        response = base64.b64encode(f"\0alice\0{password}".encode()).decode()
        auth = client.docmd("AUTH", "PLAIN " + response)[0]
    return client, auth


@pytest.mark.parametrize("port_kind", [25, 587, 465])
@pytest.mark.parametrize("identity", ["none", "bad", "good", "trusted"])
def test_relay_matrix(servers, port_kind, identity):
    server = servers["trusting" if identity == "trusted" else "plain"]
    client, auth = open_session(server, port_kind, identity)
    submission = port_kind != 25
    if identity in ("good", "bad"):
        expected_auth = (235 if identity == "good" else 535) if submission else 502
        assert auth == expected_auth, (identity, port_kind, auth)
    authenticated = identity == "good" and submission
    can_send = not submission or authenticated or identity == "trusted"
    may_relay = authenticated or identity == "trusted"

    code, text = client.mail("alice@example.test")
    if not can_send:
        assert (code, text[:5]) == (530, b"5.7.0"), (identity, port_kind)
        client.close()
        return
    assert code == 250
    assert client.rcpt("bob@example.test")[0] == 250  # a local recipient: always
    code, text = client.rcpt("friend@remote.test")
    assert (code == 250) == may_relay, (identity, port_kind, code, text)
    if not may_relay:
        assert (code, text[:5]) == (554, b"5.7.1")
    for address in TRICKY:
        code, text = client.docmd(f"RCPT TO:<{address}>")
        relayed = code == 250
        assert relayed == (may_relay and address in RELAYED_WHEN_ALLOWED), (identity, port_kind, address, code, text)
        assert code in (250, 550, 554, 501), (address, code)
    client.rset()
    client.quit()


def test_open_relay_configs_refuse_to_start(tmp_path):
    import subprocess
    from conftest import TERND, Ternd
    for index, network in enumerate(["0.0.0.0/0", "0.0.0.0/1", "::/0", "2000::/3"]):
        directory = tmp_path / f"network{index}"
        directory.mkdir()
        server = Ternd(directory, extra=f"trusted {network}")
        result = subprocess.run([str(TERND), "-n", "-c", str(server.config)], capture_output=True, text=True)
        assert result.returncode == 1, network
        assert "open relay" in result.stderr, result.stderr
