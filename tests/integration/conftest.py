"""Integration harness: starts the real ternd on its own loopback address with a generated
config, a temporary spool and Maildirs, and talks to it with real clients."""
import itertools
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("TERN_BUILD", "build/check")
TERND = BUILD / "ternd"
_addresses = itertools.count(2)
_quiet_dns = None


def quiet_dns():
    """A DNS server on 127.0.0.1 that serves no zone (answers REFUSED): ternd instances point at
    it unless a test gives its own, so no test ever queries the machine's real resolver and
    every outbound lookup fails temporarily (mail for other domains stays queued)."""
    global _quiet_dns
    if _quiet_dns is None:
        from dns_server import DnsServer
        _quiet_dns = DnsServer(zones=("quiet.invalid",)).start()
    return _quiet_dns

USERS = "alice:$6$pr7uuNj7Tj.eKh0q$HOZhExwnMsiBv.OtJ3uHd5Zf/RiJvoTGmN6wU62RhroWmIqHMuuTipJazaXhY7B2uy0ajlk6i0ki2wflH3Ui..\nbob:x\ncarol:x\n"
ALIASES = "postmaster: alice\nteam: alice, bob\nforward: someone@remote.test\nmixed: carol, friend@elsewhere.test\n"


def make_certificate(directory, name, days=30):
    """A self-signed certificate for name: DIR/NAME.crt and DIR/NAME.key."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(directory / f"{name}.key"), "-out", str(directory / f"{name}.crt"),
                    "-days", str(days), "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
                   check=True, capture_output=True)
    os.chmod(directory / f"{name}.key", 0o600)


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Ternd:
    """One ternd process with its own directory, address and port."""

    def __init__(self, directory, extra="", domain_extra="", users=USERS, aliases=ALIASES, tls=False, host=None,
                 port=None):
        self.dir = pathlib.Path(directory)
        self.host = host or f"127.0.{(os.getpid() % 200) + 1}.{next(_addresses) % 250 + 2}"
        self.port = port or free_port(self.host)
        if tls:
            self.submission_port = free_port(self.host)
            self.submissions_port = free_port(self.host)
            make_certificate(self.dir, "mx.example.test")
            extra = (f"tls cert \"mx.example.test.crt\" key \"mx.example.test.key\"\n"
                     f"listen {self.host}:{self.submission_port} submission\n"
                     f"listen {self.host}:{self.submissions_port} submissions\n") + extra
        self.log_path = self.dir / "ternd.log"
        (self.dir / "users").write_text(users)
        (self.dir / "aliases").write_text(aliases)
        self.config = self.dir / "ternd.conf"
        if "resolver " not in extra:
            extra = f"resolver {quiet_dns().address}\n" + extra
        self.config.write_text(
            f"hostname mx.example.test\n"
            f"spool \"spool\"\n"
            f"listen {self.host}:{self.port} smtp\n"
            f"{extra}\n"
            f"domain example.test {{\n"
            f"  users \"users\"\n  aliases \"aliases\"\n"
            f"  deliver maildir \"mail/%u/Maildir\"\n{domain_extra}\n}}\n")
        self.process = None

    def start(self):
        self.log = open(self.log_path, "ab")
        env = dict(os.environ, ASAN_OPTIONS="abort_on_error=0:detect_leaks=1",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        self.process = subprocess.Popen([str(TERND), "-d", "-c", str(self.config)],
                                        stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ternd exited at start:\n{self.log_text()}")
            if "started hostname=" in self.log_text():
                return self
            time.sleep(0.05)
        raise AssertionError("ternd did not start listening")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            status = self.process.wait(timeout=timeout)
        finally:
            self.log.close()
        self.process = None
        return status

    def kill(self):
        self.process.kill()
        self.process.wait()
        self.log.close()
        self.process = None

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_log(self, needle, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.log_text():
                return True
            time.sleep(0.05)
        raise AssertionError(f"log never showed {needle!r}:\n{self.log_text()[-4000:]}")

    def maildir(self, user):
        return self.dir / "mail" / user / "Maildir"

    def messages(self, user, wait_for=None, timeout=10):
        """The files in user's Maildir new/, waiting until there are wait_for of them."""
        new = self.maildir(user) / "new"
        deadline = time.time() + timeout
        while True:
            files = sorted(new.iterdir()) if new.exists() else []
            if wait_for is None or len(files) >= wait_for or time.time() > deadline:
                return [f.read_bytes() for f in files]
            time.sleep(0.05)

    def spooled(self):
        spool = self.dir / "spool"
        return sorted(p.name for p in spool.glob("*.env")) if spool.exists() else []

    def connect(self, timeout=10, port=None):
        return Client(self.host, port or self.port, timeout)


class Client:
    """A raw SMTP client for dialogs: sends bytes as given, reads whole replies."""

    def __init__(self, host, port, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.pending = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """Reads one (possibly multi-line) reply; returns its text, or '' on close."""
        lines = []
        while True:
            while b"\r\n" not in self.pending:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return "\r\n".join(lines)
                self.pending += chunk
            line, self.pending = self.pending.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return "\r\n".join(lines)

    def command(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def assert_clean_log(text):
    for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert marker not in text, text[-6000:]


@pytest.fixture
def make_ternd(tmp_path):
    started = []

    def make(**options):
        index = len(started)
        directory = tmp_path / f"t{index}"
        directory.mkdir()
        server = Ternd(directory, **options)
        started.append(server)
        return server

    yield make
    for server in started:
        if server.process is not None:
            status = server.stop()
            assert status == 0, f"ternd exited with {status}:\n{server.log_text()[-4000:]}"
        assert_clean_log(server.log_text())


@pytest.fixture
def ternd(make_ternd):
    return make_ternd().start()
