"""spf_zone_server: serves the zone data of the SPF council's YAML suites (rfc7208-tests.yml,
rfc4408-tests.yml; ../shared/testdata/spf/SOURCE.md) from a DnsServer (dns_server.py) on
127.0.0.1, the way the suites' reference driver (pyspf's testspf.py) answers:

- every name is in one zone (the root), so names like example.com are ours to answer;
- a query for (name, type) scans the name's entries in order: a TIMEOUT reached before any
  record of that type is a temporary failure (SERVFAIL), after one it ends the answer;
- a CNAME entry is followed (RFC 1034 §4.3.2);
- a name not in the data does not exist (NXDOMAIN), except "error." names: SERVFAIL;
- SPF entries are served as type SPF (99) and, unless the name has TXT entries of its own
  ("TXT: NONE" included), also as TXT: the suites rely on that copy. Type SPF must never be
  asked by an RFC 7208 checker (spf_queries tells);
- a list of strings is one TXT record of several character-strings (RFC 7208 §3.3); an empty
  list, which DNS cannot carry, is one empty string.

    server = SpfZoneServer().start()
    server.load(scenario["zonedata"])
    ... tern spf --resolver {server.address} ..."""
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.SPF
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rrset

from dns_server import DnsServer

IN = dns.rdataclass.IN
CNAME_CHAIN_MAX = 8
TIMEOUT = "TIMEOUT"


def make_name(text):
    """A dns.name.Name from the suite's text, labels taken byte for byte (the data has names
    with ":", "/", "%" and spaces, which no zone-file syntax is needed for)."""
    text = text.rstrip(".")
    labels = [label.encode("latin-1") for label in text.split(".")] if text else []
    return dns.name.Name(labels + [b""])


def strings(value):
    """A TXT or SPF value as the character-strings of one record."""
    items = [value] if isinstance(value, str) else list(value)
    if not items:
        items = [""]
    encoded = []
    for item in items:
        try:
            encoded.append(str(item).encode("latin-1"))
        except UnicodeEncodeError:
            encoded.append(str(item).encode("utf-8"))
    return encoded


def make_rdata(kind, value):
    if kind == "A":
        return dns.rdtypes.IN.A.A(IN, dns.rdatatype.A, value)
    if kind == "AAAA":
        return dns.rdtypes.IN.AAAA.AAAA(IN, dns.rdatatype.AAAA, value)
    if kind == "MX":
        return dns.rdtypes.ANY.MX.MX(IN, dns.rdatatype.MX, int(value[0]), make_name(value[1]))
    if kind == "PTR":
        return dns.rdtypes.ANY.PTR.PTR(IN, dns.rdatatype.PTR, make_name(value))
    if kind == "CNAME":
        return dns.rdtypes.ANY.CNAME.CNAME(IN, dns.rdatatype.CNAME, make_name(value))
    if kind == "TXT":
        return dns.rdtypes.ANY.TXT.TXT(IN, dns.rdatatype.TXT, strings(value))
    if kind == "SPF":
        return dns.rdtypes.ANY.SPF.SPF(IN, dns.rdatatype.SPF, strings(value))
    raise ValueError(f"record type {kind} in the zone data")


def entries(records):
    """The suite's list of records for a name as [TIMEOUT | (rdatatype, rdata)], with SPF
    records copied to TXT at the end when the name has no TXT of its own."""
    result, copies, has_txt = [], [], False
    for record in records:
        if record == TIMEOUT:
            result.append(TIMEOUT)
            continue
        for kind, value in record.items():
            if kind == "TXT":
                has_txt = True
                if value == "NONE":
                    continue
            if kind == "SPF":
                copies.append(("TXT", value))
            result.append((dns.rdatatype.from_text(kind), make_rdata(kind, value)))
    if not has_txt:
        result += [(dns.rdatatype.TXT, make_rdata("TXT", value)) for _, value in copies]
    return result


class SpfZoneServer(DnsServer):
    def __init__(self, host="127.0.0.1"):
        super().__init__(zones=(".",), host=host)
        self.zone = {}

    def load(self, zonedata):
        """Serves zonedata (a suite scenario's) from now on, instead of what came before."""
        zone = {make_name(name): entries(records or []) for name, records in zonedata.items()}
        with self._lock:
            self.zone = zone
            self.queries = []

    def spf_queries(self):
        return [(name, kind) for name, kind, _ in list(self.queries) if kind == "SPF"]

    def _soa(self, zone):
        soa = dns.rrset.RRset(dns.name.root, IN, dns.rdatatype.SOA)
        soa.add(dns.rdata.from_text(IN, dns.rdatatype.SOA, "ns.invalid. hostmaster.invalid. 1 3600 600 86400 60"), 60)
        return soa

    def _fill_spf(self, response, qname, qtype):
        """The answer for qname/qtype by the suite's rules: an rcode."""
        name = qname
        for _ in range(CNAME_CHAIN_MAX):
            records = self.zone.get(name)
            if records is None:
                if name.labels and name.labels[0].lower() == b"error":
                    return dns.rcode.SERVFAIL
                return dns.rcode.NXDOMAIN if name == qname else dns.rcode.NOERROR
            answer = dns.rrset.RRset(name, IN, qtype)
            target = None
            for entry in records:
                if entry == TIMEOUT:
                    if len(answer) == 0:
                        return dns.rcode.SERVFAIL
                    break
                kind, rdata = entry
                if kind == qtype:
                    answer.add(rdata, 300)
                elif kind == dns.rdatatype.CNAME and qtype != dns.rdatatype.CNAME:
                    target = rdata.target
            if len(answer):
                response.answer.append(answer)
                return dns.rcode.NOERROR
            if target is None:
                response.authority.append(self._soa(None))
                return dns.rcode.NOERROR
            cname = dns.rrset.RRset(name, IN, dns.rdatatype.CNAME)
            cname.add(dns.rdtypes.ANY.CNAME.CNAME(IN, dns.rdatatype.CNAME, target), 300)
            response.answer.append(cname)
            name = target
        return dns.rcode.NOERROR

    def _answer(self, query):
        response = dns.message.make_response(query)
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        with self._lock:
            rcode = self._fill_spf(response, question.name, question.rdtype)
        response.set_rcode(rcode)
        if rcode != dns.rcode.SERVFAIL:
            response.flags |= dns.flags.AA
        response.flags |= dns.flags.RA
        return response
