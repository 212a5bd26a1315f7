"""SPF checks (mailauth/spf.c) side by side on one resolver, and cancelled with queries in
flight, through tests/drivers/spf_driver.c under ASan: results never cross, a cancelled check
never calls back, and nothing leaks. The DNS server is on 127.0.0.1 (dns_server.py)."""
import subprocess

from conftest import BUILD
from dns_fixture import dns_server  # noqa: F401 (a fixture)
from dns_server import DnsServer

DRIVER = BUILD / "tests" / "spf_driver"


def drive(server, *arguments):
    result = subprocess.run([str(DRIVER), server.address, *arguments], capture_output=True, text=True, timeout=60)
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_checks_side_by_side(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 mx include:_spf.example.test -all"')
    dns_server.add("example.test", "MX", "10 mx.example.test")
    dns_server.add("mx.example.test", "A", "192.0.2.1")
    dns_server.add("_spf.example.test", "TXT", '"v=spf1 a:out.example.test ~all"')
    dns_server.add("out.example.test", "A", "192.0.2.44")
    lines = drive(dns_server, "192.0.2.44", "a@example.test", "mx.example.test", "20")
    assert lines == ["pass 192.0.2.44 matched a:out.example.test in the record of _spf.example.test"] * 20


def test_cancel_with_a_query_in_flight(dns_server):
    dns_server.add("example.test", "TXT", '"v=spf1 a:slow.example.test -all"')
    dns_server.slow("slow.example.test", seconds=1)
    lines = drive(dns_server, "192.0.2.1", "a@example.test", "mx.example.test", "5", "300")
    assert lines == ["cancelled 5"]
    assert dns_server.asked("slow.example.test") >= 1


def test_cancel_during_ptr_validation():
    with DnsServer(zones=("test", "in-addr.arpa")) as server:
        server.add("example.test", "TXT", '"v=spf1 ptr -all"')
        server.add("1.2.0.192.in-addr.arpa", "PTR", "host.example.test")
        server.slow("host.example.test", seconds=1)
        lines = drive(server, "192.0.2.1", "a@example.test", "mx.example.test", "3", "300")
        assert lines == ["cancelled 3"]
        assert server.asked("1.2.0.192.in-addr.arpa", "PTR") >= 1


def test_rfc7208_5_5_ptr_validated_name():
    with DnsServer(zones=("test", "in-addr.arpa")) as server:
        server.add("example.test", "TXT", '"v=spf1 ptr -all"')
        server.add("1.2.0.192.in-addr.arpa", "PTR", "forged.other.test", "host.example.test")
        server.add("host.example.test", "A", "192.0.2.1")
        server.add("forged.other.test", "A", "192.0.2.99")
        lines = drive(server, "192.0.2.1", "a@example.test", "mx.example.test", "1")
        assert lines == ["pass 192.0.2.1 matched ptr in the record of example.test"]


def test_immediate_result_is_not_a_synchronous_callback(dns_server):
    lines = drive(dns_server, "192.0.2.1", "a@[192.0.2.1]", "mx.example.test", "2")
    assert lines == ['none "[192.0.2.1]" is not a domain name SPF can check (RFC 7208 section 4.3)'] * 2
