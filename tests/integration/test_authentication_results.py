"""Authentication-Results (RFC 8601) against a reference implementation, python3-authres:
the fields we write (the golden files of tests/unit/test_authentication_results.c) read back
with it as we meant them, and the fields it writes, and RFC 8601's own examples (appendix B),
read by ours (tests/drivers/authentication_results_driver) to the same authserv-id, with §5's
removal of those that claim ours."""
import re
import subprocess

import authres
import pytest

from conftest import BUILD, ROOT

DRIVER = BUILD / "tests" / "authentication_results_driver"
GOLDEN = ROOT / "tests" / "unit" / "golden"
OURS = "mx.example.org"


def unfold(field):
    """RFC 5322 §2.2.3: every CRLF followed by WSP removed; the final CRLF too."""
    return re.sub(r"\r\n(?=[ \t])", "", field).rstrip("\r\n")


def read_with_authres(name):
    text = (GOLDEN / f"authentication_results_{name}.txt").read_bytes().decode()
    header = authres.AuthenticationResultsHeader.parse(unfold(text))
    return header.authserv_id, [(r.method, r.result, r.reason, [(p.type, p.name, p.value) for p in r.properties])
                                for r in header.results]


# What each golden file says, as the reference parser must read it.
EXPECTED = {
    "all_pass": [
        ("iprev", "pass", None, [("policy", "iprev", "192.0.2.10")]),
        ("spf", "pass", None, [("smtp", "mailfrom", "alice@example.com"), ("smtp", "helo", "mail.example.com")]),
        ("dkim", "pass", None, [("header", "d", "example.com"), ("header", "s", "s1"), ("header", "a", "rsa-sha256"),
                                ("header", "b", "dzdVyOfA")]),
        ("dkim", "pass", None, [("header", "d", "example.com"), ("header", "s", "ed1"),
                                ("header", "a", "ed25519-sha256"), ("header", "b", "/gCrinpc")]),
        ("dmarc", "pass", None, [("header", "from", "example.com")]),
    ],
    "dmarc_fail": [
        ("spf", "softfail", "192.0.2.99 is not one of example.net's designated senders",
         [("smtp", "mailfrom", "bounce+tag=x@bounces.example.net"), ("smtp", "helo", "out.example.net")]),
        ("dkim", "fail", "body hash did not verify", [("header", "d", "example.net"), ("header", "s", "2024.eu-1"),
                                                      ("header", "a", "rsa-sha256"), ("header", "b", "dzdVyOfA")]),
        ("dmarc", "fail", "no aligned pass for example.com: SPF pass for other.test, 0 DKIM passes; p=reject",
         [("header", "from", "example.com"), ("policy", "dmarc", "reject")]),
    ],
    "null_sender": [
        ("spf", "pass", None, [("smtp", "helo", "mail.example.com")]),
        ("dkim", "none", None, []),
        ("dmarc", "permerror", "several From fields", []),
    ],
    "none": [],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_reads_what_we_write(name):
    authserv_id, results = read_with_authres(name)
    assert authserv_id == OURS
    assert results == EXPECTED[name]


def test_reference_reads_quoted_values():
    # authres keeps quoted-pairs of a reason as written, so only the properties are compared.
    _, results = read_with_authres("quoting")
    assert [(m, r, p) for m, r, _, p in results] == [
        ("spf", "temperror", [("smtp", "mailfrom", '"odd local"@example.com'), ("smtp", "helo", "[192.0.2.1]")]),
        ("dmarc", "none", [("header", "from", "example.com")]),
    ]


def fields_seen(*fields):
    message = "".join(f if f.endswith("\r\n") else f + "\r\n" for f in fields) + "Subject: x\r\n\r\nbody\r\n"
    result = subprocess.run([str(DRIVER), OURS], input=message.encode(), capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert b"Sanitizer" not in result.stderr and b"runtime error" not in result.stderr, result.stderr
    seen = []
    for line in result.stdout.decode().splitlines():
        match = re.fullmatch(r'field (\d+) id="(.*)" result=(\d) drop=([01])', line)
        assert match, line
        seen.append((match[2], int(match[3]), match[4] == "1"))
    return seen


# RFC 8601 appendix B's examples.
RFC8601_EXAMPLES = [
    "Authentication-Results: example.org 1; none",
    "Authentication-Results: example.com;\r\n          spf=pass smtp.mailfrom=example.net",
    "Authentication-Results: example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
    "          spf=pass smtp.mailfrom=example.net",
    "Authentication-Results: example.com;\r\n          sender-id=fail header.from=example.com;\r\n"
    "          dkim=pass (good signature) header.d=example.com",
    "Authentication-Results: example.com;\r\n          dkim=pass reason=\"good signature\"\r\n"
    "            header.i=@mail-router.example.net;\r\n          dkim=fail reason=\"bad signature\"\r\n"
    "            header.i=@newyork.example.com",
    "Authentication-Results: example.net;\r\n          dkim=pass (good signature) header.i=@newyork.example.com",
]


@pytest.mark.parametrize("field", RFC8601_EXAMPLES)
def test_rfc8601_appendix_b_examples(field):
    expected = authres.AuthenticationResultsHeader.parse(unfold(field)).authserv_id
    assert fields_seen(field) == [(expected, 0, False)]


def test_fields_authres_writes():
    written = [
        str(authres.AuthenticationResultsHeader(authserv_id=OURS, results=[
            authres.SPFAuthenticationResult(result="pass", smtp_mailfrom="a@example.com"),
            authres.DKIMAuthenticationResult(result="pass", header_d="example.com", header_i="@example.com")])),
        str(authres.AuthenticationResultsHeader(authserv_id="upstream.example.net", results=[
            authres.SPFAuthenticationResult(result="fail", smtp_mailfrom="b@example.net", reason="not allowed")])),
        str(authres.AuthenticationResultsHeader(authserv_id="MX.EXAMPLE.ORG")),
    ]
    expected = [authres.AuthenticationResultsHeader.parse(field).authserv_id for field in written]
    assert fields_seen(*written) == [(expected[0], 0, True), (expected[1], 0, False), (expected[2], 0, True)]


def test_rfc8601_5_forged_fields_are_dropped():
    seen = fields_seen(
        "Authentication-Results: (forged upstream) " + OURS + " 1 (version);\r\n dmarc=pass header.from=bank.test",
        "Authentication-Results: \"" + OURS + "\"; spf=pass",
        "Authentication-Results: " + OURS + ".evil.test; spf=pass",
        "Authentication-Results: ; spf=pass",
        "X-Other: " + OURS)
    assert seen == [(OURS, 0, True), (OURS, 0, True), (OURS + ".evil.test", 0, False), ("", 2, True)]
