"""Reliability drills (goals G18, G19, G21, G22 in docs/reliability.md): load, database faults,
worker, scheduler and broker faults and a soak, against the application served as in
production. Figures and verdicts are printed and written to var/reliability/; nothing here is a
test and no timer is asserted anywhere.

    make reliability                  # every drill on Redis, then worker and beat on RabbitMQ
    .venv/bin/python bench/reliability.py load --load-seconds 300 --users 20  # G22
    .venv/bin/python bench/reliability.py pg-kill       # G21: pg_ctl stop -m immediate, load
    .venv/bin/python bench/reliability.py pg-terminate  # G21: pg_terminate_backend(), load
    .venv/bin/python bench/reliability.py worker-kill   # G18: kill -9 the worker mid-sweep, 5x
    .venv/bin/python bench/reliability.py scheduler     # G19: beat down, then two beats
    .venv/bin/python bench/reliability.py broker-restart  # G19: the broker killed mid-sweep
    .venv/bin/python bench/reliability.py soak --soak-seconds 1800  # memory and connections
    .venv/bin/python bench/reliability.py worker-kill --broker amqp://guest:guest@127.0.0.1:5672//

Each drill runs its own PostgreSQL cluster (initdb in a temporary directory, on a free port), so
that stopping the database never touches the machine's own, and the application as production
runs it: gunicorn with gthread workers, a Celery worker and beat on Redis (RELIABILITY_BROKER_URL,
redis://127.0.0.1:6379/13 unless set). The load is 70% reads (partner concern list and detail),
20% creates (partner concerns with an Idempotency-Key) and 10% IRD notes (a recorder saving the
live record), from threads sharing the machine's two cores: a regression baseline, not capacity.

What a drill checks besides its timings: no 5xx but the outage's 503 (with Retry-After); every
concern the API answered 201 for is in the database exactly once, with its audit row and its
screening deadline; after a fault, how long until requests succeed again.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import free_port, process_tree, request  # noqa: E402

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
BROKER_URL = os.environ.get("RELIABILITY_BROKER_URL", "redis://127.0.0.1:6379/13")
MIX = (("read", 0.7), ("create", 0.2), ("note", 0.1))


# --- Outcomes and verdicts (pure: unit-tested in tests/test_reliability_drill.py) -------------


@dataclass(frozen=True)
class Outcome:
    """One request as the load generator saw it: when it started (seconds into the drill)."""

    at: float
    kind: str
    status: int  # 0: no answer at all (refused or reset connection)
    seconds: float
    retry_after: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    @property
    def server_error(self) -> bool:
        """A 5xx that is not the outage's answer, or no answer: what a fault must never cause."""
        if self.status == 503 and self.retry_after:
            return False
        return self.status >= 500 or self.status == 0


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def latency_summary(outcomes: list[Outcome]) -> dict:
    """Per kind of request: how many, how many failed, and the p50/p95 of those that succeeded."""
    summary = {}
    for kind in sorted({outcome.kind for outcome in outcomes}):
        mine = [outcome for outcome in outcomes if outcome.kind == kind]
        times = [outcome.seconds * 1000 for outcome in mine if outcome.ok]
        summary[kind] = {
            "requests": len(mine),
            "ok": len(times),
            "server_errors": sum(outcome.server_error for outcome in mine),
            "client_errors": sum(400 <= outcome.status < 500 for outcome in mine),
            "p50_ms": round(statistics.median(times), 1) if times else None,
            "p95_ms": round(percentile(times, 0.95), 1) if times else None,
        }
    return summary


def ok_share(outcomes: list[Outcome], start: float, end: float) -> float | None:
    """The share of requests started in [start, end) that succeeded (None: there were none)."""
    window = [outcome for outcome in outcomes if start <= outcome.at < end]
    if not window:
        return None
    return sum(outcome.ok for outcome in window) / len(window)


