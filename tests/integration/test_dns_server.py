"""The test DNS server (dns_server.py) itself, asked with dnspython's own client: the answers
the route and delivery tests rely on are what an authoritative server gives."""
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from dns_fixture import dns_server  # noqa: F401 (a fixture)


def ask(server, name, rdtype, use_edns=0, tcp=False, timeout=5):
    query = dns.message.make_query(name, rdtype, use_edns=use_edns)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=timeout)


def test_answers_are_authoritative_and_edns_is_echoed(dns_server):
    dns_server.add("example.test", "MX", "10 mx.example.test")
    response = ask(dns_server, "example.test", "MX")
    assert response.rcode() == dns.rcode.NOERROR and response.flags & dns.flags.AA
    assert response.edns == 0
    assert [rdata.to_text() for rdata in response.answer[0]] == ["10 mx.example.test."]
    assert ask(dns_server, "example.test", "MX", use_edns=-1).edns == -1


def test_rfc2308_nodata_and_nxdomain_carry_the_soa(dns_server):
    dns_server.add("a.b.example.test", "A", "192.0.2.1")
    nodata = ask(dns_server, "a.b.example.test", "AAAA")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA
    empty_non_terminal = ask(dns_server, "b.example.test", "A")
    assert empty_non_terminal.rcode() == dns.rcode.NOERROR and not empty_non_terminal.answer
    nxdomain = ask(dns_server, "nowhere.test", "A")
    assert nxdomain.rcode() == dns.rcode.NXDOMAIN and nxdomain.authority[0].rdtype == dns.rdatatype.SOA
    assert ask(dns_server, "example.org", "A").rcode() == dns.rcode.REFUSED  # not a served zone


def test_rfc1034_4_3_2_cname_is_followed(dns_server):
    dns_server.add("alias.example.test", "CNAME", "real.example.test")
    dns_server.add("real.example.test", "A", "192.0.2.30")
    response = ask(dns_server, "alias.example.test", "A")
    assert [rrset.rdtype for rrset in response.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    assert ask(dns_server, "alias.example.test", "CNAME").answer[0].rdtype == dns.rdatatype.CNAME


def test_rfc1035_4_2_1_truncated_over_udp_whole_over_tcp(dns_server):
    dns_server.add("big.example.test", "A", *[f"192.0.2.{i}" for i in range(1, 101)])
    udp = ask(dns_server, "big.example.test", "A", use_edns=-1)
    assert udp.flags & dns.flags.TC and not udp.answer
    assert ask(dns_server, "big.example.test", "A").flags & dns.flags.TC  # 1600 bytes > 1232 EDNS
    tcp = ask(dns_server, "big.example.test", "A", tcp=True)
    assert not tcp.flags & dns.flags.TC and len(tcp.answer[0]) == 100
    assert dns_server.asked("big.example.test", "A") == 3


def test_servfail_and_slow_names(dns_server):
    dns_server.servfail("broken.example.test")
    assert ask(dns_server, "broken.example.test", "MX").rcode() == dns.rcode.SERVFAIL
    dns_server.add("slow.example.test", "A", "192.0.2.1")
    dns_server.slow("slow.example.test", seconds=1)
    started = time.monotonic()
    assert ask(dns_server, "slow.example.test", "A").answer
    assert time.monotonic() - started >= 1
    dns_server.slow("slow.example.test")
    try:
        ask(dns_server, "slow.example.test", "A", timeout=1)
        raise AssertionError("a silent name answered")
    except dns.exception.Timeout:
        pass
    assert not dns_server.errors
