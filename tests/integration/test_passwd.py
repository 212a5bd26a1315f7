"""`tern passwd`: the hash an admin pastes into a users file, checked with another crypt(3)
consumer (Python's crypt module, which calls the system's libxcrypt)."""
import os
import select
import signal
import subprocess
import termios
import time
import warnings

from conftest import BUILD

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

TERN = BUILD / "tern"


def passwd(*arguments, stdin=b""):
    return subprocess.run([str(TERN), "passwd", *arguments], input=stdin, capture_output=True, timeout=30)


def verifies(password, hash_):
    return crypt.crypt(password, hash_) == hash_


def test_hash_from_stdin_verifies_with_crypt():
    result = passwd(stdin=b"correct horse\n")
    assert result.returncode == 0, result.stderr
    hash_ = result.stdout.decode()
    assert hash_.endswith("\n") and hash_.count("\n") == 1
    hash_ = hash_.rstrip("\n")
    assert hash_.startswith("$y$")
    assert verifies("correct horse", hash_)
    assert not verifies("correct horse\n", hash_)
    assert not verifies("wrong", hash_)


def test_name_gives_a_users_file_line():
    result = passwd("alice", stdin=b"s3cret\n")
    assert result.returncode == 0, result.stderr
    line = result.stdout.decode().rstrip("\n")
    name, hash_ = line.split(":", 1)
    assert name == "alice" and hash_.startswith("$y$")
    assert verifies("s3cret", hash_)


def test_only_the_first_line_and_no_line_ending():
    result = passwd(stdin=b"first\r\nsecond\n")
    assert result.returncode == 0, result.stderr
    hash_ = result.stdout.decode().strip()
    assert verifies("first", hash_)


def test_last_line_without_newline():
    result = passwd(stdin=b"no newline")
    assert result.returncode == 0, result.stderr
    assert verifies("no newline", result.stdout.decode().strip())


def test_each_run_has_its_own_salt():
    first = passwd(stdin=b"same\n").stdout
    second = passwd(stdin=b"same\n").stdout
    assert first != second


def test_empty_password_is_refused():
    for stdin in (b"", b"\n", b"\r\n"):
        result = passwd(stdin=stdin)
        assert result.returncode == 1
        assert result.stdout == b""
        assert b"empty password" in result.stderr


def test_too_long_password_is_refused():
    longest = passwd(stdin=b"p" * 511 + b"\n")  # libxcrypt's CRYPT_MAX_PASSPHRASE_SIZE, less the NUL
    assert longest.returncode == 0, longest.stderr
    assert verifies("p" * 511, longest.stdout.decode().strip())
    result = passwd(stdin=b"p" * 512 + b"\n")
    assert result.returncode == 1 and result.stdout == b""
    assert b"too long" in result.stderr


def test_bad_name_or_arguments_are_refused():
    for arguments in (["a:b"], ["two words"], [""], ["alice", "extra"], ["-x"]):
        result = passwd(*arguments, stdin=b"pw\n")
        assert result.returncode == 1, arguments
        assert result.stdout == b"" and result.stderr != b""


def read_until(fd, needle, timeout=20):
    data = b""
    deadline = time.time() + timeout
    while needle not in data and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            data += os.read(fd, 1024)
    assert needle in data, data
    return data


def run_on_terminal(*answers):
    """Runs `tern passwd` with a terminal on stdin and stderr, answering each prompt."""
    primary, secondary = os.openpty()
    process = subprocess.Popen([str(TERN), "passwd"], stdin=secondary, stderr=secondary, stdout=subprocess.PIPE)
    os.close(secondary)
    shown = b""
    try:
        for prompt, answer in zip((b"Password: ", b"Again: "), answers):
            shown += read_until(primary, prompt)
            os.write(primary, answer + b"\n")
        stdout, _ = process.communicate(timeout=30)
        try:
            while select.select([primary], [], [], 0.2)[0]:
                shown += os.read(primary, 1024)
        except OSError:
            pass
    finally:
        os.close(primary)
    return process.returncode, stdout, shown


def test_terminal_asks_twice_without_echo():
    status, stdout, shown = run_on_terminal(b"tty secret", b"tty secret")
    assert status == 0
    assert b"tty secret" not in shown
    assert verifies("tty secret", stdout.decode().strip())


def test_terminal_answers_must_match():
    status, stdout, shown = run_on_terminal(b"one", b"two")
    assert status == 1 and stdout == b""
    assert b"differ" in shown


def test_interrupt_restores_echo():
    primary, secondary = os.openpty()
    process = subprocess.Popen([str(TERN), "passwd"], stdin=secondary, stderr=secondary, stdout=subprocess.PIPE)
    try:
        shown = read_until(primary, b"Password: ")
        assert not termios.tcgetattr(secondary)[3] & termios.ECHO
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=30)
        shown += read_until(primary, b"interrupted")
        assert process.returncode == 1 and stdout == b""
        assert termios.tcgetattr(secondary)[3] & termios.ECHO
    finally:
        os.close(primary)
        os.close(secondary)