def recovery_verdict(outcomes: list[Outcome], *, fault_at: float, back_at: float) -> dict:
    """G21: during the outage every failure is the generic 503 with Retry-After; after the
    database is back, >= 99% of requests succeed from 10 s on and all of them from 30 s on.
    `back_at` is when the database accepted connections again (the fault's moment for a fault
    with no downtime, such as terminated connections)."""
    during = [outcome for outcome in outcomes if fault_at <= outcome.at < back_at]
    first_10 = ok_share(outcomes, back_at, back_at + 10)
    after_10 = ok_share(outcomes, back_at + 10, back_at + 30)
    after_30 = ok_share(outcomes, back_at + 30, float("inf"))
    first_ok = min(
        (outcome.at for outcome in outcomes if outcome.at >= back_at and outcome.ok),
        default=None,
    )
    verdict = {
        "during_outage": len(during),
        "outage_503_with_retry_after": sum(
            outcome.status == 503 and outcome.retry_after for outcome in during
        ),
        "server_errors": sum(outcome.server_error for outcome in outcomes),
        "first_success_after_back_s": None if first_ok is None else round(first_ok - back_at, 2),
        "ok_share_0_to_10s": first_10,
        "ok_share_10_to_30s": after_10,
        "ok_share_after_30s": after_30,
    }
    verdict["met"] = (
        verdict["server_errors"] == 0
        and after_10 is not None
        and after_10 >= 0.99
        and after_30 is not None
        and after_30 == 1.0
    )
    return verdict


# --- The drill's own PostgreSQL cluster ------------------------------------------------------


