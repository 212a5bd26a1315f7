"""The SPF council's RFC 7208 test suite (../shared/testdata/spf/rfc7208-tests.yml, 203 cases)
through the real path: `tern spf --resolver` asking a DNS server on 127.0.0.1 that serves each
scenario's zone data as the suite's reference driver does (spf_zone_server.py). One pytest case
per suite case; any of the listed results is accepted. Where a case names an explanation,
ours must be it (ASCII case aside: the suite's %{ir} of an IPv6 address has upper-case nibbles,
RFC 7208 §7.4's example lower-case ones); "DEFAULT" means the record gave none. No query may
ask for type SPF (RFC 7208 §3.1, §4.4).

Informational, outside pytest: `python3 test_spf_conformance.py rfc4408` runs the RFC 4408
suite the same way and prints N/M."""
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from conftest import BUILD
from spf_zone_server import SpfZoneServer

TERN = BUILD / "tern"
# ../shared/testdata beside the checkout (TERN_TESTDATA may point elsewhere)
TESTDATA = pathlib.Path(os.environ.get("TERN_TESTDATA", pathlib.Path(__file__).resolve().parents[3] / "shared" /
                                       "testdata")) / "spf"


def load(suite):
    """[(case id, scenario zone data, case)] of a suite file."""
    path = TESTDATA / f"{suite}-tests.yml"
    if not path.exists():
        return []
    cases = []
    with open(path, "rb") as stream:
        for scenario in yaml.safe_load_all(stream):
            for name, case in scenario["tests"].items():
                cases.append((name, scenario["zonedata"], case))
    return cases


def run_case(server, zonedata, case):
    """Serves the zone data, runs tern spf; returns (ok, what we got, output)."""
    server.load(zonedata)
    result = subprocess.run([str(TERN), "spf", "--ip", case["host"], "--sender", case["mailfrom"],
                             "--helo", case["helo"], "--resolver", server.address],
                            capture_output=True, text=True, errors="replace", timeout=60)
    output = result.stdout + result.stderr
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, output
    lines = result.stdout.splitlines()
    got = lines[0] if lines else ""
    explanation = next((line[len("explanation: "):] for line in lines if line.startswith("explanation: ")), None)
    expected = case["result"] if isinstance(case["result"], list) else [case["result"]]
    ok = result.returncode == 0 and got in expected
    wanted = case.get("explanation")
    if wanted == "DEFAULT":
        ok = ok and explanation is None
    elif wanted is not None:
        ok = ok and explanation is not None and explanation.lower() == wanted.lower()
    ok = ok and not server.spf_queries() and not server.errors
    return ok, (got, explanation), output


CASES = load("rfc7208")


@pytest.fixture(scope="module")
def zone_server():
    server = SpfZoneServer().start()
    yield server
    server.stop()


def test_suite_is_all_there():
    assert len(CASES) == 203, f"rfc7208-tests.yml not found under {TESTDATA}"


@pytest.mark.parametrize("name,zonedata,case", CASES, ids=[name for name, _, _ in CASES])
def test_rfc7208(zone_server, name, zonedata, case):
    ok, got, output = run_case(zone_server, zonedata, case)
    assert ok, (f"{name} (RFC 7208 {case.get('spec')}): expected {case['result']} "
                f"explanation {case.get('explanation')!r}, got {got}; SPF queries {zone_server.spf_queries()}\n"
                f"{output}")


def main(suite):
    cases = load(suite)
    server = SpfZoneServer().start()
    passed = 0
    try:
        for name, zonedata, case in cases:
            ok, got, _ = run_case(server, zonedata, case)
            passed += ok
            if not ok:
                print(f"FAIL {name}: expected {case['result']} {case.get('explanation')!r}, got {got}")
    finally:
        server.stop()
    print(f"{suite}: {passed}/{len(cases)} passed")
    return 0 if passed == len(cases) else 1


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "rfc7208"))
