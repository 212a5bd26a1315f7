"""DKIM signing against the reference implementation: keys and DNS records from
`tern dkim keygen`, signatures from `tern dkim sign`, verified by Debian's dkimpy
(python3-dkim) with a dnsfunc that answers with the records keygen printed. rsa-sha256 and
ed25519-sha256 (RFC 8463), single and dual signatures, every canonicalization, odd whitespace,
8-bit bodies, and tampering that must fail."""
import base64
import os
import re
import stat
import subprocess

import pytest

from conftest import BUILD, assert_clean_log

dkim = pytest.importorskip("dkim")

TERN = BUILD / "tern"
DOMAIN = "example.com"
CANONICALIZATIONS = ["relaxed/relaxed", "relaxed/simple", "simple/relaxed", "simple/simple"]

MESSAGE = (b"From: Alice <alice@example.com>\r\n"
           b"To: bob@example.org\r\n"
           b"Subject: a test\r\n"
           b"Date: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
           b"Message-ID: <1@example.com>\r\n"
           b"\r\n"
           b"Hello Bob.\r\n")

ODD = (b"From:   alice@example.com  \r\n"
       b"To: bob@example.org,\r\n"
       b"\tcarol@example.org\r\n"
       b"Subject:\tfolded\r\n"
       b"   \t subject  \r\n"
       b"X-Unsigned: anything\r\n"
       b"List-Id: <list.example.com>\r\n"
       b"List-Unsubscribe: <mailto:leave@example.com>\r\n"
       b"\r\n"
       b"  leading spaces\r\n"
       b"trailing spaces   \r\n"
       b"tabs\t\tand  runs \t of  space\r\n"
       b" \t \r\n"
       b"\r\n"
       b"last line\r\n"
       b"\r\n"
       b"\r\n")

EIGHT_BIT = ("From: José <jose@example.com>\r\n"
             "To: bob@example.org\r\n"
             "Subject: café\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n"
             "\r\n"
             "Grüße aus Zürich — ça va ?  \r\n").encode() + b"latin-1 \xe9t\xe9\r\n"


def run(args, stdin=b""):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    result = subprocess.run([str(TERN), "dkim"] + args, input=stdin, capture_output=True, env=env, timeout=60)
    assert_clean_log(result.stderr.decode(errors="replace"))
    return result


def parse_records(text):
    """{name: record text} from keygen's lines: NAME. IN TXT "..." "..." """
    records = {}
    for line in text.splitlines():
        match = re.fullmatch(r'(\S+) IN TXT((?: "[^"]*")+)', line)
        assert match, line
        strings = re.findall(r'"([^"]*)"', match.group(2))
        assert all(0 < len(s) <= 255 for s in strings)
        records[match.group(1)] = "".join(strings).encode()
    return records


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dkim")
    result = run(["keygen", DOMAIN, "sel", "--dir", str(directory)])
    assert result.returncode == 0, result.stderr
    return directory, parse_records(result.stdout.decode())


def dnsfunc_for(records):
    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return records.get(name if name.endswith(".") else name + ".")
    return dnsfunc


def sign(keys, message, kinds=("rsa",), canonicalization=None, domain=DOMAIN):
    directory, _ = keys
    args = ["sign", "--domain", domain]
    for kind in kinds:
        args += ["--selector", f"sel-{kind}", "--key", str(directory / f"sel-{kind}.key")]
    if canonicalization:
        args += ["--canonicalization", canonicalization]
    result = run(args, message)
    assert result.returncode == 0, result.stderr
    return result.stdout


def signature_fields(signed):
    head = signed.split(b"\r\n\r\n", 1)[0]
    return [f for f in re.split(rb"\r\n(?=[^ \t])", head) if f.lower().startswith(b"dkim-signature:")]


def verify(keys, signed, index=0):
    """dkimpy's verdict on the index-th signature; a body hash mismatch is an exception there."""
    try:
        return dkim.DKIM(signed).verify(idx=index, dnsfunc=dnsfunc_for(keys[1]))
    except dkim.ValidationError:
        return False


def test_keygen_writes_private_keys_and_prints_records(keys):
    directory, records = keys
    for kind in ("rsa", "ed25519"):
        path = directory / f"sel-{kind}.key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert sorted(records) == [f"sel-ed25519._domainkey.{DOMAIN}.", f"sel-rsa._domainkey.{DOMAIN}."]
    rsa = records[f"sel-rsa._domainkey.{DOMAIN}."]
    assert rsa.startswith(b"v=DKIM1; k=rsa; p=MII") and len(rsa) > 255  # split into two strings
    ed25519 = records[f"sel-ed25519._domainkey.{DOMAIN}."]
    assert ed25519.startswith(b"v=DKIM1; k=ed25519; p=")
    assert len(base64.b64decode(ed25519.split(b"p=")[1])) == 32  # RFC 8463 §4.2: the raw key


def test_keygen_never_overwrites_a_key(keys):
    directory, _ = keys
    before = (directory / "sel-rsa.key").read_bytes()
    result = run(["keygen", DOMAIN, "sel", "--dir", str(directory)])
    assert result.returncode != 0 and b"File exists" in result.stderr
    assert (directory / "sel-rsa.key").read_bytes() == before