class Cluster:
    """A PostgreSQL cluster of the drill's own, so that killing it harms nothing else."""

    def __init__(self, scratch: Path) -> None:
        self.data = scratch / "pgdata"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/drill"
        as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        self.prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        self.data.mkdir(parents=True)
        if as_postgres:
            shutil.chown(scratch, "postgres")
            shutil.chown(self.data, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(  # noqa: S603 - PostgreSQL's own tools, arguments built here
            [*self.prefix, str(PG_BIN / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def sql(self, statement: str) -> list[tuple]:
        import psycopg2  # noqa: PLC0415 - only the drill needs it before django.setup()

        connection = psycopg2.connect(self.url.replace("/drill", "/postgres"))
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()


# --- The application as production runs it ----------------------------------------------------


class Application:
    """gunicorn (2 gthread workers), a Celery worker and beat, with the drill's database."""

    def __init__(self, scratch: Path, database_url: str, broker_url: str) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "VAR_DIR": str(scratch / "var"),
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "LOG_FORMAT": "json",
            "API_CLIENT_RATE": "100000/min",  # one token per virtual user; no throttling here
        }
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.beats: list[subprocess.Popen] = []
        self.logs = scratch / "logs"
        self.logs.mkdir()

    def _spawn(self, name: str, *command: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(  # noqa: S603 - our own programs, loopback only
            [str(ROOT / ".venv/bin" / command[0]), *command[1:]],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self) -> None:
        self.web = self._spawn(
            "web",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "16",
        )
        for _ in range(150):
            status, _headers, _body = request(self.port, "GET", "/healthz")
            if status == 200:
                return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not start: see {self.logs / 'web.log'}")

    def start_worker(self) -> None:
        self.worker = self._spawn(
            "worker", "celery", "-A", "config", "worker", "--concurrency", "2", "-l", "INFO"
        )

    def start_beat(self) -> None:
        """One more beat, with a schedule file of its own (a second beat is a fault drill)."""
        schedule = self.logs / f"beat-schedule-{len(self.beats)}"
        self.beats.append(
            self._spawn("beat", "celery", "-A", "config", "beat", "-l", "INFO", "-s", str(schedule))
        )

    def stop_beats(self) -> None:
        for beat in self.beats:
            _stop(beat)
        self.beats = []

    def restart_worker_and_beat(self) -> None:
        """After the environment changed (another broker): worker and one beat anew."""
        _stop(self.worker)
        self.stop_beats()
        self.start_worker()
        self.start_beat()

    def kill_worker(self, *, child_only: bool = False) -> None:
        """SIGKILL the whole worker (main process and its pool), or only a pool child, which the
        main process replaces while the task it held is lost with it."""
        pool = process_tree(self.worker.pid)[1:]
        if child_only and pool:
            os.kill(pool[0], signal.SIGKILL)
            return
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()
        self.start_worker()

    def processes(self) -> list[int]:
        """Every process of the web server and the worker (masters and children)."""
        running = [p for p in (self.web, self.worker) if p is not None and p.poll() is None]
        return [pid for process in running for pid in process_tree(process.pid)]

    def stop(self) -> None:
        for process in (*self.beats, self.worker, self.web):
            _stop(process)


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class OwnRedis:
    """A Redis of the drill's own (nothing kept on disk), to be killed and restarted."""

    def __init__(self, scratch: Path) -> None:
        self.port, self.dir = free_port(), scratch
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - Redis itself, loopback only
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(50):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


# --- Data the load needs -----------------------------------------------------------------------


@dataclass
class Fixtures:
    tokens: list[str]
    concern_ids: list[str]
    recorders: list[dict] = field(default_factory=list)  # one started IRD per note writer


def build(users: int) -> Fixtures:
    """Migrations, an intake team, one partner token per virtual user, a page of concerns to
    read, and one started IRD (with its signed-in recorder) per virtual user for the notes."""
    import django  # noqa: PLC0415 - settings come from the drill's environment

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    from ird import services as ird_services  # noqa: PLC0415
    from ird.models import Ird  # noqa: PLC0415
    from referrals.api import services as api_services  # noqa: PLC0415
    from referrals.models import Role  # noqa: PLC0415
    from tests.conftest import SignedInClient  # noqa: PLC0415
    from tests.factories import (  # noqa: PLC0415
        AgencyFactory,
        StaffFactory,
        TeamFactory,
        make_referral,
    )
    from tests.ird.conftest import approve_child_protection, plan  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    social_work = AgencyFactory(code="social-work", kind="social_work", name="Social work")
    police = AgencyFactory(code="police", kind="police", name="Police Scotland")
    team = TeamFactory(agency=social_work, receives_partner_concerns=True)
    manager = StaffFactory(role=Role.TEAM_MANAGER, team=team)
    chair = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police))
    health = AgencyFactory(code="health", kind="health", name="NHS Grampian")
    nurse = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=health))
    tokens = [
        api_services.token_issue(
            client=api_services.client_create(name=f"Drill partner {number}", agency=police)
        )[1]
        for number in range(users)
    ]

    recorders = []
    for _ in range(users):
        recorder = StaffFactory(role=Role.SOCIAL_WORKER, team=team)
        referral = make_referral(team=team, received_by=recorder)
        approve_child_protection(referral, recorder, manager)
        ird = ird_services.ird_schedule(
            ird=Ird.objects.get(referral=referral),
            by=manager,
            plan=plan(chair=chair, recorder=recorder, participants=[chair, recorder, nurse]),
        )
        ird = ird_services.ird_start(ird=ird, by=recorder, reason="Reliability drill.")
        browser = SignedInClient()  # both factors, as a person who entered their code
        browser.force_login(recorder)
        recorders.append({"ird": str(ird.pk), "session": browser.cookies["sessionid"].value})

    from django.db import connection  # noqa: PLC0415

    connection.close()  # the drill may stop this database: hold no connection to it
    return Fixtures(tokens=tokens, concern_ids=[], recorders=recorders)


def concern_body(number: int) -> dict:
    """A valid partner concern about a child nobody else is about (matching stays cheap)."""
    tag = uuid.uuid4().hex[:10]
    return {
        "external_reference": f"DRILL-{tag}",
        "referrer": {"name": "PC Drill", "role": "Police constable", "phone": "01343 000000"},
        "occurred_at": "2026-01-10T21:30:00Z",
        "categories": ["neglect"],
        "summary": "Reliability drill: a concern sent under load.",
        "immediate_risk": False,
        "children": [
            {
                "first_name": f"Drill{tag[:5]}",
                "last_name": f"Child{number}",
                "date_of_birth": "2018-03-15",
                "sex": "female",
            }
        ],
        "consent": {"sought": False, "given": None, "reason_not_sought": "Drill"},
    }


# --- The load -----------------------------------------------------------------------------------


