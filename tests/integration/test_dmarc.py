"""DMARC (RFC 7489) through tests/drivers/dmarc_driver: policy discovery over the real
resolver against the test DNS server on 127.0.0.1, then the verdict from plain SPF and DKIM
inputs. One row per case: the zone's TXT records, the message's From fields, what passed,
and what the driver must print (every key given must match)."""
import shlex
import subprocess

import pytest

from conftest import BUILD
from dns_fixture import dns_server  # noqa: F401 (a fixture)

DRIVER = BUILD / "tests" / "dmarc_driver"

REJECT = "v=DMARC1; p=reject"
FROM = "From: Alice <alice@example.test>"


def txt(*texts):
    return ['"' + t.replace('"', '\\"') + '"' for t in texts]


# (name, records {owner: [TXT texts] | "servfail"}, From lines, driver options, expected)
CASES = [
    ("spf_relaxed_aligned", {"_dmarc.example.test": [REJECT]}, [FROM], ["--spf-pass", "bounce.example.test"],
     {"dmarc": "pass", "spf_aligned": "1", "dkim_aligned": "0", "policy": "reject", "disposition": "none"}),
    ("spf_strict_subdomain_fails", {"_dmarc.example.test": [REJECT + "; aspf=s"]}, [FROM],
     ["--spf-pass", "bounce.example.test"],
     {"dmarc": "fail", "spf_aligned": "0", "policy": "reject", "disposition": "reject"}),
    ("spf_strict_exact", {"_dmarc.example.test": [REJECT + "; aspf=s"]}, [FROM], ["--spf-pass", "Example.TEST"],
     {"dmarc": "pass", "spf_aligned": "1"}),
    ("dkim_relaxed_aligned", {"_dmarc.example.test": [REJECT]}, [FROM],
     ["--dkim-pass", "other.test", "--dkim-pass", "mail.example.test"],
     {"dmarc": "pass", "dkim_aligned": "1", "dkim_domain": "mail.example.test"}),
    ("dkim_strict_subdomain_fails", {"_dmarc.example.test": [REJECT + "; adkim=s"]}, [FROM],
     ["--dkim-pass", "mail.example.test"], {"dmarc": "fail", "dkim_aligned": "0", "disposition": "reject"}),
    ("dkim_strict_exact", {"_dmarc.example.test": [REJECT + "; adkim=s"]}, [FROM], ["--dkim-pass", "example.test"],
     {"dmarc": "pass", "dkim_aligned": "1"}),
    ("both_aligned", {"_dmarc.example.test": [REJECT]}, [FROM],
     ["--spf-pass", "example.test", "--dkim-pass", "example.test"],
     {"dmarc": "pass", "spf_aligned": "1", "dkim_aligned": "1"}),
    ("unaligned_passes_elsewhere", {"_dmarc.example.test": [REJECT]}, [FROM],
     ["--spf-pass", "example.net.test", "--dkim-pass", "other.test"],
     {"dmarc": "fail", "spf_aligned": "0", "dkim_aligned": "0", "policy": "reject", "disposition": "reject"}),
    ("nothing_passed_quarantine", {"_dmarc.example.test": ["v=DMARC1; p=quarantine"]}, [FROM], [],
     {"dmarc": "fail", "policy": "quarantine", "disposition": "quarantine"}),
    ("unaligned_policy_none", {"_dmarc.example.test": ["v=DMARC1; p=none"]}, [FROM], [],
     {"dmarc": "fail", "policy": "none", "disposition": "none"}),
    ("subdomain_gets_sp", {"_dmarc.example.test": [REJECT + "; sp=quarantine"]},
     ["From: bob@news.example.test"], [],
     {"dmarc": "fail", "record": "example.test", "policy": "quarantine", "disposition": "quarantine"}),
    ("subdomain_without_sp_gets_p", {"_dmarc.example.test": [REJECT]}, ["From: bob@news.example.test"], [],
     {"dmarc": "fail", "record": "example.test", "policy": "reject"}),
    ("subdomain_own_record_wins", {"_dmarc.example.test": [REJECT + "; sp=reject"],
                                   "_dmarc.news.example.test": ["v=DMARC1; p=none"]},
     ["From: bob@news.example.test"], [], {"dmarc": "fail", "record": "news.example.test", "policy": "none"}),
    ("org_domain_itself_gets_p", {"_dmarc.example.test": [REJECT + "; sp=none"]}, [FROM], [],
     {"dmarc": "fail", "policy": "reject"}),
    ("org_domain_fallback_deep", {"_dmarc.example.test": [REJECT]}, ["From: x@a.b.c.example.test"],
     ["--dkim-pass", "example.test"], {"dmarc": "pass", "record": "example.test", "dkim_aligned": "1"}),
    ("pct_0_reject_becomes_quarantine", {"_dmarc.example.test": [REJECT + "; pct=0"]}, [FROM], [],
     {"dmarc": "fail", "policy": "reject", "disposition": "quarantine", "sampled_out": "1"}),
    ("pct_100_always", {"_dmarc.example.test": [REJECT + "; pct=100"]}, [FROM], ["--sample", "99"],
     {"dmarc": "fail", "disposition": "reject", "sampled_out": "0"}),
    ("pct_50_sampled_in", {"_dmarc.example.test": [REJECT + "; pct=50"]}, [FROM], ["--sample", "49"],
     {"dmarc": "fail", "disposition": "reject", "sampled_out": "0"}),
    ("pct_50_sampled_out", {"_dmarc.example.test": [REJECT + "; pct=50"]}, [FROM], ["--sample", "50"],
     {"dmarc": "fail", "disposition": "quarantine", "sampled_out": "1"}),
    ("pct_quarantine_sampled_out_is_none", {"_dmarc.example.test": ["v=DMARC1; p=quarantine; pct=0"]}, [FROM], [],
     {"dmarc": "fail", "policy": "quarantine", "disposition": "none", "sampled_out": "1"}),
    ("pct_does_not_touch_a_pass", {"_dmarc.example.test": [REJECT + "; pct=0"]}, [FROM],
     ["--spf-pass", "example.test"], {"dmarc": "pass", "disposition": "none", "sampled_out": "0"}),
    ("missing_record", {}, ["From: x@mail.nothing.test"], ["--spf-pass", "mail.nothing.test"],
     {"dmarc": "none", "policy": "-"}),
    ("other_txt_ignored", {"_dmarc.example.test": ["v=spf1 -all", REJECT, "hello"]}, [FROM], [],
     {"dmarc": "fail", "policy": "reject"}),
    ("only_other_txt_falls_back", {"_dmarc.news.example.test": ["v=spf1 -all"],
                                   "_dmarc.example.test": ["v=DMARC1; p=quarantine"]},
     ["From: bob@news.example.test"], [], {"dmarc": "fail", "record": "example.test", "policy": "quarantine"}),
    ("several_records_none", {"_dmarc.example.test": [REJECT, "v=DMARC1; p=none"]}, [FROM], [],
     {"dmarc": "none", "policy": "-"}),
    ("several_records_no_fallback", {"_dmarc.news.example.test": [REJECT, "v=DMARC1; p=none"],
                                     "_dmarc.example.test": [REJECT]},
     ["From: bob@news.example.test"], [], {"dmarc": "none", "record": "news.example.test"}),
    ("servfail_temperror", {"_dmarc.example.test": "servfail"}, [FROM], ["--spf-pass", "example.test"],
     {"dmarc": "temperror", "policy": "-"}),
    ("servfail_at_org_domain_temperror", {"_dmarc.example.test": "servfail"}, ["From: bob@news.example.test"], [],
     {"dmarc": "temperror", "record": "example.test"}),
    ("record_syntax_error_permerror", {"_dmarc.example.test": [REJECT + "; pct=200"]}, [FROM], [],
     {"dmarc": "permerror", "policy": "-"}),
    ("no_p_with_rua_acts_as_none", {"_dmarc.example.test": ["v=DMARC1; rua=mailto:r@example.test"]}, [FROM], [],
     {"dmarc": "fail", "policy": "none", "disposition": "none"}),
    ("no_p_without_rua_no_processing", {"_dmarc.example.test": ["v=DMARC1; sp=reject"]}, [FROM], [],
     {"dmarc": "none", "policy": "-"}),
    ("multiple_from_fields_permerror", {"_dmarc.example.test": [REJECT]}, [FROM, "From: mallory@evil.test"],
     ["--spf-pass", "example.test"], {"dmarc": "permerror", "from_error": "several From fields"}),
    ("multiple_from_addresses_permerror", {"_dmarc.example.test": [REJECT]},
     ["From: alice@example.test, mallory@evil.test"], [],
     {"dmarc": "permerror", "from_error": "several From addresses"}),
    ("no_from_permerror", {"_dmarc.example.test": [REJECT]}, [], [],
     {"dmarc": "permerror", "from_error": "no From field"}),
    ("folded_from_with_comment", {"_dmarc.example.test": [REJECT]},
     ["From: \"Alice A.\" (comment)\r\n <alice@EXAMPLE.test>"], ["--dkim-pass", "example.test"],
     {"dmarc": "pass", "from": "example.test"}),
]


