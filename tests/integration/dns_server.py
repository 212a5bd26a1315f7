"""dns_server: a small authoritative DNS server for tests, on dnspython (Debian's
python3-dnspython). It serves the zones it is given (default: test.) over UDP and TCP on
127.0.0.1 and one free port, from a background thread, with records a test defines:

    server = DnsServer().start()
    server.add("example.test", "MX", "10 mx1.example.test", "20 mx2.example.test")
    server.add("mx1.example.test", "A", "192.0.2.10")
    server.servfail("broken.test")            # every question about it: SERVFAIL
    server.slow("slow.test", seconds=None)    # never answers (seconds=N: answers after N s)
    ... tern route example.test --resolver 127.0.0.1:{server.port}
    server.stop()

Answers are authoritative (AA): CNAMEs are followed inside the served zones (RFC 1034
§4.3.2), a name without the asked type is NODATA and an unknown name NXDOMAIN, both with
the zone's SOA (RFC 2308); names outside the zones are REFUSED. EDNS is echoed (RFC 6891);
an answer too big for UDP (512 bytes without EDNS, RFC 1035 §4.2.1, else the client's
size) is sent empty with TC set, and whole over TCP (RFC 7766)."""
import socket
import struct
import threading

from cryptography.hazmat.primitives.asymmetric import ec

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

UDP_LIMIT = 512  # RFC 1035 §4.2.1, without EDNS
CNAME_CHAIN_MAX = 8