class VirtualUser(threading.Thread):
    """One partner system and one recorder, in the MIX of reads, creates and notes."""

    def __init__(self, drill: "Load", number: int) -> None:
        super().__init__(daemon=True)
        self.drill, self.number = drill, number
        self.token = drill.fixtures.tokens[number]
        self.recorder = drill.fixtures.recorders[number]
        self.random = random.Random(number)  # noqa: S311 - a load mix, not a secret
        self.version: int | None = None
        self.csrf: tuple[str, str] | None = None

    def run(self) -> None:
        while not self.drill.stopping.is_set():
            choice = self.random.random()
            if choice < MIX[0][1]:
                self.read()
            elif choice < MIX[0][1] + MIX[1][1]:
                self.create()
            else:
                self.note()
            time.sleep(self.drill.think_seconds * self.random.random())

    def _timed(self, kind, method, path, headers, body=None) -> tuple[int, dict, bytes]:
        started = time.monotonic()
        status, answer_headers, content = request(self.drill.app.port, method, path, headers, body)
        self.drill.outcomes.append(
            Outcome(
                at=round(started - self.drill.began, 3),
                kind=kind,
                status=status,
                seconds=time.monotonic() - started,
                retry_after="retry-after" in answer_headers,
            )
        )
        return status, answer_headers, content

    def read(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        known = self.drill.created
        if known and self.random.random() < 0.5:
            concern = self.random.choice(known)["id"]
            self._timed("read", "GET", f"/api/v1/concerns/{concern}/", headers)
        else:
            self._timed("read", "GET", "/api/v1/concerns/?page_size=20", headers)

    def create(self) -> None:
        body = concern_body(self.number)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": str(uuid.uuid4()),
            "Content-Type": "application/json",
        }
        status, _headers, content = self._timed(
            "create", "POST", "/api/v1/concerns/", headers, json.dumps(body)
        )
        if status == 201:
            answer = json.loads(content)
            self.drill.created.append(
                {"id": answer["id"], "external_reference": body["external_reference"]}
            )

    def note(self) -> None:
        ird = self.recorder["ird"]
        cookie = f"sessionid={self.recorder['session']}"
        if self.csrf is None or self.version is None:
            status, headers, page = request(
                self.drill.app.port, "GET", f"/ird/{ird}/record/", {"Cookie": cookie}
            )
            if status != 200:
                return
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            found = re.search(rb'name="version" value="(\d+)" id="version-discussion"', page)
            csrf_cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
            if not (token and found):
                return
            self.csrf = (token.group(1).decode(), csrf_cookie.group(1) if csrf_cookie else "")
            self.version = int(found.group(1))
        token, csrf_cookie = self.csrf
        body = (
            f"csrfmiddlewaretoken={token}&version={self.version}"
            f"&text=Drill+note+{uuid.uuid4().hex[:8]}"
        )
        headers = {
            "Cookie": f"{cookie}; csrftoken={csrf_cookie}" if csrf_cookie else cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "X-CSRFToken": token,
        }
        status, _headers, content = self._timed(
            "note", "POST", f"/ird/{ird}/record/sections/discussion/", headers, body
        )
        saved = re.search(rb'name="version" value="(\d+)"', content)
        self.version = int(saved.group(1)) if status == 200 and saved else None


class Load:
    """Virtual users against the application, with a monitor sampling the database's
    connections and the processes' memory once a second."""

    def __init__(self, app: Application, cluster: Cluster, fixtures: Fixtures, users: int):
        self.app, self.cluster, self.fixtures, self.users = app, cluster, fixtures, users
        self.outcomes: list[Outcome] = []
        self.created: list[dict] = []
        self.samples: list[dict] = []
        self.stopping = threading.Event()
        self.think_seconds = 0.5
        self.began = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.began

    def run(self, seconds: float, during=None) -> None:
        """Load for `seconds`; `during(load)` runs alongside (the fault), if given."""
        self.stopping.clear()
        users = [VirtualUser(self, number) for number in range(self.users)]
        monitor = threading.Thread(target=self._monitor, daemon=True)
        for thread in (*users, monitor):
            thread.start()
        if during is not None:
            during(self)
        while self.now() < seconds:
            time.sleep(0.2)
        self.stopping.set()
        for thread in users:
            thread.join(60)

    def _monitor(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.stopping.is_set():
            sample = {"at": round(self.now(), 1), "connections": None}
            try:
                sample["connections"] = self.cluster.sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'drill'"
                )[0][0]
            except Exception:  # noqa: BLE001 - the database may be the fault itself
                sample["connections"] = None
            rss = 0
            for pid in self.app.processes():
                try:
                    rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
                except (FileNotFoundError, ProcessLookupError):
                    continue
            sample["rss_mb"] = round(rss / 2**20, 1)
            self.samples.append(sample)
            time.sleep(1)