def test_keygen_refuses_small_rsa_keys(tmp_path):
    result = run(["keygen", DOMAIN, "s", "--dir", str(tmp_path), "--rsa-bits", "512"])
    assert result.returncode == 2 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
@pytest.mark.parametrize("canonicalization", CANONICALIZATIONS)
def test_signature_verifies_with_dkimpy(keys, kind, canonicalization):
    signed = sign(keys, MESSAGE, (kind,), canonicalization)
    assert signed.endswith(MESSAGE)
    [field] = signature_fields(signed)
    assert f"a={kind}-sha256;".encode() in field and f"c={canonicalization};".encode() in field
    assert verify(keys, signed)


def test_default_is_relaxed_with_from_oversigned(keys):
    signed = sign(keys, MESSAGE)
    [field] = signature_fields(signed)
    unfolded = re.sub(rb"\r\n[ \t]", b" ", field)
    assert b"c=relaxed/relaxed;" in unfolded and re.search(rb" t=\d+;", unfolded)
    headers = re.search(rb"h=([^;]*);", unfolded).group(1).replace(b" ", b"").split(b":")
    assert headers == [b"From", b"From", b"Subject", b"Date", b"To", b"Message-ID"]
    assert verify(keys, signed)
    # The over-signed From: a second From added later breaks the signature (RFC 6376 §8.15).
    assert not verify(keys, b"From: mallory@example.net\r\n" + signed)


def test_signature_lines_fit_78_columns(keys):
    signed = sign(keys, MESSAGE, ("rsa", "ed25519"))
    for field in signature_fields(signed):
        for line in field.split(b"\r\n"):
            assert len(line.expandtabs(8)) <= 78, line


@pytest.mark.parametrize("order", [("rsa", "ed25519"), ("ed25519", "rsa")])
def test_dual_signature_both_verify(keys, order):
    signed = sign(keys, ODD, order)
    fields = signature_fields(signed)
    assert len(fields) == 2
    assert f"s=sel-{order[0]};".encode() in fields[0] and f"s=sel-{order[1]};".encode() in fields[1]
    assert verify(keys, signed, 0) and verify(keys, signed, 1)


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
@pytest.mark.parametrize("canonicalization", CANONICALIZATIONS)
def test_odd_whitespace(keys, kind, canonicalization):
    signed = sign(keys, ODD, (kind,), canonicalization)
    assert verify(keys, signed)
    body = canonicalization.split("/")[1]
    # Trailing empty lines never count (§3.4.3, §3.4.4); whitespace changes count in simple only.
    assert verify(keys, signed + b"\r\n\r\n")
    respaced = signed.replace(b"tabs\t\tand  runs", b"tabs and\t\t runs")
    assert verify(keys, respaced) == (body == "relaxed")


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
@pytest.mark.parametrize("canonicalization", ["relaxed/relaxed", "simple/simple"])
def test_8bit_body_and_header(keys, kind, canonicalization):
    signed = sign(keys, EIGHT_BIT, (kind,), canonicalization)
    assert verify(keys, signed)


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_modified_body_fails(keys, kind):
    signed = sign(keys, MESSAGE, (kind,))
    assert verify(keys, signed)
    assert not verify(keys, signed.replace(b"Hello Bob.", b"Hello Bob!"))
    assert not verify(keys, signed + b"P.S. added\r\n")


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_modified_header_fails(keys, kind):
    signed = sign(keys, MESSAGE, (kind,))
    assert not verify(keys, signed.replace(b"Subject: a test", b"Subject: a tost"))


def test_empty_body(keys):
    for canonicalization in CANONICALIZATIONS:
        signed = sign(keys, b"From: alice@example.com\r\nSubject: nothing\r\n\r\n", ("rsa", "ed25519"),
                      canonicalization)
        assert verify(keys, signed, 0) and verify(keys, signed, 1)


def test_unix_line_endings_become_crlf(keys):
    signed = sign(keys, MESSAGE.replace(b"\r\n", b"\n"), ("ed25519",))
    assert signed.endswith(MESSAGE) and verify(keys, signed)


def test_message_without_from_is_refused(keys):
    directory, _ = keys
    result = run(["sign", "--domain", DOMAIN, "--selector", "sel-rsa", "--key", str(directory / "sel-rsa.key")],
                 b"Subject: no sender\r\n\r\nbody\r\n")
    assert result.returncode == 1 and b"no From field" in result.stderr and result.stdout == b""


def test_bad_domain_and_missing_key_are_refused(keys):
    directory, _ = keys
    key = str(directory / "sel-rsa.key")
    result = run(["sign", "--domain", "bad_domain", "--selector", "sel-rsa", "--key", key], MESSAGE)
    assert result.returncode == 1 and result.stdout == b""
    result = run(["sign", "--domain", DOMAIN, "--selector", "s", "--key", str(directory / "none.key")], MESSAGE)
    assert result.returncode == 1 and b"none.key" in result.stderr
    result = run(["sign", "--domain", DOMAIN, "--selector", "a", "--selector", "b", "--key", key], MESSAGE)
    assert result.returncode == 2
