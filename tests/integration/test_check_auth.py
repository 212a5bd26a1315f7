"""The SPF, DMARC and DKIM sections of `tern check DOMAIN` (issue 6), each finding good and
bad, against records served by the test DNS server on 127.0.0.1. DNS only (--no-probe):
nothing connects anywhere."""
import base64
import subprocess

import pytest

from dns_server import DnsServer
from test_check import TERN, find, one, tern_check


@pytest.fixture
def dns():
    server = DnsServer(zones=("test",)).start()
    yield server
    server.stop()


def check(dns, domain, *arguments, null_mx=True):
    """DNS only; the domain gets a null MX (an ok finding) so that only what a test publishes
    decides the exit status."""
    if null_mx:
        dns.add(domain, "MX", "0 .")
    return tern_check(dns, domain, "--no-probe", *arguments)


def txt(text):
    """text as a TXT record in strings of 255 octets at most (RFC 1035 §3.3.14)."""
    return " ".join(f'"{text[i:i + 255]}"' for i in range(0, len(text), 255))


# --- SPF ------------------------------------------------------------------------------------------

def test_spf_good_record(dns):
    dns.add("good.test", "TXT", '"v=spf1 ip4:198.18.0.0/24 include:_spf.good.test -all"', '"other text"')
    dns.add("_spf.good.test", "TXT", '"v=spf1 ip6:2001:db8::/32 -all"')
    _, report, _ = check(dns, "good.test")
    one(report, "SPF", "", "ok", "one SPF record: v=spf1 ip4:198.18.0.0/24")
    one(report, "SPF", "", "ok", "-all: receivers may refuse mail from servers you did not list")
    one(report, "SPF", "", "ok", "1 DNS-querying terms of the 10 allowed")
    assert not find(report, "SPF", status="warn") and not find(report, "SPF", status="fail")


def test_spf_missing_and_several(dns):
    dns.add("none.test", "TXT", '"google-site-verification=x"')
    _, report, _ = check(dns, "none.test")
    finding = one(report, "SPF", "", "warn", "no SPF record at none.test: receivers cannot tell forged mail")
    assert "v=spf1" in finding["fix"]
    assert len(find(report, "SPF")) == 1  # no totals for a record that is not there
    dns.add("two.test", "TXT", '"v=spf1 -all"', '"v=spf1 mx -all"')
    status, report, _ = check(dns, "two.test")
    assert status == 2
    one(report, "SPF", "", "fail", "2 SPF records at two.test: receivers return permerror")


def test_spf_syntax_error_names_the_term(dns):
    dns.add("bad.test", "TXT", '"v=spf1 mx foo:bar -all"')
    status, report, _ = check(dns, "bad.test")
    assert status == 2
    finding = one(report, "SPF", "", "fail", 'syntax error: "foo:bar" breaks the grammar')
    assert finding["fix"]


@pytest.mark.parametrize("all_, status, why", [
    ("+all", "fail", "+all: anyone may send as you"),
    ("?all", "warn", "?all: mail from unlisted servers is neutral"),
    ("~all", "info", "~all: mail from unlisted servers softfails"),
    ("-all", "ok", "-all: receivers may refuse"),
])
def test_spf_all_qualifiers(dns, all_, status, why):
    dns.add("q.test", "TXT", f'"v=spf1 ip4:198.18.0.1 {all_}"')
    _, report, _ = check(dns, "q.test")
    one(report, "SPF", "", status, why)


def test_spf_no_all_ptr_and_redirect(dns):
    dns.add("open.test", "TXT", '"v=spf1 ip4:198.18.0.1 ptr"')
    _, report, _ = check(dns, "open.test")
    one(report, "SPF", "", "warn", "no all and no redirect=")
    one(report, "SPF", "", "warn", "ptr: RFC 7208 §5.5 says do not use ptr")
    # redirect=: the target's all decides (RFC 7208 §6.1), and the redirect is a lookup
    dns.add("redir.test", "TXT", '"v=spf1 redirect=_spf.redir.test"')
    dns.add("_spf.redir.test", "TXT", '"v=spf1 ip4:198.18.0.1 ?all"')
    _, report, _ = check(dns, "redir.test")
    one(report, "SPF", "_spf.redir.test", "warn", "?all")
    one(report, "SPF", "", "ok", "1 DNS-querying terms")
    assert not find(report, "SPF", why="no all")


