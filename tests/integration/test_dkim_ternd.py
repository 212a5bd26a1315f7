"""ternd signs what its users send (submission, trusted networks, tern sendmail) with the
From domain's DKIM keys, RSA and Ed25519; mail arriving from outside is not signed."""
import smtplib

import dkim

from test_dkim_sign import dnsfunc_for, parse_records, run


def signed_server(make_ternd, tmp_path, extra=""):
    result = run(["keygen", "example.test", "s1", "--dir", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    records = parse_records(result.stdout.decode())
    domain_extra = (f'  dkim selector s1-rsa key "{tmp_path / "s1-rsa.key"}"\n'
                    f'  dkim selector s1-ed25519 key "{tmp_path / "s1-ed25519.key"}"')
    return make_ternd(extra=extra, domain_extra=domain_extra).start(), records


def stored_as_sent(stored):
    """A Maildir file (LF, with our Return-Path) as the receiving MTA saw it (CRLF)."""
    return stored.split(b"\n", 1)[1].replace(b"\n", b"\r\n")


def test_mail_from_a_trusted_client_is_dual_signed(make_ternd, tmp_path):
    server, records = signed_server(make_ternd, tmp_path, "trusted 127.0.0.0/8")
    with smtplib.SMTP(server.host, server.port) as client:
        client.sendmail("alice@example.test", ["bob@example.test"],
                        "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: signed\r\n\r\nhi\r\n")
    [stored] = server.messages("bob", wait_for=1)
    message = stored_as_sent(stored)
    assert message.count(b"DKIM-Signature:") == 2
    assert b"a=rsa-sha256" in message and b"a=ed25519-sha256" in message
    for index in range(2):
        assert dkim.DKIM(message).verify(idx=index, dnsfunc=dnsfunc_for(records)), index


def test_mail_from_outside_is_not_signed(make_ternd, tmp_path):
    server, records = signed_server(make_ternd, tmp_path)
    with smtplib.SMTP(server.host, server.port) as client:  # untrusted: the MX role
        client.sendmail("someone@remote.test", ["bob@example.test"],
                        "From: alice@example.test\r\nSubject: forged\r\n\r\nhi\r\n")
    [stored] = server.messages("bob", wait_for=1)
    assert b"DKIM-Signature:" not in stored