# --- Checks on what was kept ---------------------------------------------------------------------


def invariants(cluster: Cluster, created: list[dict]) -> dict:
    """Every concern answered 201 is in the database once, with its audit row and deadline."""
    import psycopg2  # noqa: PLC0415

    references = [item["external_reference"] for item in created]
    with psycopg2.connect(cluster.url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_reference, count(*) FROM partner_api_submittedconcern"
            " WHERE external_reference = ANY(%s) GROUP BY external_reference",
            [references],
        )
        stored = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FROM referrals_referral r WHERE NOT EXISTS ("
            " SELECT 1 FROM referrals_auditentry a WHERE a.object_type = 'referral'"
            " AND a.object_id = r.id::text AND a.action = 'create')"
        )
        without_audit = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM referrals_referral r WHERE r.status = 'received'"
            " AND NOT EXISTS (SELECT 1 FROM referrals_deadline d"
            " WHERE d.subject_type = 'referral' AND d.subject_id = r.id::text)"
        )
        without_deadline = cursor.fetchone()[0]
    missing = [reference for reference in references if reference not in stored]
    twice = [reference for reference, count in stored.items() if count > 1]
    return {
        "created_201": len(references),
        "missing": len(missing),
        "stored_twice": len(twice),
        "referrals_without_audit": without_audit,
        "received_referrals_without_deadline": without_deadline,
        "met": not missing and not twice and without_audit == 0 and without_deadline == 0,
    }


# --- The drills --------------------------------------------------------------------------------


def drill_load(load: Load, seconds: float) -> dict:
    """G22: no failed request, p95 under 500 ms, connections under max_connections - 10."""
    result = _load_figures(load, seconds)
    result["met"] = result["no_errors"] and result["p95_ms_all"] < 500 and result["connections_ok"]
    return result


def _load_figures(load: Load, seconds: float) -> dict:
    load.run(seconds)
    summary = latency_summary(load.outcomes)
    peak = max((s["connections"] or 0 for s in load.samples), default=0)
    limit = int(load.cluster.sql("SHOW max_connections")[0][0])
    p95 = percentile([o.seconds * 1000 for o in load.outcomes if o.ok], 0.95)
    return {
        "requests": summary,
        "throughput_per_s": round(len(load.outcomes) / seconds, 1),
        "p95_ms_all": round(p95, 1),
        "peak_connections": peak,
        "max_connections": limit,
        "no_errors": all(k["server_errors"] == k["client_errors"] == 0 for k in summary.values()),
        "connections_ok": peak < limit - 10,
    }


def drill_database_fault(load: Load, *, terminate: bool) -> dict:
    """Under load: the database stopped hard for ten seconds (or every connection of the
    application terminated once), then how the application comes back."""
    moments = {}

    def fault(load: Load) -> None:
        time.sleep(15)
        moments["fault_at"] = load.now()
        if terminate:
            load.cluster.sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = 'drill' AND pid <> pg_backend_pid()"
            )
        else:
            load.cluster.stop("immediate")
            time.sleep(10)
            load.cluster.start()
        moments["back_at"] = load.now()

    load.run(75, during=fault)
    verdict = recovery_verdict(load.outcomes, **moments)
    verdict.update({key: round(value, 2) for key, value in moments.items()})
    return verdict


def _overdue(due: int, label: str):
    """`due` deadlines past their due and manager-escalation moments (two alerts each)."""
    from referrals.models import Staff  # noqa: PLC0415
    from tests.factories import overdue_deadlines  # noqa: PLC0415

    owner = Staff.objects.filter(team__isnull=False).first()
    return overdue_deadlines(due, owner=owner, label=label)[0].timescale