def test_spf_lookup_totals_across_includes(dns):
    # 3 in the record, 5 in the included one: 8, close to 10
    dns.add("near.test", "TXT", '"v=spf1 a mx include:_spf.near.test -all"')
    dns.add("near.test", "A", "198.18.0.1")
    dns.add("near.test", "MX", "10 near.test")
    dns.add("_spf.near.test", "TXT", '"v=spf1 a:near.test mx:near.test a:near.test a:near.test exists:near.test -all"')
    _, report, _ = check(dns, "near.test", null_mx=False)
    one(report, "SPF", "", "warn", "8 DNS-querying terms: close to RFC 7208 §4.6.4's limit of 10")
    # three includes of four lookups each, plus the includes themselves: 15
    spf = " ".join(f"include:i{n}.over.test" for n in range(3))
    dns.add("over.test", "TXT", f'"v=spf1 {spf} -all"')
    dns.add("over.test", "A", "198.18.0.1")
    for n in range(3):
        dns.add(f"i{n}.over.test", "TXT", '"v=spf1 a:over.test a:over.test a:over.test a:over.test -all"')
    status, report, _ = check(dns, "over.test")
    assert status == 2
    finding = one(report, "SPF", "", "fail", "15 DNS-querying terms")
    assert "over RFC 7208 §4.6.4's 10" in finding["why"] and "ip4:" in finding["fix"]


def test_spf_includes_are_fetched_concurrently(dns):
    # the test server answers one question at a time, so silence, not slowness: three includes
    # that never answer cost one wait for libunbound to give up (about 6 s here), not three
    dns.add("slow.test", "TXT", '"v=spf1 include:s1.slow.test include:s2.slow.test include:s3.slow.test -all"')
    for n in (1, 2, 3):
        dns.slow(f"s{n}.slow.test")
    _, report, elapsed = check(dns, "slow.test")
    for n in (1, 2, 3):
        one(report, "SPF", f"s{n}.slow.test", "warn", f"TXT lookup of s{n}.slow.test failed")
    one(report, "SPF", "", "ok", "3 DNS-querying terms")
    assert elapsed < 12, elapsed


def test_spf_void_lookups_and_missing_include(dns):
    dns.add("void.test", "TXT", '"v=spf1 a:gone1.void.test a:gone2.void.test mx:gone3.void.test '
                                'include:norecord.void.test -all"')
    dns.add("norecord.void.test", "TXT", '"not spf"')
    status, report, _ = check(dns, "void.test")
    assert status == 2
    one(report, "SPF", "", "fail", "3 void lookups (names without records): over RFC 7208 §4.6.4's 2")
    one(report, "SPF", "gone1.void.test", "warn", "a:gone1.void.test in void.test: gone1.void.test has no address")
    one(report, "SPF", "gone3.void.test", "warn", "has no MX records")
    one(report, "SPF", "norecord.void.test", "fail",
        "include:norecord.void.test in void.test: norecord.void.test has no SPF record: receivers return permerror")


def test_spf_mx_with_too_many_names(dns):
    dns.add("many.test", "TXT", '"v=spf1 mx:mx.many.test -all"')
    dns.add("mx.many.test", "MX", *(f"{n} h{n}.many.test" for n in range(11)))
    status, report, _ = check(dns, "many.test")
    assert status == 2
    one(report, "SPF", "mx.many.test", "fail", "mx.many.test has 11 MX names, over RFC 7208 §4.6.4's 10")


def test_spf_include_loop_is_cut(dns):
    dns.add("loop.test", "TXT", '"v=spf1 include:loop.test -all"')
    status, report, _ = check(dns, "loop.test")
    assert status == 2
    one(report, "SPF", "", "warn", "not all were followed")
    one(report, "SPF", "", "fail", "DNS-querying terms")


# --- DMARC ----------------------------------------------------------------------------------------

