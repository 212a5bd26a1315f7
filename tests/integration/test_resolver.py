"""The resolver (src/dns/resolver.c over libunbound) through tests/drivers/resolver_driver,
against the test DNS server: each record type parsed, each status told apart (RFC 2308),
CNAMEs reported, and freeing with queries in flight never calls back nor leaks."""
import subprocess

from conftest import BUILD
from dns_fixture import dns_server  # noqa: F401 (a fixture)

DRIVER = BUILD / "tests" / "resolver_driver"


def resolve(server, *arguments, timeout=60):
    result = subprocess.run([str(DRIVER), server.address, *arguments], capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, result.stderr
    return result.stdout


def answers(output):
    """{(name, type): the rest of its line, without the pending count}."""
    found = {}
    for line in output.splitlines():
        fields = line.split(" ", 2)
        if len(fields) == 3 and fields[0] not in ("asked", "freeing", "late"):
            found[(fields[0], fields[1])] = fields[2].rsplit(" pending=", 1)[0]
    return found


def test_each_record_type(dns_server):
    dns_server.add("example.test", "MX", "10 MX1.Example.TEST", "20 mx2.example.test")
    dns_server.add("example.test", "A", "192.0.2.1")
    dns_server.add("example.test", "AAAA", "2001:db8::1")
    dns_server.add("example.test", "TXT", '"v=spf1 " "-all"', '"a\\"b"')
    dns_server.add("1.2.0.192.in-addr.test", "PTR", "host.example.test")
    dns_server.add("_25._tcp.mx1.example.test", "TLSA", "3 1 1 abcdef0123")
    output = resolve(dns_server, "example.test", "MX", "example.test", "A", "example.test", "AAAA",
                     "example.test", "TXT", "1.2.0.192.in-addr.test", "PTR", "_25._tcp.mx1.example.test", "TLSA")
    assert output.startswith("asked pending=6\n"), output
    found = answers(output)
    mx = found[("example.test", "MX")]
    assert mx.startswith('OK secure=0 canonical=""') and "10 mx1.example.test" in mx and "20 mx2.example.test" in mx
    assert found[("example.test", "A")] == 'OK secure=0 canonical="" 192.0.2.1'
    assert found[("example.test", "AAAA")] == 'OK secure=0 canonical="" 2001:db8::1'
    txt = found[("example.test", "TXT")]
    assert '"v=spf1 -all"' in txt and '"a\\x22b"' in txt  # RFC 7208 §3.3: strings joined
    assert found[("1.2.0.192.in-addr.test", "PTR")] == 'OK secure=0 canonical="" host.example.test'
    assert found[("_25._tcp.mx1.example.test", "TLSA")] == 'OK secure=0 canonical="" 030101abcdef0123'


def test_rfc2308_statuses(dns_server):
    dns_server.add("example.test", "A", "192.0.2.1")
    dns_server.servfail("broken.test")
    found = answers(resolve(dns_server, "example.test", "MX", "nowhere.test", "A", "broken.test", "A"))
    assert found[("example.test", "MX")] == 'NODATA secure=0 canonical=""'
    assert found[("nowhere.test", "A")] == 'NXDOMAIN secure=0 canonical=""'
    assert found[("broken.test", "A")].startswith('TEMPFAIL secure=0 canonical="" why="SERVFAIL')


def test_canonical_name_after_cname(dns_server):
    dns_server.add("alias.example.test", "CNAME", "Real.example.test")
    dns_server.add("real.example.test", "A", "192.0.2.30")
    dns_server.add("dangling.example.test", "CNAME", "gone.example.test")
    found = answers(resolve(dns_server, "alias.example.test.", "A", "dangling.example.test", "A"))
    assert found[("alias.example.test.", "A")] == 'OK secure=0 canonical="real.example.test" 192.0.2.30'
    assert found[("dangling.example.test", "A")] == 'NXDOMAIN secure=0 canonical="gone.example.test"'


def test_free_inside_a_callback_stops_the_others(dns_server):
    for i in range(5):
        dns_server.add(f"h{i}.example.test", "A", f"192.0.2.{i}")
    output = resolve(dns_server, "--free-in-callback", *[a for i in range(5) for a in (f"h{i}.example.test", "A")])
    assert len(answers(output)) == 1, output
    assert "late callback" not in output


def test_free_with_queries_in_flight(dns_server):
    dns_server.slow("silent.example.test")
    dns_server.add("fast.example.test", "A", "192.0.2.1")
    output = resolve(dns_server, "--free-after", "300", "silent.example.test", "A", "silent.example.test", "MX",
                     "fast.example.test", "A")
    assert "freeing with pending=2" in output, output
    assert list(answers(output)) == [("fast.example.test", "A")]
    assert "late callback" not in output


def test_name_too_long_fails_later_not_at_once(dns_server):
    name = ".".join(["a" * 60] * 5)  # 304 characters
    found = answers(resolve(dns_server, name, "A"))
    assert found[(name, "A")].startswith('TEMPFAIL secure=0 canonical="" why="name too long')
    assert dns_server.queries == []
