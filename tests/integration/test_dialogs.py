"""Runs every tests/dialogs/*.dialog against a fresh ternd. A dialog is a small file:
    # what it checks                 (comments)
    config: LINE                     (added to the server's config, before the first C:)
    C: bytes                         (sent as written; \\r \\n \\xHH escapes)
    S: prefix                        (the next reply's last line starts with prefix)
    S~ text                          (the next reply contains text)
    X:                               (the server closes the connection)
    mailbox: USER COUNT              (after the dialog: messages in USER's Maildir)
    contains: USER TEXT              (after the dialog: USER's message contains TEXT)
"""
import codecs
import pathlib
import time

import pytest

DIALOGS = sorted((pathlib.Path(__file__).resolve().parents[1] / "dialogs").glob("*.dialog"))


def parse(path):
    config, steps, checks = [], [], []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        kind, _, rest = line.partition(" ")
        if kind == "config:":
            config.append(rest)
        elif kind in ("C:", "S:", "S~", "X:"):
            steps.append((number, kind, rest))
        elif kind in ("mailbox:", "contains:"):
            checks.append((number, kind, rest))
        else:
            raise AssertionError(f"{path.name}:{number}: unknown line kind {kind!r}")
    return config, steps, checks


@pytest.mark.parametrize("path", DIALOGS, ids=[p.stem for p in DIALOGS])
def test_dialog(path, make_ternd):
    config, steps, checks = parse(path)
    server = make_ternd(extra="\n".join(config)).start()
    client = server.connect()
    for number, kind, rest in steps:
        where = f"{path.name}:{number}"
        if kind == "C:":
            client.send(codecs.escape_decode(rest.encode())[0])
        elif kind == "X:":
            assert client.closed(), f"{where}: connection still open"
        else:
            reply = client.reply()
            last = reply.split("\r\n")[-1]
            if kind == "S:":
                assert last.startswith(rest), f"{where}: expected {rest!r}, got {reply!r}"
            else:
                assert rest in reply, f"{where}: expected {rest!r} in {reply!r}"
    client.close()
    if checks:
        server.wait_log("disconnect")
        time.sleep(0.3)
    for number, kind, rest in checks:
        user, _, value = rest.partition(" ")
        if kind == "mailbox:":
            count = int(value)
            found = server.messages(user, wait_for=count or None, timeout=10)
            assert len(found) == count, f"{path.name}:{number}: {user} has {len(found)} messages"
        else:
            found = server.messages(user, wait_for=1)
            assert found and codecs.escape_decode(value.encode())[0] in found[0], f"{path.name}:{number}"
