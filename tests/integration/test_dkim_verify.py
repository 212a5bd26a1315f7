"""DKIM verification against the reference implementations, through `tern dkim verify` with
keys served by a test DNS server on 127.0.0.1 (RFC 6376 §3.6.2): messages signed by dkimpy
(python3-dkim) and by OpenDKIM verify with us, across canonicalizations, folded headers, l=,
multiple signatures, rsa-sha256 and ed25519-sha256 (RFC 8463); tampering fails; revoked,
missing, duplicated and small keys give the RFC 6376 / RFC 8301 verdicts; the RFC 8463
appendix A message verifies. And the other way: messages we sign verify with OpenDKIM.
OpenDKIM never touches DNS here: it runs in test mode (-t) with its keys from a file
(TestPublicKeys), inside `unshare -n`, a network namespace with no interface up."""
import base64
import re
import shutil
import subprocess
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from conftest import BUILD, assert_clean_log
from dns_server import DnsServer

dkim = pytest.importorskip("dkim")

TERN = BUILD / "tern"
DOMAIN = "example.test"
SIGNATURES_MAX = 8  # DKIM_VERIFY_SIGNATURES_MAX in src/mailauth/dkim_verify.h
CANONICALIZATIONS = ["relaxed/relaxed", "relaxed/simple", "simple/relaxed", "simple/simple"]

MESSAGE = (b"From: Alice <alice@example.test>\r\n"
           b"To: bob@example.org\r\n"
           b"Subject: a test\r\n"
           b"Date: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
           b"Message-ID: <1@example.test>\r\n"
           b"\r\n"
           b"Hello Bob.\r\n")

FOLDED = (b"From:   Alice <alice@example.test>  \r\n"
          b"To: bob@example.org,\r\n"
          b"\tcarol@example.org\r\n"
          b"Subject:\tfolded\r\n"
          b"   \t subject  \r\n"
          b"Date: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
          b"\r\n"
          b"  leading spaces\r\n"
          b"trailing spaces   \r\n"
          b"tabs\t\tand  runs \t of  space\r\n"
          b"\r\n"
          b"\r\n")

RFC8463_MESSAGE = b"""DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :
 subject : date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :
 date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game.  Are you hungry yet?

Joe.
""".replace(b"\n", b"\r\n")
RFC8463_KEYS = {  # RFC 8463 appendix A.2
    "brisbane._domainkey.football.example.com": "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    "test._domainkey.football.example.com":
        "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16"
        "JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+"
        "l/K4w3QIDAQAB",
}


class Key:
    """A key pair: PKCS#8 PEM for OpenDKIM, what dkimpy signs with, and the TXT record text."""

    def __init__(self, kind, bits=2048):
        self.kind = kind
        if kind == "rsa":
            private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            self.dkimpy = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())
            public = private.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
        else:
            private = ed25519.Ed25519PrivateKey.generate()
            seed = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                         serialization.NoEncryption())
            self.dkimpy = base64.b64encode(seed)  # dkimpy's Ed25519 key format: the seed in base64
            public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        self.record = f"v=DKIM1; k={kind}; p={base64.b64encode(public).decode()}"
        self.algorithm = f"{kind}-sha256".encode()


def txt_strings(text):
    """Zone-file form of a TXT record: quoted strings of at most 255 octets (RFC 1035 §3.3.14)."""
    return " ".join(f'"{text[i:i + 255]}"' for i in range(0, len(text), 255))


@pytest.fixture(scope="module")
def keys():
    return {"rsa": Key("rsa"), "ed25519": Key("ed25519"), "rsa1024": Key("rsa", 1024), "rsa512": Key("rsa", 512)}


@pytest.fixture(scope="module")
def zone(keys):
    server = DnsServer(zones=("test", "example.com")).start()
    for name, key in keys.items():
        server.add(f"{name}._domainkey.{DOMAIN}", "TXT", txt_strings(key.record))
    for name, record in RFC8463_KEYS.items():
        server.add(name, "TXT", txt_strings(record))
    server.add(f"revoked._domainkey.{DOMAIN}", "TXT", txt_strings("v=DKIM1; k=rsa; p="))
    server.add(f"twice._domainkey.{DOMAIN}", "TXT", txt_strings(keys["rsa"].record), '"v=DKIM1; p="')
    server.add(f"testing._domainkey.{DOMAIN}", "TXT", txt_strings(keys["rsa"].record.replace("v=DKIM1;",
                                                                                               "v=DKIM1; t=y;")))
    server.servfail(f"broken._domainkey.{DOMAIN}")
    yield server
    assert server.errors == []
    server.stop()