def test_dmarc_good_record(dns):
    dns.add("_dmarc.good.test", "TXT", '"v=DMARC1; p=reject; rua=mailto:d@good.test"', '"unrelated"')
    _, report, _ = check(dns, "good.test")
    one(report, "DMARC", "", "ok", "p=reject: receivers refuse mail that fails DMARC")
    one(report, "DMARC", "", "ok", "aggregate reports go to mailto:d@good.test")
    assert not find(report, "DMARC", status="warn") and not find(report, "DMARC", status="fail")
    dns.add("_dmarc.q.test", "TXT", '"v=DMARC1; p=quarantine; rua=mailto:d@q.test; adkim=s; aspf=s; sp=reject"')
    _, report, _ = check(dns, "q.test")
    one(report, "DMARC", "", "ok", "p=quarantine: receivers put in spam mail that fails DMARC")
    one(report, "DMARC", "", "info", "adkim=s")
    one(report, "DMARC", "", "info", "aspf=s")
    one(report, "DMARC", "", "info", "sp=reject: the policy for subdomains of q.test")


def test_dmarc_weak_record(dns):
    dns.add("_dmarc.weak.test", "TXT", '"v=DMARC1; p=none; pct=20"')
    status, report, _ = check(dns, "weak.test")
    assert status == 1
    one(report, "DMARC", "", "warn", "p=none: monitoring only")
    one(report, "DMARC", "", "warn", "pct=20: the policy applies to only 20% of failing mail")
    assert "rua=mailto:" in one(report, "DMARC", "", "warn", "no rua=: you get no aggregate reports")["fix"]


def test_dmarc_missing_syntax_and_several(dns):
    _, report, _ = check(dns, "none.test")
    one(report, "DMARC", "", "warn", "no DMARC record at _dmarc.none.test: receivers cannot act on forged mail")
    dns.add("_dmarc.bad.test", "TXT", '"v=DMARC1; p=sometimes"')
    status, report, _ = check(dns, "bad.test")
    assert status == 2
    one(report, "DMARC", "", "fail", "record at _dmarc.bad.test: ")
    dns.add("_dmarc.two.test", "TXT", '"v=DMARC1; p=none"', '"v=DMARC1; p=reject"')
    status, report, _ = check(dns, "two.test")
    assert status == 2
    one(report, "DMARC", "", "fail", "2 DMARC records at _dmarc.two.test: receivers ignore them all")


def test_dmarc_organizational_domain_covers_subdomain(dns):
    dns.add("_dmarc.org.test", "TXT", '"v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@org.test"')
    _, report, _ = check(dns, "mail.org.test")
    one(report, "DMARC", "", "ok", "no record at _dmarc.mail.org.test: covered by the organizational domain's "
                                   "record at _dmarc.org.test, whose sp= gives p=quarantine")
    dns.add("_dmarc.lax.test", "TXT", '"v=DMARC1; p=reject; sp=none; rua=mailto:d@lax.test"')
    _, report, _ = check(dns, "sub.lax.test")
    one(report, "DMARC", "", "warn", "whose sp= gives p=none")
    _, report, _ = check(dns, "sub.bare.test")
    one(report, "DMARC", "", "warn", "no DMARC record at _dmarc.sub.bare.test nor at _dmarc.bare.test")


# --- DKIM -----------------------------------------------------------------------------------------

def keygen(tmp_path, domain, selector, bits=2048):
    """`tern dkim keygen`'s two records: {selector-rsa: text, selector-ed25519: text}."""
    directory = tmp_path / selector
    directory.mkdir()
    out = subprocess.run([str(TERN), "dkim", "keygen", domain, selector, "--dir", str(directory),
                          "--rsa-bits", str(bits)], capture_output=True, text=True, check=True).stdout
    records = {}
    for line in out.splitlines():
        name, _, _, text = line.split(" ", 3)
        records[name.split(".")[0]] = text
    return records


def openssl_rsa_record(bits, extra=""):
    """A key record for an RSA key of bits (openssl makes keys tern dkim keygen refuses)."""
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=key, capture_output=True,
                         check=True).stdout
    return txt(f"v=DKIM1; {extra}p={base64.b64encode(der).decode()}")


