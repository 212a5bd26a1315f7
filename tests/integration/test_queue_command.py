"""`tern queue`: what waits in the spool and why, and the admin's levers (flush, hold,
release, delete) over ternd's control socket."""
import json
import os
import subprocess
import tempfile

import pytest

from conftest import BUILD
from dns_fixture import dns_server  # noqa: F401 (a fixture)
from test_outbound import Receiver, receivers, send, wait_for  # noqa: F401 (receivers is a fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="receiving servers listen on port 25")
TERN = BUILD / "tern"


def queue(server, *arguments):
    result = subprocess.run([str(TERN), "queue", "-c", str(server.config), *arguments], capture_output=True,
                            text=True, timeout=30)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def stuck(make_ternd, dns_server, receivers):
    """A ternd whose mail for remote.test is refused with 451 until the test says otherwise."""
    state = {"refuse": True}
    receiver = Receiver(lambda address, attempt: "451 4.3.0 mailbox busy" if state["refuse"] else None)
    dns_server.add("remote.test", "MX", "10 mx.remote.test.")
    dns_server.add("mx.remote.test", "A", receivers(receiver))
    control = tempfile.mktemp(prefix="tern-control-", suffix=".sock", dir="/tmp")
    server = make_ternd(extra=f'resolver {dns_server.address}\ntrusted 127.0.0.0/8\nretry-interval 1h\n'
                              f'control-socket "{control}"').start()
    yield server, receiver, state
    if os.path.exists(control):
        os.unlink(control)


def deferred_id(server):
    server.wait_log("status=deferred (451 4.3.0 mailbox busy)")
    assert wait_for(lambda: server.spooled())
    return server.spooled()[-1][:-4]


def test_list_and_show_say_why_a_message_waits(stuck):
    server, receiver, state = stuck
    send(server, "alice@example.test", ["friend@remote.test"])
    queue_id = deferred_id(server)
    assert wait_for(lambda: "1 attempt" in queue(server, "list")[1])
    status, output = queue(server, "list")
    assert status == 0 and queue_id in output and "from <alice@example.test>" in output
    assert "friend@remote.test" in output and "pending, 1 attempt, next try" in output
    assert "last: mx.remote.test[" in output and "said: 451 4.3.0 mailbox busy" in output
    status, output = queue(server, "show", queue_id, "--json")
    [message] = json.loads(output)
    assert message["id"] == queue_id and message["held"] is False and message["size"] > 0
    assert message["recipients"][0]["state"] == "pending" and "451 4.3.0" in message["recipients"][0]["last_error"]
    assert message["recipients"][0]["history"][0].endswith("tls=none said: 451 4.3.0 mailbox busy")
    status, output = queue(server, "show", queue_id)
    assert "attempt 1: " in output and "mx.remote.test[" in output
    assert queue(server, "show", "00000000DEADBEEF")[0] == 1


def test_flush_retries_now(stuck):
    server, receiver, state = stuck
    send(server, "alice@example.test", ["friend@remote.test"])
    deferred_id(server)
    state["refuse"] = False
    status, output = queue(server, "flush")
    assert status == 0 and "ok 1 flushed" in output
    assert wait_for(lambda: receiver.messages)
    assert wait_for(lambda: server.spooled() == [])


def test_hold_keeps_a_message_until_released(stuck):
    server, receiver, state = stuck
    send(server, "alice@example.test", ["friend@remote.test"])
    queue_id = deferred_id(server)
    state["refuse"] = False
    assert queue(server, "hold", queue_id) == (0, f"ok {queue_id} held\n")
    assert "[held]" in queue(server, "list")[1]
    queue(server, "flush")
    assert not wait_for(lambda: receiver.messages, timeout=1.5)
    assert queue(server, "release", queue_id)[0] == 0
    assert wait_for(lambda: receiver.messages)
    assert wait_for(lambda: server.spooled() == [])


def test_delete_removes_without_a_bounce(stuck):
    server, receiver, state = stuck
    send(server, "alice@example.test", ["friend@remote.test"])
    queue_id = deferred_id(server)
    assert queue(server, "delete", queue_id)[0] == 0
    assert server.spooled() == []
    assert server.messages("alice") == []
    server.wait_log(f"{queue_id} deleted by the admin")


def test_levers_need_a_running_ternd_but_list_does_not(stuck):
    server, receiver, state = stuck
    send(server, "alice@example.test", ["friend@remote.test"])
    deferred_id(server)
    server.stop()
    status, output = queue(server, "flush")
    assert status == 69 and "cannot reach ternd" in output
    assert queue(server, "list")[0] == 0