def verify(zone, message):
    """tern dkim verify's lines: [(word, {tag: value}, why)], top signature first."""
    result = subprocess.run([str(TERN), "dkim", "verify", "--resolver", f"127.0.0.1:{zone.port}"], input=message,
                            capture_output=True, timeout=60)
    assert_clean_log(result.stderr.decode(errors="replace"))
    assert result.returncode == 0, result.stderr
    lines = []
    for line in result.stdout.decode().splitlines():
        match = re.fullmatch(r"(\w+)((?: [a-z]=\S+)*): (.*)", line)
        assert match, line
        tags = dict(item.split("=", 1) for item in match.group(2).split())
        lines.append((match.group(1), tags, match.group(3)))
    return lines


def words(zone, message):
    return [line[0] for line in verify(zone, message)]


def dkimpy_sign(message, key, selector, canonicalization="relaxed/relaxed", **options):
    header, body = canonicalization.encode().split(b"/")
    return dkim.sign(message, selector.encode(), DOMAIN.encode(), key.dkimpy, canonicalize=(header, body),
                     signature_algorithm=key.algorithm, **options) + message


# ---- OpenDKIM, in test mode, without the network ----

def private_base():
    """A directory none of whose ancestors others may write: the build tree, else (a checkout
    under /tmp, say) the home directory or /run."""
    import pathlib
    import stat as stat_module

    def private(path):
        path = path.resolve()
        return all(not (p.stat().st_mode & (stat_module.S_IWGRP | stat_module.S_IWOTH))
                   for p in [path, *path.parents])
    for candidate in (BUILD, pathlib.Path.home(), pathlib.Path("/run")):
        if candidate.is_dir() and private(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def opendkim_dir(keys):
    """OpenDKIM refuses keys and configs under a directory others may write (/tmp is one), so
    its files live under a private one (private_base); removed afterwards."""
    if shutil.which("opendkim") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("needs opendkim and unshare -n")
    base = private_base()
    if base is None:
        pytest.skip("no directory without world-writable parents for OpenDKIM's files")
    directory = base / f"tern-opendkim-{uuid.uuid4().hex[:8]}"
    directory.mkdir(mode=0o700, parents=True)
    for name in ("rsa", "ed25519"):
        path = directory / f"{name}.key"
        path.write_bytes(keys[name].pem)
        path.chmod(0o600)
    yield directory
    shutil.rmtree(directory)


def run_opendkim(directory, config, message):
    (directory / "opendkim.conf").write_text(config + "Syslog no\n")
    (directory / "message.eml").write_bytes(message.replace(b"\r\n", b"\n"))
    result = subprocess.run(["unshare", "-n", "opendkim", "-x", str(directory / "opendkim.conf"), "-t",
                             str(directory / "message.eml"), "-vv"], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def opendkim_sign(directory, message, kind, canonicalization="relaxed/simple"):
    """message with OpenDKIM's signature (selector KIND) on top."""
    output = run_opendkim(directory, f"Mode s\nDomain {DOMAIN}\nSelector {kind}\nKeyFile {directory}/{kind}.key\n"
                          f"Canonicalization {canonicalization}\nSignatureAlgorithm {kind}-sha256\n", message)
    match = re.search(r"hname='DKIM-Signature' hvalue='([^']*)'", output)
    assert match, output
    return b"DKIM-Signature: " + match.group(1).replace("\n", "\r\n").encode() + b"\r\n" + message


def opendkim_verify(directory, keys, message):
    """OpenDKIM's dkim= results from the Authentication-Results it would add: [(word, s=)]."""
    (directory / "keys.txt").write_text("".join(f"{name}._domainkey.{DOMAIN} {key.record}\n"
                                                for name, key in keys.items()))
    output = run_opendkim(directory, f"Mode v\nTestPublicKeys {directory}/keys.txt\nAlwaysAddARHeader yes\n"
                          "AuthservID verifier.test\n", message)
    return re.findall(r"dkim=(\w+)[^;]*?header\.s=([\w-]+)", output)


def tern_sign(keys, directory, message, kinds, canonicalization="relaxed/relaxed"):
    args = [str(TERN), "dkim", "sign", "--domain", DOMAIN, "--canonicalization", canonicalization]
    for kind in kinds:
        path = directory / f"{kind}.key"
        args += ["--selector", kind, "--key", str(path)]
    result = subprocess.run(args, input=message, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


# ---- the tests ----

def test_rfc8463_appendix_a(zone):
    lines = verify(zone, RFC8463_MESSAGE)
    assert [(word, tags["s"], tags["a"]) for word, tags, _ in lines] == [
        ("pass", "brisbane", "ed25519-sha256"), ("pass", "test", "rsa-sha256")]
    word, tags, why = lines[0]
    assert tags["d"] == "football.example.com" and tags["i"] == "@football.example.com"
    assert tags["b"] == "/gCrinpcQOoI" and why == "signature verified"


def test_unsigned_message_is_none(zone):
    assert verify(zone, MESSAGE) == [("none", {}, "no DKIM signature")]


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
@pytest.mark.parametrize("canonicalization", CANONICALIZATIONS)
def test_dkimpy_signatures_verify(zone, keys, kind, canonicalization):
    for message in (MESSAGE, FOLDED):
        signed = dkimpy_sign(message, keys[kind], kind, canonicalization)
        assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: keys[kind].record.encode())
        [(word, tags, why)] = verify(zone, signed)
        assert (word, tags["d"], tags["s"], tags["a"]) == ("pass", DOMAIN, kind, f"{kind}-sha256"), why


@pytest.mark.parametrize("canonicalization", ["relaxed/relaxed", "simple/simple"])
def test_dkimpy_body_length(zone, keys, canonicalization):
    signed = dkimpy_sign(MESSAGE, keys["rsa"], "rsa", canonicalization, length=True)
    assert re.search(rb"l=\d+", signed)
    assert words(zone, signed) == ["pass"]
    assert words(zone, signed + b"A footer a list added.\r\n") == ["pass"]  # RFC 6376 §3.4.5
    assert words(zone, signed.replace(b"Hello Bob.", b"Hello Bob!")) == ["fail"]


def test_dkimpy_multiple_signatures_in_order(zone, keys):
    signed = dkimpy_sign(MESSAGE, keys["rsa"], "rsa", "simple/simple")
    signed = dkimpy_sign(signed, keys["ed25519"], "ed25519")
    signed = dkimpy_sign(signed, keys["rsa"], "revoked")
    lines = verify(zone, signed)
    assert [(word, tags["s"]) for word, tags, _ in lines] == [("permerror", "revoked"), ("pass", "ed25519"),
                                                              ("pass", "rsa")]


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_tampering_fails(zone, keys, kind):
    signed = dkimpy_sign(MESSAGE, keys[kind], kind)
    [(word, _, why)] = verify(zone, signed.replace(b"Hello Bob.", b"Hello Bob!"))
    assert (word, why) == ("fail", "body hash did not verify")
    [(word, _, why)] = verify(zone, signed.replace(b"Subject: a test", b"Subject: a tost"))
    assert (word, why) == ("fail", "signature did not verify")
    [(word, _, why)] = verify(zone, b"From: mallory@example.net\r\n" + signed)  # dkimpy over-signs From
    assert word == "fail"


def test_revoked_key_is_permerror(zone, keys):
    [(word, tags, why)] = verify(zone, dkimpy_sign(MESSAGE, keys["rsa"], "revoked"))
    assert (word, tags["s"], why) == ("permerror", "revoked", "key revoked (empty p=)")  # RFC 6376 §6.1.2


def test_rsa_keys_under_1024_bits_are_refused(zone, keys):
    [(word, _, why)] = verify(zone, dkimpy_sign(MESSAGE, keys["rsa512"], "rsa512"))
    assert (word, why) == ("permerror", "RSA key of 512 bits, under RFC 8301's 1024")
    assert words(zone, dkimpy_sign(MESSAGE, keys["rsa1024"], "rsa1024")) == ["pass"]


def test_key_record_trouble(zone, keys):
    [(word, _, why)] = verify(zone, dkimpy_sign(MESSAGE, keys["rsa"], "absent"))
    assert (word, why) == ("permerror", "no key record")
    [(word, _, why)] = verify(zone, dkimpy_sign(MESSAGE, keys["rsa"], "twice"))
    assert (word, why) == ("permerror", "several key records")
    [(word, _, why)] = verify(zone, dkimpy_sign(MESSAGE, keys["rsa"], "broken"))
    assert word == "temperror" and why.startswith("key lookup failed")
    [(word, _, why)] = verify(zone, dkimpy_sign(MESSAGE, keys["rsa"], "ed25519"))  # k= is not a=
    assert (word, why) == ("permerror", "key k= does not match a=rsa-sha256")
    [(word, _, why)] = verify(zone, dkimpy_sign(MESSAGE, keys["rsa"], "testing"))
    assert (word, why) == ("pass", "signature verified (key in testing mode)")


def test_rsa_sha1_and_malformed_signatures_are_neutral(zone, keys):
    signed = dkim.sign(MESSAGE, b"rsa", DOMAIN.encode(), keys["rsa"].dkimpy, signature_algorithm=b"rsa-sha1")
    [(word, tags, why)] = verify(zone, signed + MESSAGE)
    assert (word, tags, why) == ("neutral", {}, "signature algorithm not accepted (RFC 8301: not rsa-sha1)")
    [(word, _, why)] = verify(zone, b"DKIM-Signature: v=1; a=rsa-sha256\r\n" + MESSAGE)
    assert (word, why) == ("neutral", "signature lacks a required tag")


def test_signatures_are_capped(zone, keys):
    signed = MESSAGE
    for _ in range(SIGNATURES_MAX + 2):
        signed = dkimpy_sign(signed, keys["ed25519"], "ed25519")
    assert words(zone, signed) == ["pass"] * SIGNATURES_MAX
    queries = [q for q in zone.queries if q[0] == f"ed25519._domainkey.{DOMAIN}"]
    assert queries  # looked up through the test server, never elsewhere


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
@pytest.mark.parametrize("canonicalization", CANONICALIZATIONS)
def test_opendkim_signatures_verify(zone, keys, opendkim_dir, kind, canonicalization):
    """We agree with dkimpy on every OpenDKIM signature, and pass all with relaxed headers.
    With simple headers OpenDKIM's test mode signs bytes that are not the message's: it gets
    the fields through the milter interface, as "Name: value" with the spaces after the colon
    dropped (FOLDED), and its ed25519 signatures there fail even its own verification (seen
    with 2.11.0~beta2); so there only agreement is asserted."""
    for message in (MESSAGE, FOLDED):
        signed = opendkim_sign(opendkim_dir, message, kind, canonicalization)
        dkimpy_passes = dkim.verify(signed, dnsfunc=lambda name, timeout=5: keys[kind].record.encode())
        assert dkimpy_passes or canonicalization.startswith("simple/")
        [(word, tags, why)] = verify(zone, signed)
        assert (word, tags["s"], tags["a"]) == ("pass" if dkimpy_passes else "fail", kind, f"{kind}-sha256"), why
        assert words(zone, signed.replace(b"Bob.", b"Bob!").replace(b"tabs", b"TABS")) == ["fail"]


def test_opendkim_and_dkimpy_signatures_together(zone, keys, opendkim_dir):
    signed = opendkim_sign(opendkim_dir, MESSAGE, "rsa")
    signed = dkimpy_sign(signed, keys["ed25519"], "ed25519")
    signed = opendkim_sign(opendkim_dir, signed, "ed25519", "relaxed/relaxed")
    assert [(w, tags["s"]) for w, tags, _ in verify(zone, signed)] == [("pass", "ed25519"), ("pass", "ed25519"),
                                                                       ("pass", "rsa")]


@pytest.mark.parametrize("canonicalization", CANONICALIZATIONS)
def test_our_signatures_verify_with_opendkim(zone, keys, opendkim_dir, canonicalization):
    # FOLDED under simple headers is out of OpenDKIM's test mode's reach (see above)
    for message in (MESSAGE, FOLDED) if canonicalization.startswith("relaxed/") else (MESSAGE,):
        signed = tern_sign(keys, opendkim_dir, message, ["rsa", "ed25519"], canonicalization)
        assert sorted(opendkim_verify(opendkim_dir, keys, signed)) == [("pass", "ed25519"), ("pass", "rsa")]
        assert words(zone, signed) == ["pass", "pass"]
        tampered = signed.replace(b"Subject: a test", b"Subject: a tost").replace(b"folded", b"FOLDED")
        assert sorted(opendkim_verify(opendkim_dir, keys, tampered)) == [("fail", "ed25519"), ("fail", "rsa")]