class DnsServer:
    def __init__(self, zones=("test",), host="127.0.0.1", port=0):
        self.host = host
        self.port = port      # 0: a free one, chosen at start
        self.zones = [dns.name.from_text(zone) for zone in zones]
        self.records = {}     # (dns.name.Name, rdatatype) -> dns.rrset.RRset
        self.behaviours = {}  # dns.name.Name -> ("servfail",) | ("slow", seconds or None)
        self.queries = []     # (name text without the dot, type text, "udp"|"tcp"), in order received
        self.errors = []      # exceptions raised while answering (a test asserts there are none)
        self.signed = {}      # zone dns.name.Name -> (private key, DNSKEY rdata), see sign_zone
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = []

    # ---- defining the data ----

    def add(self, name, rdtype, *values, ttl=300):
        """Adds records of rdtype (e.g. "MX") at name, each value in zone-file text form
        ("10 mx.example.test", "192.0.2.1", '"v=spf1 -all"'); names are absolute."""
        owner = dns.name.from_text(name)
        kind = dns.rdatatype.from_text(rdtype)
        with self._lock:
            rrset = self.records.setdefault((owner, kind), dns.rrset.RRset(owner, dns.rdataclass.IN, kind))
            for value in values:
                rrset.add(dns.rdata.from_text(dns.rdataclass.IN, kind, value, origin=dns.name.root,
                                              relativize=False), ttl)
        return self

    def remove(self, name, rdtype=None):
        """Removes the records of rdtype at name (all types when None)."""
        owner = dns.name.from_text(name)
        with self._lock:
            for key in [k for k in self.records if k[0] == owner and (rdtype is None or
                                                                      k[1] == dns.rdatatype.from_text(rdtype))]:
                del self.records[key]
        return self

    def servfail(self, name):
        """Every question about name gets SERVFAIL."""
        self.behaviours[dns.name.from_text(name)] = ("servfail",)
        return self

    def slow(self, name, seconds=None):
        """Questions about name are answered after seconds, or never (None)."""
        self.behaviours[dns.name.from_text(name)] = ("slow", seconds)
        return self

    def sign_zone(self, zone):
        """Signs zone (one of the served zones) with a fresh ECDSA P-256 key (RFC 6605): its
        DNSKEY is served at the apex, and answers to queries with the DO bit carry RRSIGs made
        on the fly (RFC 4035 §3.1.1). Only positive answers are signed: there is no NSEC, so a
        negative answer in the zone is bogus to a validator. Returns the trust-anchor line to
        give the validator ("zone. IN DNSKEY 257 3 13 ...")."""
        origin = dns.name.from_text(zone)
        key = ec.generate_private_key(ec.SECP256R1())
        dnskey = dns.dnssec.make_dnskey(key.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257)
        self.signed[origin] = (key, dnskey)
        self.add(zone, "DNSKEY", dnskey.to_text())
        return f"{origin.to_text()} IN DNSKEY {dnskey.to_text()}"

    def _add_signatures(self, query, response):
        if not (query.ednsflags & dns.flags.DO):
            return
        response.want_dnssec(True)
        for rrset in list(response.answer):
            zone = self._zone_of(rrset.name)
            if zone not in self.signed or rrset.rdtype == dns.rdatatype.RRSIG:
                continue
            key, dnskey = self.signed[zone]
            signature = dns.rrset.RRset(rrset.name, dns.rdataclass.IN, dns.rdatatype.RRSIG, rrset.rdtype)
            signature.add(dns.dnssec.sign(rrset, key, zone, dnskey, lifetime=86400), rrset.ttl)
            response.answer.append(signature)

    def asked(self, name, rdtype=None):
        """How many questions about name (of rdtype, if given) arrived."""
        name = name.rstrip(".").lower()
        return sum(1 for n, t, _ in list(self.queries) if n == name and (rdtype is None or t == rdtype))

    # ---- answering ----

    def _zone_of(self, name):
        matches = [zone for zone in self.zones if name.is_subdomain(zone)]
        return max(matches, key=len) if matches else None

    def _soa(self, zone):
        soa = dns.rrset.RRset(zone, dns.rdataclass.IN, dns.rdatatype.SOA)
        soa.add(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA,
                                    f"ns.{zone} hostmaster.{zone} 1 3600 600 86400 60"), 60)
        return soa

    def _name_exists(self, name):
        return any(owner.is_subdomain(name) for owner, _ in self.records)

    def _fill(self, response, qname, qtype):
        """Adds the answer for qname/qtype, following CNAMEs; returns the rcode."""
        name = qname
        for _ in range(CNAME_CHAIN_MAX):
            cname = self.records.get((name, dns.rdatatype.CNAME))
            if cname is None or qtype == dns.rdatatype.CNAME:
                break
            response.answer.append(cname)
            name = cname[0].target
            if self._zone_of(name) is None:
                return dns.rcode.NOERROR  # the client follows it elsewhere
        rrset = self.records.get((name, qtype))
        if rrset is not None:
            response.answer.append(rrset)
            return dns.rcode.NOERROR
        response.authority.append(self._soa(self._zone_of(name)))
        return dns.rcode.NOERROR if self._name_exists(name) else dns.rcode.NXDOMAIN

    def _answer(self, query):
        """The response message, or None to stay silent."""
        response = dns.message.make_response(query)
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        qname = question.name.canonicalize()
        behaviour = self.behaviours.get(qname)
        if behaviour and behaviour[0] == "slow":
            if behaviour[1] is None:
                return None
            self._stopping.wait(behaviour[1])
        if self._zone_of(qname) is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA | dns.flags.RA
        if behaviour and behaviour[0] == "servfail":
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        with self._lock:
            response.set_rcode(self._fill(response, qname, question.rdtype))
            if self.signed:
                self._add_signatures(query, response)
        return response

    def _wire(self, query, limit):
        response = self._answer(query)
        if response is None:
            return None
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.AA | dns.flags.RA | dns.flags.TC
            return truncated.to_wire(max_size=limit)

    def _handle(self, data, transport):
        try:
            query = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 - malformed queries are ignored
            return None
        if query.question:
            question = query.question[0]
            self.queries.append((question.name.to_text(omit_final_dot=True).lower(),
                                 dns.rdatatype.to_text(question.rdtype), transport))
        limit = 65535 if transport == "tcp" else (max(query.payload, UDP_LIMIT) if query.edns >= 0 else UDP_LIMIT)
        try:
            return self._wire(query, limit)
        except Exception as error:  # noqa: BLE001 - a bug here must show, not hang a test
            self.errors.append(repr(error))
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()

    # ---- sockets ----

    def _serve_udp_one(self, data, peer):
        wire = self._handle(data, "udp")
        if wire is not None and not self._stopping.is_set():
            try:
                self._udp.sendto(wire, peer)
            except OSError:
                pass

    def _udp_loop(self):
        while not self._stopping.is_set():
            try:
                data, peer = self._udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve_udp_one, args=(data, peer), daemon=True).start()

    def _read_exactly(self, connection, count):
        data = b""
        while len(data) < count:
            chunk = connection.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _serve_tcp_connection(self, connection):
        with connection:
            connection.settimeout(10)
            try:
                while not self._stopping.is_set():
                    header = self._read_exactly(connection, 2)
                    data = header and self._read_exactly(connection, struct.unpack("!H", header)[0])
                    if not data:
                        return
                    wire = self._handle(data, "tcp")
                    if wire is not None:
                        connection.sendall(struct.pack("!H", len(wire)) + wire)
            except OSError:
                return

    def _tcp_loop(self):
        while not self._stopping.is_set():
            try:
                connection, _ = self._tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve_tcp_connection, args=(connection,), daemon=True).start()

    def _bind(self):
        """UDP and TCP on the same port: self.port, or a free one."""
        for _ in range(50):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((self.host, self.port))
            port = udp.getsockname()[1]
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((self.host, port))
            except OSError:
                udp.close()
                tcp.close()
                continue
            tcp.listen(16)
            return udp, tcp, port
        raise RuntimeError("no free port for both UDP and TCP")

    def start(self):
        self._udp, self._tcp, self.port = self._bind()
        self._udp.settimeout(0.2)
        self._tcp.settimeout(0.2)
        for loop in (self._udp_loop, self._tcp_loop):
            thread = threading.Thread(target=loop, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._udp.close()
        self._tcp.close()

    @property
    def address(self):
        """"127.0.0.1:PORT", as tern's --resolver takes it."""
        return f"{self.host}:{self.port}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exception):
        self.stop()

