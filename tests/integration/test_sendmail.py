"""`tern sendmail`, the sendmail(8) command line of cron, PHP and git: it reads a message on stdin
and submits it over ternd's local socket (`local-socket PATH`). Asserts what a user sees: the
exit status (sysexits), stderr, and the bytes in a Maildir or the spool."""
import email.header
import os
import subprocess

import pytest

from conftest import BUILD, assert_clean_log

TERN = BUILD / "tern"
EX_USAGE, EX_DATAERR, EX_NOUSER, EX_UNAVAILABLE = 64, 65, 67, 69


@pytest.fixture
def server(make_ternd):
    return make_ternd(extra='local-socket "submit.sock"').start()


def sendmail(server, args, data, program=None, socket=None):
    """Runs tern sendmail (or program, e.g. a link named sendmail) with data on stdin."""
    env = dict(os.environ, TERN_SOCKET=str(socket or server.dir / "submit.sock"),
               ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    argv = [str(program)] + args if program else [str(TERN), "sendmail"] + args
    result = subprocess.run(argv, input=data if isinstance(data, bytes) else data.encode(),
                            capture_output=True, timeout=60, env=env)
    assert_clean_log(result.stderr.decode(errors="replace"))
    return result


def split(stored):
    """(header lines after tern's Return-Path and Received, body) of a stored message (LF)."""
    lines = stored.split(b"\n")
    assert lines[0].startswith(b"Return-Path: <"), stored[:200]
    assert lines[1].startswith(b"Received: from "), stored[:200]
    index = 2
    while lines[index].startswith(b"\t"):
        index += 1
    end = lines.index(b"", index)
    return lines[index:end], b"\n".join(lines[end + 1:])


def field(header, name):
    found = [line for line in header if line.lower().startswith(name.lower().encode() + b":")]
    return found[0][len(name) + 1:].strip() if found else None


def test_cron_style_message_gets_from_date_and_message_id(server):
    result = sendmail(server, ["alice@example.test"], "Subject: cron\n\nhello\nsecond line\n")
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    assert b"\r" not in stored  # LF in, CRLF on the wire, LF again in the Maildir: never a CR left
    header, body = split(stored)
    assert header[0] == b"Subject: cron"
    assert field(header, "From").endswith(b"@mx.example.test")
    assert field(header, "Date") and b"," in field(header, "Date")
    message_id = field(header, "Message-ID")
    assert message_id.startswith(b"<") and message_id.endswith(b"@mx.example.test>")
    assert body == b"hello\nsecond line\n"


def test_crlf_input_and_existing_fields_kept(server):
    message = ("From: Me <me@example.test>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
               "Message-ID: <given@example.test>\r\nSubject: kept\r\n\r\nbody\r\n")
    result = sendmail(server, ["-i", "alice@example.test"], message)
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    header, body = split(stored)
    assert header == [b"From: Me <me@example.test>", b"Date: Thu, 1 Jan 2026 00:00:00 +0000",
                      b"Message-ID: <given@example.test>", b"Subject: kept"]
    assert body == b"body\n"


def test_t_takes_to_cc_bcc_and_removes_bcc(server):
    message = ("To: Alice <alice@example.test>\nCc: bob@example.test\nBcc: carol@example.test\n"
               "Subject: all three\n\nhi\n")
    result = sendmail(server, ["-t", "-i"], message)
    assert result.returncode == 0, result.stderr
    for user in ("alice", "bob", "carol"):
        [stored] = server.messages(user, wait_for=1)
        header, body = split(stored)
        assert field(header, "Bcc") is None and b"carol@example.test" not in b"\n".join(header), user
        assert field(header, "To") == b"Alice <alice@example.test>" and body == b"hi\n"


def test_t_plus_command_line_recipients(server):
    result = sendmail(server, ["-t", "bob@example.test"], "To: alice@example.test\n\nboth\n")
    assert result.returncode == 0, result.stderr
    assert len(server.messages("alice", wait_for=1)) == 1
    assert len(server.messages("bob", wait_for=1)) == 1


def test_sender_and_full_name(server):
    result = sendmail(server, ["-f", "bounce@example.test", "-F", "Cron Daemon", "alice@example.test"],
                      "Subject: named\n\nx\n")
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    assert stored.startswith(b"Return-Path: <bounce@example.test>\n")
    header, _ = split(stored)
    assert field(header, "From") == b"Cron Daemon <bounce@example.test>"


def test_glued_sender_option_and_ignored_options(server):
    result = sendmail(server, ["-oem", "-odi", "-v", "-bm", "-FCronDaemon", "-B8BITMIME", "-oi",
                               "-fbounce@example.test", "--", "alice@example.test"], "Subject: g\n\nx\n")
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    assert stored.startswith(b"Return-Path: <bounce@example.test>\n")
    assert field(split(stored)[0], "From") == b"CronDaemon <bounce@example.test>"


def test_8bit_body_and_utf8_full_name(server):
    name = "J\u00f6rg M\u00fcller, Gesch\u00e4ftsf\u00fchrer der sehr langen Firma GmbH & Co. KG"
    result = sendmail(server, ["-F", name, "alice@example.test"], "Subject: caf\u00e9\n\nna\u00efve\n".encode())
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    header, body = split(stored)
    assert body == "na\u00efve\n".encode() and field(header, "Subject") == "caf\u00e9".encode()
    from_value = field(header, "From").decode("ascii")  # RFC 2047 words: ASCII only
    assert all(len(word) <= 75 for word in from_value.split())
    phrase = from_value.rsplit(" <", 1)[0]
    decoded = "".join(part.decode() if isinstance(part, bytes) else part
                      for part, _ in email.header.decode_header(phrase))
    assert decoded == name


def test_unknown_local_user_is_ex_nouser(server):
    result = sendmail(server, ["nobody@example.test"], "Subject: x\n\nx\n")
    assert result.returncode == EX_NOUSER
    assert b"nobody@example.test" in result.stderr and b"550" in result.stderr


def test_some_refused_others_get_it(server):
    result = sendmail(server, ["nobody@example.test", "alice@example.test"], "Subject: x\n\nx\n")
    assert result.returncode == 0
    assert b"<nobody@example.test>: 550" in result.stderr
    assert len(server.messages("alice", wait_for=1)) == 1


def test_lone_dot_ends_input_unless_i(server):
    result = sendmail(server, ["alice@example.test"], "Subject: dot\n\nbefore\n.\nafter\n")
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    assert split(stored)[1] == b"before\n"
    result = sendmail(server, ["-i", "bob@example.test"], "Subject: dot\n\nbefore\n.\n.leading\n..two\nafter\n")
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("bob", wait_for=1)
    assert split(stored)[1] == b"before\n.\n.leading\n..two\nafter\n"  # dot-stuffed on the wire, intact here


def test_message_without_header_gets_one(server):
    result = sendmail(server, ["alice@example.test"], "just a line of output\nand another\n")
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    header, body = split(stored)
    assert field(header, "From") and field(header, "Date") and field(header, "Message-ID")
    assert body == b"just a line of output\nand another\n"


def test_missing_socket_is_ex_unavailable(server, tmp_path):
    result = sendmail(server, ["alice@example.test"], "x\n", socket=tmp_path / "absent.sock")
    assert result.returncode == EX_UNAVAILABLE
    assert b"absent.sock" in result.stderr


def test_invoked_as_sendmail_through_a_link(server, tmp_path):
    link = tmp_path / "sendmail"
    link.symlink_to(TERN.resolve())
    result = sendmail(server, ["-t"], "To: alice@example.test\nSubject: link\n\nvia link\n", program=link)
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    assert split(stored)[1] == b"via link\n"


def test_remote_recipient_is_accepted_and_spooled(server):
    result = sendmail(server, ["friend@remote.test"], "Subject: out\n\nto the world\n")
    assert result.returncode == 0, result.stderr
    server.wait_log("dsn=4.4.3 status=deferred")
    assert server.spooled() != []


def test_recipient_limit_splits_into_transactions(make_ternd):
    server = make_ternd(extra='local-socket "submit.sock"\nmax-recipients 2').start()
    result = sendmail(server, ["alice@example.test", "bob@example.test", "carol@example.test"], "Subject: many\n\nx\n")
    assert result.returncode == 0, result.stderr
    for user in ("alice", "bob", "carol"):
        assert len(server.messages(user, wait_for=1)) == 1, user


def test_usage_errors(server):
    result = sendmail(server, ["-q", "alice@example.test"], "x\n")
    assert result.returncode == EX_USAGE and b"unknown option" in result.stderr
    result = sendmail(server, ["-f"], "x\n")
    assert result.returncode == EX_USAGE
    result = sendmail(server, ["-F", "evil\r\nBcc: x@example.test", "alice@example.test"], "x\n")
    assert result.returncode == EX_USAGE


def test_data_errors(server):
    assert sendmail(server, [], "x\n").returncode == EX_DATAERR
    assert sendmail(server, ["-t"], "Subject: nobody\n\nx\n").returncode == EX_DATAERR
    result = sendmail(server, ["not an address@"], "x\n")
    assert result.returncode == EX_DATAERR and b"bad recipient" in result.stderr
    assert server.messages("alice") == []


def test_cron_mail_to_a_bare_user_name_reaches_its_alias(make_ternd):
    # cron mails "root"; sendmail qualifies it with the server's name; ternd treats
    # user@HOSTNAME as the first domain's user or alias.
    aliases = "postmaster: alice\nroot: alice\n"
    server = make_ternd(extra='local-socket "submit.sock"', aliases=aliases).start()
    result = sendmail(server, ["root"], "Subject: Cron <root@host> backup\n\n3 files\n")
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    assert b"Subject: Cron <root@host> backup" in stored


def test_lone_cr_from_a_program_becomes_a_line_break(server):
    result = sendmail(server, ["alice@example.test"], b"Subject: progress\n\n10%\r50%\r100%\ndone\n")
    assert result.returncode == 0, result.stderr
    [stored] = server.messages("alice", wait_for=1)
    assert stored.endswith(b"\n\n10%\n50%\n100%\ndone\n")


def test_sendmail_t_from_a_shell_pipeline(server):
    script = ("printf 'To: alice@example.test\\nCc: bob@example.test\\nSubject: pipeline\\n\\nfrom a shell\\n' | "
              f"TERN_SOCKET={server.dir / 'submit.sock'} {TERN} sendmail -t -oi")
    result = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert b"from a shell" in server.messages("alice", wait_for=1)[0]
    assert b"from a shell" in server.messages("bob", wait_for=1)[0]