def test_dkim_without_selector_says_how(dns):
    _, report, _ = check(dns, "nosel.test")
    finding = one(report, "DKIM", "", "info", "selectors cannot be discovered from DNS")
    assert "--selector" in finding["fix"]


def test_dkim_good_keys(dns, tmp_path):
    records = keygen(tmp_path, "keys.test", "s1")
    for selector, text in records.items():
        dns.add(f"{selector}._domainkey.keys.test", "TXT", text)
    _, report, _ = check(dns, "keys.test", "--selector", "s1-rsa", "--selector", "s1-ed25519")
    one(report, "DKIM", "s1-rsa", "ok", "RSA key of 2048 bits")
    one(report, "DKIM", "s1-ed25519", "ok", "Ed25519 key (RFC 8463)")
    assert not find(report, "DKIM", status="warn") and not find(report, "DKIM", status="fail")


def test_dkim_small_keys(dns):
    dns.add("weak._domainkey.keys.test", "TXT", openssl_rsa_record(1024))
    dns.add("tiny._domainkey.keys.test", "TXT", openssl_rsa_record(512))
    status, report, _ = check(dns, "keys.test", "--selector", "weak", "--selector", "tiny")
    assert status == 2
    one(report, "DKIM", "weak", "warn", "RSA key of 1024 bits: weak, RFC 8301 §3.2 asks for 2048")
    one(report, "DKIM", "tiny", "fail", "RSA key of 512 bits: verifiers refuse keys under 1024")


def test_dkim_record_oddities(dns, tmp_path):
    rsa = keygen(tmp_path, "odd.test", "k")["k-rsa"]
    key = "".join(rsa.replace('" "', "").strip('"').split("p=")[1:])
    dns.add("testing._domainkey.odd.test", "TXT", txt(f"v=DKIM1; t=y; p={key}"))
    dns.add("sha1._domainkey.odd.test", "TXT", txt(f"v=DKIM1; h=sha1; p={key}"))
    dns.add("tls._domainkey.odd.test", "TXT", txt(f"v=DKIM1; s=tlsrpt; p={key}"))
    dns.add("strict._domainkey.odd.test", "TXT", txt(f"v=DKIM1; t=s; p={key}"))
    dns.add("other._domainkey.odd.test", "TXT", txt(f"v=DKIM1; k=dsa; p={key}"))
    dns.add("revoked._domainkey.odd.test", "TXT", '"v=DKIM1; p="')
    dns.add("garbage._domainkey.odd.test", "TXT", '"v=DKIM1; p=!!!"')
    dns.add("notakey._domainkey.odd.test", "TXT", '"v=DKIM1; p=aGVsbG8="')
    dns.add("twice._domainkey.odd.test", "TXT", txt(f"v=DKIM1; p={key}"), '"v=DKIM1; p="')
    selectors = ["testing", "sha1", "tls", "strict", "other", "revoked", "garbage", "notakey", "twice", "missing"]
    status, report, _ = check(dns, "odd.test", *[a for s in selectors for a in ("--selector", s)])
    assert status == 2
    one(report, "DKIM", "testing", "warn", "t=y: testing mode")
    one(report, "DKIM", "sha1", "fail", "h= excludes sha256")
    one(report, "DKIM", "tls", "fail", "s= excludes email")
    one(report, "DKIM", "strict", "info", "t=s")
    one(report, "DKIM", "strict", "ok", "RSA key of 2048 bits")
    one(report, "DKIM", "other", "fail", "unknown key type k=")
    one(report, "DKIM", "revoked", "warn", "revoked (empty p=)")
    one(report, "DKIM", "garbage", "fail", "key record at garbage._domainkey.odd.test: ")
    one(report, "DKIM", "notakey", "fail", "p= is not a valid RSA public key")
    one(report, "DKIM", "twice", "fail", "2 TXT records at twice._domainkey.odd.test")
    one(report, "DKIM", "missing", "fail", "no key record at missing._domainkey.odd.test")
