"""`tern spf` prints the SPF result (RFC 7208) word first, then why, as "key: value" lines,
asking a DNS server on 127.0.0.1 that serves test zones (dns_server.py), never the machine's
resolver. Exit 0 whatever the result; 2 on a usage error."""
import subprocess

from conftest import BUILD
from dns_fixture import dns_server  # noqa: F401 (a fixture)

TERN = BUILD / "tern"


def spf(server, *arguments):
    result = subprocess.run([str(TERN), "spf", *arguments, "--resolver", server.address],
                            capture_output=True, text=True, timeout=60)
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, result.stderr
    return result.returncode, result.stdout, result.stderr


def fields(output):
    """The result word and the key: value lines."""
    lines = output.splitlines()
    return lines[0], dict(line.split(": ", 1) for line in lines[1:])


def test_pass_says_which_mechanism(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 ip4:192.0.2.0/24 -all"')
    status, output, _ = spf(dns_server, "--ip", "192.0.2.7", "--sender", "alice@example.test", "--helo", "mx.example.test")
    assert status == 0
    word, why = fields(output)
    assert word == "pass"
    assert why == {"reason": "192.0.2.7 matched ip4:192.0.2.0/24 in the record of example.test",
                   "identity": "mailfrom", "sender": "alice@example.test", "domain": "example.test",
                   "mechanism": "ip4:192.0.2.0/24"}
    assert dns_server.asked("example.test", "SPF") == 0  # RFC 7208 §3.1: type SPF is never asked


def test_fail_with_explanation(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 mx -all exp=why.example.test"')
    dns_server.add("example.test", "MX", "10 mx.example.test")
    dns_server.add("mx.example.test", "A", "192.0.2.10")
    dns_server.add("why.example.test", "TXT", '"%{i} may not send for %{d}; see https://example.test/spf"')
    status, output, _ = spf(dns_server, "--ip", "198.51.100.1", "--sender", "bob@example.test")
    word, why = fields(output)
    assert status == 0 and word == "fail"
    assert why["mechanism"] == "-all"
    assert why["explanation"] == "198.51.100.1 may not send for example.test; see https://example.test/spf"


def test_none_without_record(dns_server):
    dns_server.add("example.test", "TXT", '"google-site-verification=abc"')
    status, output, _ = spf(dns_server, "--ip", "192.0.2.1", "--sender", "a@example.test")
    word, why = fields(output)
    assert status == 0 and word == "none"
    assert why["reason"] == "no SPF record at example.test"
    assert "mechanism" not in why


def test_rfc7208_2_3_helo_identity(dns_server):
    dns_server.add("mx.example.test", "TXT", '"v=spf1 a -all"')
    dns_server.add("mx.example.test", "A", "192.0.2.25")
    status, output, _ = spf(dns_server, "--ip", "192.0.2.25", "--helo", "mx.example.test")
    word, why = fields(output)
    assert status == 0 and word == "pass"
    assert why["identity"] == "helo" and why["sender"] == "postmaster@mx.example.test"
    assert why["domain"] == "mx.example.test"


def test_rfc7208_4_3_null_sender_is_postmaster_at_helo(dns_server):
    dns_server.add("mx.example.test", "TXT", '"v=spf1 ~all"')
    status, output, _ = spf(dns_server, "--ip", "192.0.2.25", "--sender", "", "--helo", "mx.example.test")
    word, why = fields(output)
    assert word == "softfail"
    assert why["identity"] == "mailfrom" and why["sender"] == "postmaster@mx.example.test"


def test_include_names_the_top_term(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 include:_spf.provider.test -all"')
    dns_server.add("_spf.provider.test", "TXT", '"v=spf1 ip6:2001:db8::/32 ~all"')
    status, output, _ = spf(dns_server, "--ip", "2001:db8::5", "--sender", "c@example.test")
    word, why = fields(output)
    assert word == "pass"
    assert why["mechanism"] == "include:_spf.provider.test"
    assert why["reason"] == "2001:db8::5 matched ip6:2001:db8::/32 in the record of _spf.provider.test"


def test_rfc7208_5_ipv4_mapped_client_is_ipv4(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 ip4:192.0.2.0/24 -all"')
    _, output, _ = spf(dns_server, "--ip", "::ffff:192.0.2.9", "--sender", "d@example.test")
    assert fields(output)[0] == "pass"


def test_rfc7208_3_3_strings_are_joined(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 ip4:192.0.2.1" " -all"')
    _, output, _ = spf(dns_server, "--ip", "192.0.2.1", "--sender", "e@example.test")
    assert fields(output)[0] == "pass"


def test_rfc7208_4_5_two_records_permerror(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 -all"', '"v=spf1 +all"')
    _, output, _ = spf(dns_server, "--ip", "192.0.2.1", "--sender", "f@example.test")
    word, why = fields(output)
    assert word == "permerror" and why["reason"] == "example.test has 2 SPF records (RFC 7208 section 4.5)"


def test_syntax_error_names_the_term(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 ip4:192.0.2.300 -all"')
    _, output, _ = spf(dns_server, "--ip", "192.0.2.1", "--sender", "g@example.test")
    word, why = fields(output)
    assert word == "permerror"
    assert why["reason"] == ('the SPF record of example.test: syntax error (RFC 7208 section 12) '
                             'at "ip4:192.0.2.300"')


def test_dns_failure_is_temperror(dns_server):
    dns_server.servfail("example.test")
    status, output, _ = spf(dns_server, "--ip", "192.0.2.1", "--sender", "h@example.test")
    word, why = fields(output)
    assert status == 0 and word == "temperror"
    assert why["reason"].startswith("DNS error looking up the SPF record of example.test")


def test_rfc7208_4_6_4_lookup_limit(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 ' + " ".join(f"a:h{i}.example.test" for i in range(11)) + ' -all"')
    for i in range(11):
        dns_server.add(f"h{i}.example.test", "A", "198.51.100.1")
    _, output, _ = spf(dns_server, "--ip", "192.0.2.1", "--sender", "i@example.test")
    word, why = fields(output)
    assert word == "permerror"
    assert why["reason"].startswith("more than 10 DNS-querying terms (RFC 7208 section 4.6.4)")
    assert dns_server.asked("h10.example.test") == 0


def test_usage_errors(dns_server):
    assert spf(dns_server, "--sender", "a@example.test")[0] == 2
    status, _, error = spf(dns_server, "--ip", "not-an-address", "--sender", "a@example.test")
    assert status == 2 and "not an IPv4 or IPv6 address" in error
    status, _, error = spf(dns_server, "--ip", "192.0.2.1")
    assert status == 2 and "--helo is needed" in error
    assert spf(dns_server, "--ip", "192.0.2.1", "--sender", "a@b.test", "extra")[0] == 2


def test_mx_exchange_with_odd_bytes(dns_server):
    """A name from DNS is asked as the resolver gave it, escapes and all (not escaped twice)."""
    dns_server.add("example.test", "TXT", '"v=spf1 mx -all"')
    dns_server.add("example.test", "MX", "10 odd\\032host.example.test")
    dns_server.add("odd\\032host.example.test", "A", "192.0.2.77")
    _, output, _ = spf(dns_server, "--ip", "192.0.2.77", "--sender", "j@example.test")
    assert fields(output)[0] == "pass", output


def test_rfc7208_7_3_macro_with_space_is_escaped(dns_server):
    """%_ puts a space into a label (RFC 7208 §7.1); the query carries it as a byte."""
    dns_server.add("example.test", "TXT", '"v=spf1 exists:a%_b.example.test -all"')
    dns_server.add("a\\032b.example.test", "A", "127.0.0.2")
    _, output, _ = spf(dns_server, "--ip", "192.0.2.1", "--sender", "k@example.test")
    assert fields(output)[0] == "pass", output


def test_resolver_option_anywhere_or_from_the_environment(dns_server):  # noqa: F811 (the fixture)
    """--resolver belongs to every tern command: before the command, after it, or $TERN_RESOLVER."""
    import os
    dns_server.add("anywhere.test", "TXT", '"v=spf1 ip4:192.0.2.0/24 -all"')
    question = ["--ip", "192.0.2.5", "--sender", "a@anywhere.test"]
    outputs = [
        subprocess.run([str(TERN), "--resolver", dns_server.address, "spf", *question], capture_output=True,
                       text=True, timeout=30),
        subprocess.run([str(TERN), "spf", *question, f"--resolver={dns_server.address}"], capture_output=True,
                       text=True, timeout=30),
        subprocess.run([str(TERN), "spf", *question], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, TERN_RESOLVER=dns_server.address)),
    ]
    assert all(o.returncode == 0 and o.stdout.startswith("pass\n") for o in outputs), outputs
    assert subprocess.run([str(TERN), "spf", *question, "--resolver"], capture_output=True).returncode == 2
    # a command that looks nothing up takes it too
    passwd = subprocess.run([str(TERN), "--resolver", dns_server.address, "passwd"], input="secret\nsecret\n",
                            capture_output=True, text=True, timeout=30)
    assert passwd.returncode == 0 and passwd.stdout.startswith("$"), passwd
