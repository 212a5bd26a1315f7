"""`tern check --self -c FILE` (issue 6): a generated ternd config (DKIM keys from `tern dkim
keygen`, certificates from openssl) against records served by the test DNS server on
127.0.0.1, published right and wrong. DNS only: nothing connects anywhere. Addresses come from
198.18.0.0/15 (RFC 2544): libunbound answers the reverse zones of loopback and private ranges
itself (RFC 6303), so their PTRs would never reach the test server."""
import datetime
import subprocess

import pytest

from conftest import make_certificate
from dns_server import DnsServer
from test_check import TERN, certificate, find, one, tern_check


@pytest.fixture
def dns():
    server = DnsServer(zones=("test", "in-addr.arpa")).start()
    yield server
    server.stop()


def keygen(directory, domain, selector):
    """Writes DIR/SELECTOR-rsa.key and DIR/SELECTOR-ed25519.key; returns the records to
    publish as [(name, TXT strings)]."""
    out = subprocess.run([str(TERN), "dkim", "keygen", domain, selector, "--dir", str(directory)],
                         capture_output=True, text=True, check=True).stdout
    return [(line.split(" ", 3)[0], line.split(" ", 3)[3]) for line in out.splitlines()]


def write_config(directory, hostname, domains, source=None, certificates=(), dkim=None):
    """ternd.conf in directory: domains each with a postmaster alias; dkim: {domain: selector}
    makes keys with tern dkim keygen and returns their records."""
    (directory / "users").write_text("")
    (directory / "aliases").write_text("postmaster: root@elsewhere.invalid\n")
    records = []
    lines = [f"hostname {hostname}", 'spool "spool"', "listen 127.28.0.1:25 smtp"]
    if source:
        lines.append(f"source-address {source}")
    for name in certificates:
        lines.append(f'tls cert "{name}.crt" key "{name}.key"')
    for domain in domains:
        lines += [f"domain {domain} {{", '  users "users"', '  aliases "aliases"', '  deliver maildir "mail/%u"']
        selector = (dkim or {}).get(domain)
        if selector:
            records += keygen(directory, domain, selector)
            lines.append(f'  dkim selector {selector}-rsa key "{selector}-rsa.key"')
            lines.append(f'  dkim selector {selector}-ed25519 key "{selector}-ed25519.key"')
        lines.append("}")
    config = directory / "ternd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config, records


def publish(dns, records):
    for name, strings in records:
        dns.add(name, "TXT", strings)


def self_check(dns, config):
    return tern_check(dns, "--self", "-c", str(config))


def test_self_all_good(dns, tmp_path):
    make_certificate(tmp_path, "mx.self.test")
    config, records = write_config(tmp_path, "mx.self.test", ["self.test"], source="198.18.28.1",
                                   certificates=["mx.self.test"], dkim={"self.test": "k1"})
    publish(dns, records)
    dns.add("mx.self.test", "A", "198.18.28.1")
    dns.add("1.28.18.198.in-addr.arpa", "PTR", "mx.self.test.")
    dns.add("self.test", "MX", "10 mx.self.test", "20 backup.other.test")
    dns.add("backup.other.test", "A", "198.18.99.1")
    dns.add("self.test", "TXT", '"v=spf1 a:mx.self.test -all"')
    status, report, _ = self_check(dns, config)
    assert status == 0, report
    assert report["target"] == "mx.self.test"
    one(report, "Host", "mx.self.test", "ok", "resolves to 198.18.28.1")
    one(report, "Reverse DNS", "198.18.28.1", "ok", "PTR mx.self.test, which resolves back to 198.18.28.1 "
                                                  "(forward-confirmed)")
    one(report, "SPF", "self.test", "ok", "pass for 198.18.28.1 (198.18.28.1 matched a:mx.self.test")
    one(report, "DKIM", "k1-rsa._domainkey.self.test", "ok", "the published key matches the configured RSA key")
    one(report, "DKIM", "k1-ed25519._domainkey.self.test", "ok", "matches the configured ED25519 key")
    one(report, "MX", "self.test", "ok", "MX mx.self.test points at this host")
    one(report, "MX", "self.test", "info", "MX backup.other.test is another host")
    days = one(report, "TLS", str(tmp_path / "mx.self.test.crt"), "ok", "certificate valid for ")["why"].split()[3]
    assert days in ("29", "30"), days
    one(report, "TLS", "mx.self.test", "ok", "covered by the certificate")


