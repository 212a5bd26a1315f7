"""Broken configs must refuse to start: `ternd -n -c FILE` exits 1 and prints exactly the
`FILE:LINE: message` that each tests/configs/bad/*.conf states in its first lines, and nothing
else that looks like an error (one problem per file, no cascades). good/minimal.conf passes.

The header of a bad config:
    # expect: MESSAGE   the text after "FILE:LINE: "; {dir} stands for the config's directory
    # line: N           the line it is reported at
    # file: NAME        optional: the problem is in this users or aliases file next to the
                        config, so FILE is that file's absolute path (as ternd resolves it)
"""
import os
import re
import subprocess

import pytest

from conftest import ROOT, TERND

CONFIGS = ROOT / "tests" / "configs"
BAD = sorted((CONFIGS / "bad").glob("*.conf"))
HEADER = re.compile(r"# (expect|line|file): (.*)$")
ERROR_LINE = re.compile(r"^\S+:\d+: ")


def header(path):
    fields = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = HEADER.match(line)
        if match is None:
            break
        fields[match.group(1)] = match.group(2)
    return fields


def check_config(path):
    """Runs `ternd -n -c PATH` from the repository root, PATH relative to it."""
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    return subprocess.run([str(TERND), "-n", "-c", str(path.relative_to(ROOT))], cwd=ROOT, env=env,
                          capture_output=True, encoding="utf-8", errors="replace", timeout=60)


def expected_line(path, fields):
    directory = os.path.realpath(path.parent)
    where = os.path.join(directory, fields["file"]) if "file" in fields else str(path.relative_to(ROOT))
    return f"{where}:{fields['line']}: {fields['expect'].replace('{dir}', directory)}"


def test_there_are_bad_configs():
    assert len(BAD) >= 15


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_config_is_refused_with_its_message(path):
    fields = header(path)
    assert "expect" in fields and "line" in fields, f"{path.name}: starts without '# expect:' and '# line:'"
    result = check_config(path)
    assert result.returncode == 1, f"exit status {result.returncode}\n{result.stdout}{result.stderr}"
    errors = [line for line in result.stderr.splitlines() if ERROR_LINE.match(line)]
    assert errors == [expected_line(path, fields)], result.stderr


def test_minimal_config_is_accepted():
    path = CONFIGS / "good" / "minimal.conf"
    result = check_config(path)
    assert result.returncode == 0, result.stderr
    assert f"{path.relative_to(ROOT)}: ok" in result.stdout.splitlines()
    assert not [line for line in result.stderr.splitlines() if ERROR_LINE.match(line)], result.stderr