def _alerts_once(timescales: list, *, sweep: bool, seconds: float = 300) -> dict:
    """Wait until no deadline of `timescales` has work due (queueing a sweep every minute when
    `sweep`, as beat does; otherwise beat's own), then count: one alert per deadline and level
    passed, none lost and none twice."""
    from django.db import connection  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from referrals import deadlines  # noqa: PLC0415
    from referrals.models import Deadline, DeadlineAlert  # noqa: PLC0415
    from referrals.tasks import sweep_deadlines  # noqa: PLC0415

    live = Deadline.objects.filter(timescale__in=timescales, state__in=deadlines.LIVE_STATES)
    started = time.monotonic()
    finished, next_sweep = started + seconds, 0.0
    while time.monotonic() < finished and live.filter(next_action_at__lte=timezone.now()).exists():
        if sweep and time.monotonic() >= next_sweep:
            sweep_deadlines.apply_async(retry=False)
            next_sweep = time.monotonic() + 60
        time.sleep(1)
    took = time.monotonic() - started
    alerts = list(
        DeadlineAlert.objects.filter(deadline__timescale__in=timescales).values_list(
            "deadline_id", "level"
        )
    )
    expected = Deadline.objects.filter(timescale__in=timescales).count() * 2
    connection.close()
    return {
        "deadlines": expected // 2,
        "alerts": len(alerts),
        "expected_alerts": expected,
        "lost": expected - len(set(alerts)),
        "duplicates": len(alerts) - len(set(alerts)),
        "seconds_to_finish": round(took, 1),
        "met": len(alerts) == len(set(alerts)) == expected,
    }


def drill_worker_kill(app: Application, *, due: int = 500, kills: int = 5) -> dict:
    """G18: `kills` rounds; in each, `due` more overdue deadlines, the sweep queued, and the
    worker killed with SIGKILL as soon as the sweep is under way: the whole worker in even
    rounds, only its pool child in odd ones. Then left to finish."""
    from referrals.models import DeadlineAlert  # noqa: PLC0415
    from referrals.tasks import sweep_deadlines  # noqa: PLC0415

    timescales, alerts_at_kills = [], []
    for round_ in range(kills):
        timescales.append(_overdue(due, f"Reliability drill {round_}"))
        mine = DeadlineAlert.objects.filter(deadline__timescale=timescales[-1])
        sweep_deadlines.apply_async(retry=False)
        waited = time.monotonic()
        while not mine.exists() and time.monotonic() - waited < 60:
            time.sleep(0.1)  # the sweep is under way: kill it there
        app.kill_worker(child_only=round_ % 2 == 1)
        alerts_at_kills.append(f"{mine.count()} of {due * 2}")
    return {"kills": kills, "alerts_when_killed": alerts_at_kills} | _alerts_once(
        timescales, sweep=True
    )


def drill_scheduler(app: Application, *, due: int = 500) -> dict:
    """G19: beat down while deadlines fall due (they are hours overdue), then two beats started
    at once: every alert is made in the first sweeps, and only once."""
    app.stop_beats()
    timescale = _overdue(due, "Reliability drill: beat down")
    app.start_beat()
    app.start_beat()
    try:
        return {"beats": 2} | _alerts_once([timescale], sweep=False)
    finally:
        app.stop_beats()
        app.start_beat()


def drill_broker_restart(app: Application, scratch: Path, *, due: int = 500) -> dict:
    """G19: the broker (a Redis of the drill's own, keeping nothing) killed during a sweep and
    started again empty: the queued work is lost with it, and beat's next sweeps make every
    alert once from the deadlines in PostgreSQL."""
    from referrals.models import DeadlineAlert  # noqa: PLC0415

    broker = OwnRedis(scratch)
    broker.start()
    usual = app.env["CELERY_BROKER_URL"]
    app.env["CELERY_BROKER_URL"] = broker.url
    app.restart_worker_and_beat()
    try:
        timescale = _overdue(due, "Reliability drill: broker restart")
        mine = DeadlineAlert.objects.filter(deadline__timescale=timescale)
        waited = time.monotonic()
        while not mine.exists() and time.monotonic() - waited < 120:
            time.sleep(0.1)  # beat's first sweep is under way
        made_before = mine.count()
        broker.kill()
        time.sleep(5)
        broker.start()
        return {"alerts_when_killed": f"{made_before} of {due * 2}"} | _alerts_once(
            [timescale], sweep=False
        )
    finally:
        app.env["CELERY_BROKER_URL"] = usual
        app.restart_worker_and_beat()
        broker.kill()


