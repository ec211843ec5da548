"""What the benches that serve the application for real share: a free loopback port, one HTTP
request on its own connection, and the CPU a server's processes have spent."""

import http.client
import os
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, headers=None, body=None) -> tuple[int, dict, bytes]:
    """One request on its own connection. Status 0 when nothing answered."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        headers: dict[str, str] = {}
        for name, value in response.getheaders():  # several Set-Cookie: keep them all
            headers[name.lower()] = (
                f"{headers[name.lower()]}\n{value}" if name.lower() in headers else value
            )
        return response.status, headers, content
    except (OSError, http.client.HTTPException):
        return 0, {}, b""


def process_tree(master: int) -> list[int]:
    """A server's master process and its children (gunicorn's or Celery's workers)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    found = children.read_text().split() if children.exists() else []
    return [master, *map(int, found)]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes have spent so far (those gone count nothing)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks
