"""Scenario 3 of `make bench`: opens COUNT SMTP sessions to ADDRESS:PORT, reads each greeting,
sends EHLO and reads its reply, then leaves them all idle. Once every session is idle (or the
time is up, or none has succeeded for STALL_SECONDS) it sums the resident memory of the server's processes (ROOT_PID and its
descendants; Rss and Pss from /proc/PID/smaps_rollup), then sends NOOP on every session: a
session counts as held when it answered EHLO and, after the measurement, NOOP with 250.
Prints one JSON object: held, opened, processes, rss_kib, pss_kib, seconds (until the last
session was set up).
    /usr/bin/python3 bench/idle_sessions.py ADDRESS PORT COUNT ROOT_PID [TIMEOUT]"""
import asyncio
import json
import os
import resource
import sys
import time

IN_FLIGHT = 4  # connections being set up at once: OpenSMTPD listens with a backlog of 5
STALL_SECONDS = 15  # no new session for this long: the server holds no more (e.g. its process limit)


def descendants(root):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory_kib(pids):
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


async def reply(reader):
    while True:
        line = await reader.readline()
        if len(line) < 4:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return line[:3]


async def open_session(address, port, gate, deadline, progress):
    async with gate:
        timeout = max(deadline - time.monotonic(), 0.1)
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
        try:
            if await asyncio.wait_for(reply(reader), timeout) != b"220":
                raise ConnectionError("no greeting")
            writer.write(b"EHLO idle.bench.test\r\n")
            if await asyncio.wait_for(reply(reader), timeout) != b"250":
                raise ConnectionError("EHLO refused")
        except BaseException:
            writer.close()
            raise
        progress[0] = time.monotonic()
        return reader, writer


async def watchdog(tasks, progress):
    """Cancels the sessions still being set up once none has succeeded for STALL_SECONDS."""
    while not all(task.done() for task in tasks):
        if time.monotonic() - progress[0] > STALL_SECONDS:
            for task in tasks:
                task.cancel()
            return
        await asyncio.sleep(0.5)


async def still_there(session):
    reader, writer = session
    try:
        writer.write(b"NOOP\r\n")
        return await asyncio.wait_for(reply(reader), 30) == b"250"
    except (OSError, ConnectionError, asyncio.TimeoutError):
        return False


async def main(address, port, count, root, timeout):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gate = asyncio.Semaphore(IN_FLIGHT)
    start = time.monotonic()
    deadline = start + timeout
    progress = [start]
    tasks = [asyncio.ensure_future(open_session(address, port, gate, deadline, progress)) for _ in range(count)]
    guard = asyncio.ensure_future(watchdog(tasks, progress))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    guard.cancel()
    sessions = [r for r in results if isinstance(r, tuple)]
    seconds = progress[0] - start
    await asyncio.sleep(1)
    pids = descendants(root)
    rss, pss = memory_kib(pids)
    alive = await asyncio.gather(*(still_there(s) for s in sessions))
    for _, writer in sessions:
        writer.close()
    print(json.dumps({"held": sum(alive), "opened": len(sessions), "processes": len(pids),
                      "rss_kib": rss, "pss_kib": pss, "seconds": round(seconds, 2)}))


if __name__ == "__main__":
    address, port, count, root = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    asyncio.run(main(address, port, count, root, float(sys.argv[5]) if len(sys.argv) > 5 else 120))