def test_self_everything_wrong(dns, tmp_path):
    make_certificate(tmp_path, "mx.bad.test", days=5)
    config, records = write_config(tmp_path, "mx.bad.test", ["bad.test", "elsewhere.test"], source="198.18.28.2",
                                   certificates=["mx.bad.test"], dkim={"bad.test": "k1"})
    other = tmp_path / "other"
    other.mkdir()
    dns.add("k1-rsa._domainkey.bad.test", "TXT", keygen(other, "bad.test", "k1")[0][1])  # someone else's key
    dns.add("mx.bad.test", "A", "198.18.28.10")
    dns.add("2.28.18.198.in-addr.arpa", "PTR", "other.bad.test.")
    dns.add("bad.test", "TXT", '"v=spf1 ip4:198.18.99.0/24 -all"')
    dns.add("bad.test", "MX", "10 mx2.bad.test")
    dns.add("mx2.bad.test", "A", "198.18.28.2")  # ours by the outbound address, not by name
    dns.add("elsewhere.test", "MX", "10 far.test")
    dns.add("far.test", "A", "198.18.99.9")
    status, report, _ = self_check(dns, config)
    assert status == 2
    one(report, "Reverse DNS", "198.18.28.2", "fail", "PTR other.bad.test, not the hostname mx.bad.test")
    finding = one(report, "SPF", "bad.test", "fail", "fail for 198.18.28.2 sending as postmaster@bad.test")
    assert "ip4:" in finding["fix"]
    one(report, "SPF", "elsewhere.test", "fail", "none for 198.18.28.2 sending as postmaster@elsewhere.test")
    one(report, "DKIM", "k1-rsa._domainkey.bad.test", "fail", "the published key is not the configured key")
    one(report, "DKIM", "k1-ed25519._domainkey.bad.test", "fail", "no key record")
    one(report, "MX", "bad.test", "ok", "MX mx2.bad.test points at this host")
    one(report, "TLS", "mx2.bad.test", "fail", "no configured certificate covers the MX name mx2.bad.test")
    one(report, "MX", "elsewhere.test", "fail", "no MX of elsewhere.test points at this host (mx.bad.test)")
    days = one(report, "TLS", str(tmp_path / "mx.bad.test.crt"), "warn", "certificate expires in ")["why"].split()[3]
    assert days in ("4", "5"), days


def test_self_hostname_without_address_and_no_certificate(dns, tmp_path):
    config, _ = write_config(tmp_path, "mx.gone.test", ["gone.test"])
    status, report, _ = self_check(dns, config)
    assert status == 2
    one(report, "Host", "mx.gone.test", "fail", "the hostname has no A/AAAA record")
    one(report, "Reverse DNS", "", "fail", "no outbound address known")
    one(report, "TLS", "", "warn", "no certificate configured")
    one(report, "MX", "gone.test", "fail", "gone.test has no MX records")


@pytest.mark.parametrize("ptr, why", [
    ("mx.ptr.test.", "PTR mx.ptr.test, but mx.ptr.test does not resolve to 198.18.28.3: not forward-confirmed"),
    (None, "no PTR record"),
])
def test_self_ptr_not_confirmed(dns, tmp_path, ptr, why):
    config, _ = write_config(tmp_path, "mx.ptr.test", ["ptr.test"], source="198.18.28.3")
    dns.add("mx.ptr.test", "A", "198.18.28.4")
    if ptr:
        dns.add("3.28.18.198.in-addr.arpa", "PTR", ptr)
    _, report, _ = self_check(dns, config)
    one(report, "Reverse DNS", "198.18.28.3", "fail", why)


def test_self_hostname_addresses_are_the_outbound_ones(dns, tmp_path):
    config, _ = write_config(tmp_path, "mx.host.test", ["host.test"])
    dns.add("mx.host.test", "A", "198.18.28.5")
    dns.add("5.28.18.198.in-addr.arpa", "PTR", "mx.host.test.")
    dns.add("host.test", "TXT", '"v=spf1 ip4:198.18.28.5 -all"')
    dns.add("host.test", "MX", "10 mx.host.test")
    _, report, _ = self_check(dns, config)
    one(report, "Reverse DNS", "198.18.28.5", "ok", "forward-confirmed")
    one(report, "SPF", "host.test", "ok", "pass for 198.18.28.5")


def test_self_expired_certificate(dns, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate(tmp_path, "mx.old.test", now - datetime.timedelta(days=60), now - datetime.timedelta(days=1))
    config, _ = write_config(tmp_path, "mx.old.test", ["old.test"], certificates=["mx.old.test"])
    dns.add("mx.old.test", "A", "198.18.28.6")
    dns.add("old.test", "MX", "10 mx.old.test")
    status, report, _ = self_check(dns, config)
    assert status == 2
    one(report, "TLS", str(tmp_path / "mx.old.test.crt"), "fail", "certificate expired")
    one(report, "TLS", "mx.old.test", "ok", "covered by the certificate")


def test_self_bad_config_and_usage(dns, tmp_path):
    config = tmp_path / "ternd.conf"
    config.write_text("hostname\n")
    result = subprocess.run([str(TERN), "check", "--self", "-c", str(config)], capture_output=True, text=True)
    assert result.returncode == 2 and "ternd.conf" in result.stderr
    for arguments in (["--self"], ["--self", "-c", str(config), "example.test"], ["-c", str(config), "x.test"]):
        result = subprocess.run([str(TERN), "check", *arguments], capture_output=True, text=True)
        assert result.returncode == 2 and "usage" in result.stderr, arguments
