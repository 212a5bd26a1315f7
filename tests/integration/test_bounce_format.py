"""The DSN that deliver/bounce.c writes, read back by a real MIME parser (Python's email package
with the default policy): a multipart/report (RFC 6522) of text/plain, message/delivery-status
(RFC 3464) and the original header block; the RFC 6533 global forms for SMTPUTF8; outside values
that cannot add fields or parts; and never the original body. Runs tests/bounce_driver."""
import email
import email.policy
import subprocess

import pytest

from conftest import BUILD

DRIVER = BUILD / "tests" / "bounce_driver"
BOUNDARY = b"tern-0123456789abcdef"  # fixed by the driver
ORIGINAL = (b"Return-Path: <alice@example.org>\r\nFrom: Alice <alice@example.org>\r\n"
            b"To: <bob@example.net>, <carol@example.com>\r\nSubject: lunch\r\n"
            b"\tfolded onto a second line\r\nMessage-ID: <1@example.org>\r\n\r\n"
            b"SECRET BODY: see you at noon\r\n")
NO_SUCH_USER = "550 5.1.1 <bob@example.net>: no such user"
GREYLISTED = "451 4.7.1 Greylisted, please try again later"


def bounce(*recipients, sender="alice@example.org", original=ORIGINAL, remote_mta="mx.example.net",
           smtputf8=False):
    """Runs the driver; returns the raw DSN. recipients: (address, status, action, diagnostic)."""
    arguments = [str(DRIVER), "--sender", sender]
    for recipient in recipients:
        arguments += ["--recipient", ":".join(recipient)]
    if remote_mta:
        arguments += ["--remote-mta", remote_mta]
    if smtputf8:
        arguments.append("--smtputf8")
    done = subprocess.run([a.encode() if isinstance(a, str) else a for a in arguments], input=original,
                          capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"runtime error" not in done.stderr and b"Sanitizer" not in done.stderr, done.stderr
    return done.stdout


def parse(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert not message.defects, message.defects
    for part in message.walk():
        assert not part.defects, (part.get_content_type(), part.defects)
    return message


def assert_lines_sound(raw):
    """CRLF only (RFC 5322 §2.2), no NUL, no line over 998 octets (§2.1.1)."""
    assert raw.endswith(b"\r\n") and b"\0" not in raw
    lines = raw.split(b"\r\n")
    for line in lines:
        assert b"\r" not in line and b"\n" not in line
        assert len(line) <= 998


def raw_part_body(raw, index):
    """The body of part index, cut out of the raw bytes at the delimiters (RFC 2046 §5.1.1)."""
    parts = raw.split(b"\r\n--" + BOUNDARY)
    header, _, body = parts[index + 1].partition(b"\r\n\r\n")
    return body


def status_groups(raw, index=1):
    """The delivery-status part as field groups (RFC 3464 §2.1): per-message, then per recipient.
    Read from the raw bytes, since Python parses message/global-delivery-status as one message."""
    blocks = [b for b in raw_part_body(raw, index).split(b"\r\n\r\n") if b.strip()]
    return [email.message_from_string(b.decode() + "\r\n", policy=email.policy.default) for b in blocks]


def recipient_fields(group):
    return {name: str(group[name]) for name in ("Final-Recipient", "Action", "Status", "Diagnostic-Code")
            if group[name] is not None}


def test_rfc6522_one_failed_recipient():
    raw = bounce(("bob@example.net", "5.1.1", "failed", NO_SUCH_USER))
    assert_lines_sound(raw)
    message = parse(raw)
    assert message.is_multipart()
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    assert message.get_boundary() == BOUNDARY.decode()
    assert [a.addr_spec for a in message["To"].addresses] == ["alice@example.org"]
    assert message["From"].addresses[0].addr_spec == "MAILER-DAEMON@mx.example.test"
    assert message["Subject"] == "Undelivered Mail Returned to Sender"
    assert message["Auto-Submitted"] == "auto-replied"  # RFC 3834 §5
    assert message["Message-ID"] and message["Date"].datetime is not None
    text, status, headers = message.get_payload()
    assert [text.get_content_type(), status.get_content_type(), headers.get_content_type()] == [
        "text/plain", "message/delivery-status", "text/rfc822-headers"]
    assert text.get_content_charset() == "utf-8"
    assert "bob@example.net" in text.get_content() and NO_SUCH_USER in text.get_content()
    groups = status.get_payload()  # Python splits message/delivery-status into field groups
    assert len(groups) == 2
    assert str(groups[0]["Reporting-MTA"]) == "dns; mx.example.test"
    assert groups[0]["Arrival-Date"] is not None
    assert recipient_fields(groups[1]) == {"Final-Recipient": "rfc822; bob@example.net", "Action": "failed",
                                           "Status": "5.1.1", "Diagnostic-Code": "smtp; " + NO_SUCH_USER}
    assert str(groups[1]["Remote-MTA"]) == "dns; mx.example.net"
    assert groups[1]["Will-Retry-Until"] is None
    assert "Subject: lunch\r\n\tfolded onto a second line\r\n" in headers.get_content()
    assert b"SECRET" not in raw


def test_rfc3464_mixed_failed_and_delayed():
    raw = bounce(("bob@example.net", "5.1.1", "failed", NO_SUCH_USER),
                 ("carol@example.com", "4.7.1", "delayed", GREYLISTED))
    assert_lines_sound(raw)
    message = parse(raw)
    assert message["Subject"] == "Undelivered Mail Returned to Sender"
    groups = message.get_payload()[1].get_payload()
    assert len(groups) == 3
    assert recipient_fields(groups[1])["Action"] == "failed"
    assert recipient_fields(groups[2]) == {"Final-Recipient": "rfc822; carol@example.com", "Action": "delayed",
                                           "Status": "4.7.1", "Diagnostic-Code": "smtp; " + GREYLISTED}
    assert groups[1]["Will-Retry-Until"] is None and groups[2]["Will-Retry-Until"] is not None
    assert [recipient_fields(g) for g in status_groups(raw)[1:]] == [recipient_fields(g) for g in groups[1:]]
    assert b"SECRET" not in raw


def test_rfc3464_every_recipient_delayed():
    raw = bounce(("carol@example.com", "4.7.1", "delayed", GREYLISTED),
                 ("dave@example.com", "4.4.1", "delayed", "connection timed out"), remote_mta=None)
    message = parse(raw)
    assert message["Subject"] == "Delayed Mail (still being retried)"
    groups = message.get_payload()[1].get_payload()
    assert [str(g["Action"]) for g in groups[1:]] == ["delayed", "delayed"]
    assert str(groups[2]["Diagnostic-Code"]) == "X-Tern; connection timed out"  # not an SMTP reply
    assert groups[2]["Remote-MTA"] is None
    assert "keep trying" in message.get_payload()[0].get_content()


def test_injected_line_breaks_add_no_field_and_no_part():
    evil = ("550 5.1.1 no\r\n\r\n--" + BOUNDARY.decode() + "\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n"
            "X-Evil: 1")
    raw = bounce(("bob@example.net", "5.1.1", "failed", evil), remote_mta="mx.example.net\r\nX-Evil: 2",
                 sender="alice@example.org>\r\nBcc: <victim@example.com")
    assert_lines_sound(raw)
    message = parse(raw)
    assert len(message.get_payload()) == 3
    assert [p.get_content_type() for p in message.walk()].count("text/html") == 0
    groups = message.get_payload()[1].get_payload()
    assert len(groups) == 2
    assert [str(v) for v in groups[1].get_all("Action")] == ["failed"]
    assert groups[1]["X-Evil"] is None
    assert str(groups[1]["Remote-MTA"]) == "dns; mx.example.net X-Evil: 2"
    assert message["Bcc"] is None and len(message.get_all("To")) == 1
    assert b"\r\nTo: <alice@example.org> Bcc: <victim@example.com>\r\n" in raw
    assert "X-Evil: 1" in str(groups[1]["Diagnostic-Code"])
    assert raw.count(b"\r\n--" + BOUNDARY + b"\r\n") == 3


def test_rfc6533_smtputf8_uses_the_global_types():
    original = "From: Jürgen <jürgen@example.org>\r\nSubject: 你好\r\n\r\nSECRET\r\n".encode()
    raw = bounce(("用户@example.net", "5.1.1", "failed", "550 5.1.1 <用户@example.net> unknown"),
                 sender="jürgen@example.org", original=original, smtputf8=True)
    assert_lines_sound(raw)
    message = parse(raw)
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    assert [p.get_content_type() for p in message.get_payload()] == [
        "text/plain", "message/global-delivery-status", "message/global-headers"]
    groups = status_groups(raw)
    assert str(groups[0]["Reporting-MTA"]) == "dns; mx.example.test"
    assert recipient_fields(groups[1]) == {"Final-Recipient": "utf-8; 用户@example.net", "Action": "failed",
                                           "Status": "5.1.1",
                                           "Diagnostic-Code": "smtp; 550 5.1.1 <用户@example.net> unknown"}
    headers = message.get_payload()[2].get_payload()[0]  # Python reads message/global-headers as a message
    assert str(headers["Subject"]) == "你好"
    assert b"SECRET" not in raw


def test_rfc6522_8bit_original_header_is_marked():
    original = b"From: J\xc3\xbcrgen <alice@example.org>\r\nSubject: Gr\xfc\xdfe\r\n\r\nSECRET\r\n"
    raw = bounce(("bob@example.net", "5.1.1", "failed", NO_SUCH_USER), original=original)
    message = parse(raw)
    headers = message.get_payload()[2]
    assert headers.get_content_type() == "text/rfc822-headers"
    assert headers["Content-Transfer-Encoding"] == "8bit"
    assert raw_part_body(raw, 2) == b"From: J\xc3\xbcrgen <alice@example.org>\r\nSubject: Gr\xfc\xdfe\r\n"
    assert b"SECRET" not in raw


@pytest.mark.parametrize("original, returned", [
    (b"Subject: no empty line\r\nFrom: alice@example.org\r\nHello Bob, SECRET\r\n",
     b"Subject: no empty line\r\nFrom: alice@example.org\r\n"),
    (b"Subject: only a header\r\n", b"Subject: only a header\r\n"),
    (b"\r\nSECRET body without a header\r\n", b""),
    (b"", b""),
])
def test_rfc5322_3_5_original_without_separator(original, returned):
    raw = bounce(("bob@example.net", "5.1.1", "failed", NO_SUCH_USER), original=original)
    parse(raw)
    assert raw_part_body(raw, 2) == returned
    assert b"SECRET" not in raw


def test_long_diagnostic_is_folded_and_cut():
    diagnostic = "550 5.7.1 " + " ".join(["blocked"] * 400)
    raw = bounce(("bob@example.net", "5.7.1", "failed", diagnostic))
    assert_lines_sound(raw)
    groups = parse(raw).get_payload()[1].get_payload()
    value = str(groups[1]["Diagnostic-Code"])
    assert value.startswith("smtp; 550 5.7.1 blocked blocked")
    assert len(value) <= len("smtp; ") + 900