def drill_soak(load: Load, seconds: float) -> dict:
    """The load for long: no failed request, connections bounded, and the memory of the web and
    worker processes settling rather than growing (< 10% after the first minutes). Latency is
    the load drill's goal, not this one's: a long run shares the machine with whatever else runs."""
    result = _load_figures(load, seconds)
    settled = [
        s["rss_mb"] for s in load.samples if s["rss_mb"] and s["at"] >= min(120, seconds / 4)
    ]
    growth = (settled[-1] - settled[0]) / settled[0] if len(settled) > 1 else 0.0
    result.update(
        {
            "rss_mb_first": settled[0] if settled else None,
            "rss_mb_last": settled[-1] if settled else None,
            "rss_growth": round(growth, 3),
        }
    )
    result["met"] = result["no_errors"] and result["connections_ok"] and growth < 0.1
    return result


DRILLS = ("load", "pg-kill", "pg-terminate", "worker-kill", "scheduler", "broker-restart", "soak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drills", nargs="*", metavar="DRILL", help=", ".join(DRILLS))
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--load-seconds", type=float, default=300, help="G22: 5 minutes")
    parser.add_argument("--soak-seconds", type=float, default=1800, help="30 minutes")
    parser.add_argument(
        "--broker",
        default=BROKER_URL,
        help="Celery's broker for web, worker and beat (Redis by default; "
        "amqp://guest:guest@127.0.0.1:5672// for RabbitMQ)",
    )
    options = parser.parse_args()
    chosen = options.drills or list(DRILLS)
    unknown = set(chosen) - set(DRILLS)
    if unknown:
        parser.error(f"no such drill: {', '.join(sorted(unknown))} (drills: {', '.join(DRILLS)})")
    raise SystemExit(
        run(
            chosen,
            users=options.users,
            load_s=options.load_seconds,
            soak_s=options.soak_seconds,
            broker=options.broker,
        )
    )


def run(chosen: list[str], *, users: int, load_s: float, soak_s: float, broker: str) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="reliability-"))
    cluster = Cluster(scratch)
    cluster.start()
    cluster.sql("CREATE DATABASE drill")
    app = Application(scratch, cluster.url, broker)
    os.environ.update({key: app.env[key] for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")})
    os.environ.update({key: app.env[key] for key in ("CELERY_BROKER_URL", "VAR_DIR", "SITE_URL")})
    results = {"users": users, "broker": broker.split("://")[0], "cores": os.cpu_count()}
    try:
        fixtures = build(users)
        app.start_web()
        app.start_worker()
        app.start_beat()
        load = None
        for drill in chosen:
            print(f"\n== {drill}", flush=True)
            if drill in {"load", "pg-kill", "pg-terminate", "soak"}:
                load = Load(app, cluster, fixtures, users if drill in {"load", "soak"} else 10)
            if drill == "load":
                results[drill] = drill_load(load, load_s)
            elif drill == "soak":
                results[drill] = drill_soak(load, soak_s)
            elif drill in {"pg-kill", "pg-terminate"}:
                results[drill] = drill_database_fault(load, terminate=drill == "pg-terminate")
            elif drill == "worker-kill":
                results[drill] = drill_worker_kill(app)
            elif drill == "scheduler":
                results[drill] = drill_scheduler(app)
            else:
                results[drill] = drill_broker_restart(app, scratch)
            if load is not None and drill in {"load", "pg-kill", "pg-terminate", "soak"}:
                results[drill]["invariants"] = invariants(cluster, load.created)
                results[drill]["met"] &= results[drill]["invariants"]["met"]
            print(json.dumps(results[drill], indent=2), flush=True)
    finally:
        app.stop()
        cluster.stop("fast")
    out = ROOT / "var" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    report = out / f"{time.strftime('%Y%m%dT%H%M%S')}.json"
    report.write_text(json.dumps(results, indent=2) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    failed = [drill for drill in chosen if not results.get(drill, {}).get("met")]
    print(f"\nReport: {report.relative_to(ROOT)}")
    print("All drills met their goals." if not failed else f"Goals missed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    main()
