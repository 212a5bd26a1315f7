"""dns_fixture: the dns_server pytest fixture, a DnsServer (dns_server.py) serving the zone
test. on 127.0.0.1 for one test. A test module uses it with
    from dns_fixture import dns_server  # noqa: F401 (a fixture)
and points tern at it with --resolver dns_server.address."""
import pytest

from dns_server import DnsServer


@pytest.fixture
def dns_server():
    server = DnsServer(zones=("test",)).start()
    yield server
    server.stop()
