"""`tern route DOMAIN` shows where mail for a domain goes (RFC 5321 §5.1, RFC 7505), asking a
DNS server on 127.0.0.1 that serves test zones (dns_server.py), never the machine's resolver."""
import subprocess
import time

from conftest import BUILD
from dns_fixture import dns_server  # noqa: F401 (a fixture)

TERN = BUILD / "tern"
SILENT_SERVER_LIMIT = 13  # seconds: tern gives up after 10 (RESOLVER_DEADLINE_SECONDS)


def route(server, domain, *arguments, timeout=60):
    result = subprocess.run([str(TERN), "route", domain, "--resolver", server.address, *arguments],
                            capture_output=True, text=True, timeout=timeout)
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, result.stderr
    return result.returncode, result.stdout + result.stderr


def hosts(output):
    """The host lines: [(preference, name, [addresses])]."""
    lines = [line.split() for line in output.splitlines() if line.startswith("  ") and "note:" not in line]
    return [(int(fields[0]), fields[1], fields[2:]) for fields in lines]


def test_rfc5321_5_1_hosts_by_preference(dns_server):
    dns_server.add("example.test", "MX", "20 mx2.example.test", "10 mx1.example.test", "30 mx3.example.test")
    dns_server.add("mx1.example.test", "A", "192.0.2.10")
    dns_server.add("mx2.example.test", "A", "192.0.2.20")
    dns_server.add("mx3.example.test", "A", "192.0.2.30")
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    assert output.startswith("example.test: 3 hosts (MX)\n"), output
    assert hosts(output) == [(10, "mx1.example.test", ["192.0.2.10"]), (20, "mx2.example.test", ["192.0.2.20"]),
                             (30, "mx3.example.test", ["192.0.2.30"])]
    assert not dns_server.errors


def test_rfc5321_5_1_equal_preferences_are_shuffled(dns_server):
    dns_server.add("example.test", "MX", "10 a.example.test", "10 b.example.test", "5 first.example.test")
    for name in ("a", "b", "first"):
        dns_server.add(f"{name}.example.test", "A", "192.0.2.1")
    seen = set()
    for _ in range(30):
        status, output = route(dns_server, "example.test")
        assert status == 0, output
        names = [name for _, name, _ in hosts(output)]
        assert names[0] == "first.example.test" and sorted(names[1:]) == ["a.example.test", "b.example.test"]
        seen.add(names[1])
        if len(seen) == 2:
            break
    assert seen == {"a.example.test", "b.example.test"}  # a false alarm has odds of 2^-29


def test_aaaa_addresses_before_a(dns_server):
    dns_server.add("example.test", "MX", "10 mx.example.test")
    dns_server.add("mx.example.test", "A", "192.0.2.10", "192.0.2.11")
    dns_server.add("mx.example.test", "AAAA", "2001:db8::10")
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    assert hosts(output) == [(10, "mx.example.test", ["2001:db8::10", "192.0.2.10", "192.0.2.11"])] or \
        hosts(output) == [(10, "mx.example.test", ["2001:db8::10", "192.0.2.11", "192.0.2.10"])]
    assert dns_server.asked("mx.example.test", "AAAA") >= 1 and dns_server.asked("mx.example.test", "A") >= 1


def test_rfc5321_5_1_implicit_mx(dns_server):
    dns_server.add("example.test", "A", "192.0.2.40")
    dns_server.add("example.test", "AAAA", "2001:db8::40")
    status, output = route(dns_server, "Example.TEST.")
    assert status == 0, output
    assert output.startswith("Example.TEST.: 1 host (implicit MX, RFC 5321 section 5.1)\n"), output
    assert hosts(output) == [(0, "example.test", ["2001:db8::40", "192.0.2.40"])]