def parse(output):
    """key=value words of every line; quoted values unquoted."""
    found = {}
    for line in output.splitlines():
        for pair in shlex.split(line):
            key, _, value = pair.partition("=")
            found[key] = value
    return found


def check(server, from_lines, options):
    message = "".join(line + "\r\n" for line in from_lines) + "To: x@example.test\r\nSubject: hi\r\n\r\nbody\r\n"
    result = subprocess.run([str(DRIVER), server.address, *options], input=message.encode(), capture_output=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert b"Sanitizer" not in result.stderr and b"runtime error" not in result.stderr, result.stderr
    return parse(result.stdout.decode())


@pytest.mark.parametrize("name,records,from_lines,options,expected", CASES, ids=[c[0] for c in CASES])
def test_dmarc_case(dns_server, name, records, from_lines, options, expected):
    dns_server.add("unrelated.test", "A", "192.0.2.1")  # the zone is never empty
    for owner, texts in records.items():
        if texts == "servfail":
            dns_server.servfail(owner)
        else:
            dns_server.add(owner, "TXT", *txt(*texts))
    found = check(dns_server, from_lines, options)
    assert {key: found.get(key) for key in expected} == expected, found
    assert dns_server.errors == []


def test_discovery_asks_author_domain_then_org_domain(dns_server):
    dns_server.add("_dmarc.example.test", "TXT", *txt(REJECT))
    found = check(dns_server, ["From: x@a.b.example.test"], [])
    assert found["record"] == "example.test"
    assert [q[:2] for q in dns_server.queries] == [("_dmarc.a.b.example.test", "TXT"), ("_dmarc.example.test", "TXT")]


def test_record_at_author_domain_stops_discovery(dns_server):
    dns_server.add("_dmarc.news.example.test", "TXT", *txt(REJECT))
    check(dns_server, ["From: x@news.example.test"], [])
    assert dns_server.asked("_dmarc.example.test") == 0


def test_unusable_from_asks_nothing(dns_server):
    found = check(dns_server, [FROM, FROM], [])
    assert found["dmarc"] == "permerror"
    assert dns_server.queries == []


def test_why_explains_failure(dns_server):
    dns_server.add("_dmarc.example.test", "TXT", *txt(REJECT + "; sp=quarantine"))
    found = check(dns_server, ["From: x@news.example.test"], ["--spf-pass", "other.test"])
    assert found["why"] == ("no aligned pass for news.example.test: SPF pass for other.test, 0 DKIM passes; "
                            "sp=quarantine"), found
