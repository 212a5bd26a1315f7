"""The DNS server of the outbound benchmark: tests/integration/dns_server.py on 127.0.0.1
serving out.test, where dK.out.test (K = 1..COUNT) has an MX host at 127.27.1.K. Prints the
server's ADDRESS:PORT on one line and serves until SIGTERM.
    /usr/bin/python3 bench/bench_dns.py COUNT"""
import pathlib
import signal
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "integration"))
from dns_server import DnsServer  # noqa: E402

count = int(sys.argv[1])
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})  # before any thread starts
server = DnsServer(zones=("out.test",))
for k in range(1, count + 1):
    server.add(f"d{k}.out.test", "MX", f"10 mx.d{k}.out.test.")
    server.add(f"mx.d{k}.out.test", "A", f"127.27.1.{k}")
server.start()
print(server.address, flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
server.stop()