def test_implicit_mx_without_addresses_is_no_host(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 -all"')
    status, output = route(dns_server, "example.test")
    assert status == 1, output
    assert "no MX, and no address for the domain itself" in output


def test_rfc7505_null_mx(dns_server):
    dns_server.add("example.test", "MX", "0 .")
    dns_server.add("example.test", "A", "192.0.2.1")  # not an implicit MX: the null MX says no mail
    status, output = route(dns_server, "example.test")
    assert status == 1, output
    assert output == "example.test: no mail (null MX, RFC 7505)\n"


def test_rfc7505_null_mx_among_others_is_ignored(dns_server):
    dns_server.add("example.test", "MX", "0 .", "10 mx.example.test")
    dns_server.add("mx.example.test", "A", "192.0.2.10")
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    assert hosts(output) == [(10, "mx.example.test", ["192.0.2.10"])]
    assert "null MX among other MX records: ignored (RFC 7505 section 3)" in output


def test_nxdomain_is_no_such_domain(dns_server):
    status, output = route(dns_server, "nowhere.test")
    assert status == 1, output
    assert output == "nowhere.test: no such domain\n"


def test_servfail_is_temporary(dns_server):
    dns_server.servfail("example.test")
    status, output = route(dns_server, "example.test")
    assert status == 75, output
    assert "example.test: temporary DNS failure: MX lookup for example.test: SERVFAIL" in output


def test_rfc2181_10_3_mx_alias_is_followed_and_noted(dns_server):
    dns_server.add("example.test", "MX", "10 alias.example.test")
    dns_server.add("alias.example.test", "CNAME", "real.example.test")
    dns_server.add("real.example.test", "A", "192.0.2.30")
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    assert hosts(output) == [(10, "alias.example.test", ["192.0.2.30"])]
    assert "alias.example.test is an alias (CNAME), RFC 2181 section 10.3: followed to real.example.test" in output


def test_rfc5321_5_1_address_as_mx_is_skipped(dns_server):
    dns_server.add("example.test", "MX", "5 192.0.2.1", "10 mx.example.test")
    dns_server.add("mx.example.test", "A", "192.0.2.10")
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    assert hosts(output) == [(10, "mx.example.test", ["192.0.2.10"])]
    assert "MX 5 192.0.2.1 is an address, not a name (RFC 5321 section 5.1): skipped" in output


def test_rfc5321_5_1_only_an_address_as_mx_is_no_host(dns_server):
    dns_server.add("example.test", "MX", "10 192.0.2.1")
    dns_server.add("example.test", "A", "192.0.2.1")  # no fallback to the implicit MX either
    status, output = route(dns_server, "example.test")
    assert status == 1, output
    assert "no usable MX host: MX 10 192.0.2.1 is an address, not a name (RFC 5321 section 5.1)" in output


def test_host_without_address_is_skipped(dns_server):
    dns_server.add("example.test", "MX", "10 gone.example.test", "20 empty.example.test", "30 mx.example.test")
    dns_server.add("empty.example.test", "TXT", '"no address here"')
    dns_server.add("mx.example.test", "A", "192.0.2.10")
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    assert hosts(output) == [(30, "mx.example.test", ["192.0.2.10"])]
    assert "gone.example.test: no such host" in output and "empty.example.test: no AAAA or A records" in output


def test_no_host_with_an_address_is_no_host(dns_server):
    dns_server.add("example.test", "MX", "10 gone.example.test")
    status, output = route(dns_server, "example.test")
    assert status == 1, output
    assert "no MX host has an address: gone.example.test: no such host" in output


def test_host_lookup_trouble_is_temporary_when_no_host_is_left(dns_server):
    dns_server.add("example.test", "MX", "10 broken.example.test", "20 gone.example.test")
    dns_server.servfail("broken.example.test")
    status, output = route(dns_server, "example.test")
    assert status == 75, output
    assert "temporary DNS failure: no address yet: broken.example.test: SERVFAIL" in output


def test_rfc5321_4_1_3_address_literal_needs_no_dns(dns_server):
    status, output = route(dns_server, "[127.0.0.9]")
    assert status == 0, output
    assert output == "[127.0.0.9]: 1 host (address literal)\n  0 [127.0.0.9]  127.0.0.9\n"
    status, output = route(dns_server, "[IPv6:::1]", "--port", "2525")
    assert status == 0, output
    assert output == "[IPv6:::1]: 1 host (address literal), port 2525\n  0 [IPv6:::1]  ::1\n"
    status, output = route(dns_server, "[999.0.0.1]")
    assert status == 1 and "not an address literal tern can use" in output
    assert dns_server.queries == []


def test_big_answer_comes_over_tcp(dns_server):
    dns_server.add("example.test", "MX", "10 mx.example.test")
    dns_server.add("mx.example.test", "A", *[f"192.0.2.{i}" for i in range(1, 101)])
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    (_, _, addresses), = hosts(output)
    assert len(addresses) == 8  # ROUTE_ADDRESSES_MAX
    assert ("mx.example.test", "A", "tcp") in dns_server.queries  # truncated over UDP (RFC 7766)


def test_slow_answer_within_limits_is_used(dns_server):
    dns_server.add("example.test", "MX", "10 mx.example.test")
    dns_server.add("mx.example.test", "A", "192.0.2.10")
    dns_server.slow("mx.example.test", seconds=1)
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    assert hosts(output) == [(10, "mx.example.test", ["192.0.2.10"])]


def test_silent_server_is_temporary_within_bounded_time(dns_server):
    dns_server.slow("example.test")  # never answers
    started = time.monotonic()
    status, output = route(dns_server, "example.test")
    elapsed = time.monotonic() - started
    assert status == 75, output
    assert "temporary DNS failure" in output
    assert elapsed < SILENT_SERVER_LIMIT, f"took {elapsed:.1f} s"


def test_silent_host_does_not_hide_the_others(dns_server):
    dns_server.add("example.test", "MX", "10 silent.example.test", "20 mx.example.test")
    dns_server.add("mx.example.test", "A", "192.0.2.20")
    dns_server.slow("silent.example.test")
    status, output = route(dns_server, "example.test")
    assert status == 0, output
    assert hosts(output) == [(20, "mx.example.test", ["192.0.2.20"])]
    assert "silent.example.test:" in output


def test_usage_errors(dns_server):
    for arguments in ([], ["a.test", "b.test"], ["a.test", "--port", "0"], ["a.test", "--port", "x"],
                      ["a.test", "--bogus"]):
        result = subprocess.run([str(TERN), "route", *arguments], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2, (arguments, result.stdout, result.stderr)
        assert "usage: tern route DOMAIN" in result.stderr
    status, output = route(dns_server, "a.test", "--resolver", "not-an-address")
    assert status == 2 and "expected ADDRESS, ADDRESS:PORT or [IPV6]:PORT" in output
    assert dns_server.queries == []
