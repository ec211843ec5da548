"""The live IRD record under watchers: save-to-seen latency and the server's cost per watcher.

    make bench                                   # runs this after bench/run.py
    .venv/bin/python bench/live_record.py [--watchers 20] [--saves 40]

It builds a started IRD in a scratch database (SQLite in a temporary directory, or the
PostgreSQL of DATABASE_URL in a database of its own), serves the application with gunicorn as
production does (two gthread workers), opens one server-sent event stream per watcher and has
the recorder save a section again and again. For each save it measures, per watcher, the time
from the save's answer (the change is committed) to the event that carries it. The cost per
watcher is the CPU the web processes spend with the watchers connected and idle, less what
they spend with none, divided by the number of watchers. Figures are printed, never asserted.
"""

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import cpu_seconds, free_port, process_tree  # noqa: E402


def _prepare(var_dir: Path) -> None:
    """Settings for this process and for gunicorn: a database of the bench's own."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["VAR_DIR"] = str(var_dir)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg2

        base, _, _name = url.rpartition("/")
        # Not `with connect(...)`: psycopg2 opens a transaction there, where DROP DATABASE fails.
        admin = psycopg2.connect(url)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute("DROP DATABASE IF EXISTS bench_live_record")
                cursor.execute("CREATE DATABASE bench_live_record")
        finally:
            admin.close()
        os.environ["DATABASE_URL"] = f"{base}/bench_live_record"
    os.environ.setdefault("CELERY_BROKER_URL", f"filesystem://{var_dir}/broker")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"


def _build(watchers: int):
    """A started IRD with its recorder and `watchers` invited participants, each signed in."""
    import django

    django.setup()
    from django.core.management import call_command

    from ird import services
    from ird.models import Ird
    from referrals.models import Role
    from tests.conftest import SignedInClient
    from tests.factories import AgencyFactory, StaffFactory, TeamFactory, make_referral
    from tests.ird.conftest import approve_child_protection, plan

    call_command("migrate", verbosity=0)
    social_work = AgencyFactory(code="social-work", kind="social_work", name="Social work")
    police = AgencyFactory(code="police", kind="police", name="Police Scotland")
    health = AgencyFactory(code="health", kind="health", name="NHS Grampian")
    team = TeamFactory(agency=social_work)
    recorder = StaffFactory(role=Role.SOCIAL_WORKER, team=team)
    manager = StaffFactory(role=Role.TEAM_MANAGER, team=team)
    chair = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police))
    nurse = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=health))
    others = [
        StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=health))
        for _ in range(max(0, watchers - 2))
    ]
    referral = make_referral(team=team, received_by=recorder)
    approve_child_protection(referral, recorder, manager)
    ird = services.ird_schedule(
        ird=Ird.objects.get(referral=referral),
        by=manager,
        plan=plan(chair=chair, recorder=recorder, participants=[chair, recorder, nurse, *others]),
    )
    ird = services.ird_start(ird=ird, by=recorder, reason="Benchmark of the live record.")

    def session(user) -> str:
        client = SignedInClient()  # both factors, as a person who entered their code
        client.force_login(user)
        return client.cookies["sessionid"].value

    watching = [chair, nurse, *others][:watchers]
    return ird.pk, session(recorder), [session(user) for user in watching]


class Watcher(threading.Thread):
    """One browser's event stream: the moment each record version arrived."""

    def __init__(self, port: int, path: str, session: str) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.session = port, path, session
        self.seen: dict[int, float] = {}
        self.connected = threading.Event()
        self.stop = False

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request("GET", self.path, headers={"Cookie": f"sessionid={self.session}"})
        response = connection.getresponse()
        assert response.status == 200, response.status
        self.connected.set()
        while not self.stop:
            line = response.fp.readline()
            if not line:
                return
            if line.startswith(b"id: "):
                self.seen[int(line[4:])] = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=20)
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="Also write the figures here (bench/table.py).")
    options = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-live-"))
    _prepare(scratch)
    ird_id, recorder_session, sessions = _build(options.watchers)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, loopback only
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            str(options.watchers + 8),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        pids = process_tree(server.pid)
        idle_none = _cpu_over(pids, options.idle_seconds)

        path = f"/ird/{ird_id}/record/live/"
        watchers = [Watcher(port, path, session) for session in sessions]
        for watcher in watchers:
            watcher.start()
        for watcher in watchers:
            watcher.connected.wait(30)
        time.sleep(1)  # every stream has its first event
        idle_watched = _cpu_over(pids, options.idle_seconds)

        saved_at = _save_repeatedly(port, ird_id, recorder_session, options.saves)
        time.sleep(2)
        for watcher in watchers:
            watcher.stop = True
        latencies = [
            (watcher.seen[version] - at) * 1000
            for version, at in saved_at.items()
            for watcher in watchers
            if version in watcher.seen
        ]
        expected = len(saved_at) * len(watchers)
        _report(options, latencies, expected, idle_none, idle_watched)
    finally:
        server.send_signal(signal.SIGQUIT)  # quick shutdown: open streams need not drain
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _cpu_over(pids: list[int], seconds: float) -> float:
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return (cpu_seconds(pids) - before) / seconds


def _save_repeatedly(port: int, ird_id, session: str, saves: int) -> dict[int, float]:
    """The recorder saves the discussion `saves` times, half a second apart. Returns, for each
    record version a save produced, the moment its answer came back."""
    cookie = f"sessionid={session}"
    page = _request(port, "GET", f"/ird/{ird_id}/record/", cookie)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    record_version = int(re.search(rb'data-ird-events="[^"]*seen=(\d+)"', page).group(1))
    csrf_cookie = _last_csrf_cookie.get("value", "")
    if csrf_cookie:
        cookie += f"; csrftoken={csrf_cookie}"
    saved_at: dict[int, float] = {}
    for number in range(saves):
        fields = {"csrfmiddlewaretoken": token, "text": f"Save {number}", "version": number}
        body = urlencode(fields)
        _request(
            port,
            "POST",
            f"/ird/{ird_id}/record/sections/discussion/",
            cookie,
            body=body,
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
        record_version += 1
        saved_at[record_version] = time.monotonic()
        time.sleep(0.5)
    return saved_at


_last_csrf_cookie: dict[str, str] = {}


def _request(port, method, path, cookie, body=None, headers=None) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Cookie": cookie, **(headers or {})}
    if body is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    content = response.read()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("csrftoken="):
            _last_csrf_cookie["value"] = value.split(";", 1)[0].split("=", 1)[1]
    if response.status >= 400:
        raise SystemExit(f"{method} {path} answered {response.status}: {content[:300]!r}")
    return content


def _report(options, latencies, expected, idle_none, idle_watched) -> None:
    print()
    print(f"Live IRD record: {options.watchers} watchers, {options.saves} saves (gunicorn gthread)")
    if not latencies:
        print("  no save reached any watcher")
        return
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    if options.json:
        figures = {"p50_ms": statistics.median(ordered), "p95_ms": p95, "max_ms": ordered[-1]}
        options.json.write_text(json.dumps({**figures, "delivered": len(latencies)}))
    print(f"  delivered                          {len(latencies):5d} of {expected} events")
    print(f"  save-to-seen p50                   {statistics.median(ordered):8.1f} ms")
    print(f"  save-to-seen p95                   {p95:8.1f} ms   (goal <= 1000 ms)")
    print(f"  save-to-seen max                   {ordered[-1]:8.1f} ms")
    per_watcher = (idle_watched - idle_none) / options.watchers * 1000
    print(f"  web CPU, nobody watching           {idle_none * 1000:8.1f} ms per second")
    watching = f"{options.watchers} watching, idle"
    print(f"  web CPU, {watching:<26}{idle_watched * 1000:8.1f} ms per second")
    print(f"  server cost per idle watcher       {per_watcher:8.2f} ms CPU per second")


if __name__ == "__main__":
    main()
