"""The partner API against a bare Django + DRF application with the same three endpoints
(bench/bare), measured side by side in one run: issue 14's P1 (create: >= 0.8x the bare
requests/s, <= 1.25x its CPU per request, p99 <= 2x) and P2 (detail and list: >= 0.8x).

    .venv/bin/python bench/compare_api.py [--seconds 20] [--connections 8] [--rounds 2]

Both are served by gunicorn (sync, two workers) on the PostgreSQL of DATABASE_URL (each in a
scratch database of its own) or on SQLite files; phases alternate (ours, bare, ours, bare...)
so that whatever else the machine does weighs on both. Figures are printed, never asserted.
"""

import argparse
import html
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import cpu_seconds, free_port, process_tree, request  # noqa: E402
from bench.reliability import concern_body  # noqa: E402

KINDS = ("create", "intake pages", "detail", "list")


def _database(name: str, scratch: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{scratch / name}.sqlite3"
    import psycopg2  # noqa: PLC0415

    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    return f"{url.rpartition('/')[0]}/{name}"


SETUP_OURS = """
import json, os
from django.core.management import call_command
call_command("migrate", verbosity=0)
from referrals.api import services
from referrals.models import Role
from tests.conftest import SignedInClient
from tests.factories import AgencyFactory, StaffFactory, TeamFactory, category
referrals = int(os.environ.get("BENCH_API_REFERRALS", "0"))
if referrals:  # a council's volume on file: matching, lists and scope read among it
    from referrals import volume
    volume.build_volume(people=max(referrals // 2, 1), referrals=referrals, years=10, seed=2)
police = AgencyFactory(code="police", kind="police", name="Police Scotland")
social_work = AgencyFactory(code="sw", kind="social_work")
team = TeamFactory(agency=social_work, receives_partner_concerns=True)
browser = SignedInClient()  # both factors, as a social worker who entered their code
browser.force_login(StaffFactory(role=Role.SOCIAL_WORKER, team=team))
form = {"source_agency": str(police.pk), "categories": str(category("neglect").pk)}
print(json.dumps({"session": browser.cookies["sessionid"].value, "form": form}))
print(services.token_issue(client=services.client_create(name="Bench", agency=police))[1])
"""
SETUP_BARE = """
import json
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
user = User.objects.create(username="bench")
browser = Client()
browser.force_login(user)
print(json.dumps({"session": browser.cookies["sessionid"].value, "form": {}}))
print(Token.objects.create(user=user).key)
"""


class Server:
    def __init__(self, name, settings, wsgi, database, scratch, token_code, scheme):
        self.name, self.port = name, free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings,
            "DATABASE_URL": database,
            "VAR_DIR": str(scratch / name),
            "CELERY_BROKER_URL": f"filesystem://{scratch / name}/broker",
            "CELERY_TASK_ALWAYS_EAGER": "false",  # queued as in production; no worker runs them
            "API_CLIENT_RATE": "1000000/min",
            "SITE_URL": "http://127.0.0.1",
            "LOG_FORMAT": "json",
        }
        (scratch / name).mkdir()
        setup = subprocess.run(  # noqa: S603 - our own setup code
            [sys.executable, "-c", "import django; django.setup()\n" + token_code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        *_, signed_in, token = setup.stdout.strip().splitlines()
        self.auth = f"{scheme} {token}"
        self.browser = json.loads(signed_in)
        self.process = subprocess.Popen(  # noqa: S603 - gunicorn, loopback only
            [str(ROOT / ".venv/bin/gunicorn"), wsgi, "--bind", f"127.0.0.1:{self.port}"]
            + ["--workers", "2", "--log-level", "warning"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(150):
            if request(self.port, "GET", "/api/v1/concerns/")[0] in {401, 403}:
                break
            time.sleep(0.2)
        self.ids: list = []

    def cpu_seconds(self) -> float:
        return cpu_seconds(process_tree(self.process.pid))

    def call(self, kind: str) -> tuple[int, float]:
        headers = {"Authorization": self.auth}
        started = time.monotonic()
        if kind == "create":
            body = concern_body(0)
            if self.name == "bare":
                body = {
                    "external_reference": body["external_reference"],
                    "summary": "x",
                    "body": body,
                }
            headers.update(
                {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
            )
            status, _, content = request(
                self.port, "POST", "/api/v1/concerns/", headers, json.dumps(body)
            )
            if status == 201:
                self.ids.append(json.loads(content)["id"])
        elif kind == "intake pages":
            return self.intake(), time.monotonic() - started
        elif kind == "detail":
            status = request(self.port, "GET", f"/api/v1/concerns/{self.ids[-1]}/", headers)[0]
        else:
            status = request(self.port, "GET", "/api/v1/concerns/", headers)[0]
        return status, time.monotonic() - started

    def intake(self) -> int:
        """Step one, the checked form (ours: with the matching), the save: 302 when saved."""
        path = "/referrals/new/" if self.name == "ours" else "/intake/"
        cookie = f"sessionid={self.browser['session']}"
        status, headers, page = request(self.port, "GET", path, {"Cookie": cookie})
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        csrf = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
        if status != 200 or not token or not csrf:
            return status or 599
        cookie = f"{cookie}; csrftoken={csrf.group(1)}"
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        form = {"csrfmiddlewaretoken": token.group(1).decode(), **_intake_form(self.browser)}
        status, _, page = request(self.port, "POST", path, headers, urlencode(form, doseq=True))
        payload = re.search(rb'name="payload" value="([^"]+)"', page)
        if status != 200 or not payload:
            return status or 599
        confirm = {
            "csrfmiddlewaretoken": form["csrfmiddlewaretoken"],
            "action": "confirm",
            "payload": html.unescape(payload.group(1).decode()),
            "match-child-0": "new",
        }
        status = request(self.port, "POST", path, headers, urlencode(confirm))[0]
        return 200 if status == 302 else status or 599


def _intake_form(browser: dict) -> dict:
    """What a social worker types at step one (ours) or its plain equivalent (bare), about a
    child nobody else is about, as concern_body is."""
    tag = uuid.uuid4().hex[:8]
    common = {
        "action": "continue",
        "channel": "phone",
        "referrer_name": "Anne Watt",
        "referrer_role": "Guidance teacher",
        "summary": "Came to school hungry and without a coat.",
        "immediate_risk": "no",
        "consent_sought": "no",
        "reason_consent_not_sought": "Asking would place the child at greater risk.",
    }
    if not browser["form"]:
        return {
            **common,
            "categories": "neglect",
            "child_first_name": "Ava",
            "child_last_name": f"Bench{tag}",
            "child_date_of_birth": "2016-05-04",
        }
    child = {
        "first_name": "Ava",
        "last_name": f"Bench{tag}",
        "date_of_birth": "2016-05-04",
        "sex": "unknown",
    }
    return {
        **common,
        **browser["form"],
        "sharing_basis": "safeguarding",
        "child-TOTAL_FORMS": "1",
        "child-INITIAL_FORMS": "0",
        **{f"child-0-{key}": value for key, value in child.items()},
        "adult-TOTAL_FORMS": "0",
        "adult-INITIAL_FORMS": "0",
    }


def phase(server: Server, kind: str, seconds: float, connections: int) -> dict:
    latencies, failures, stop = [], [0], time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < stop:
            status, took = server.call(kind)
            if 200 <= status < 300:
                latencies.append(took)
            else:
                failures[0] += 1

    cpu = server.cpu_seconds()
    threads = [threading.Thread(target=work) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = len(latencies)
    return {
        "requests": done,
        "failures": failures[0],
        "seconds": seconds,
        "cpu": server.cpu_seconds() - cpu,
        "latencies": latencies,
    }


def summarise(runs: list[dict]) -> dict:
    done = sum(run["requests"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    latencies = sorted(x for run in runs for x in run["latencies"])
    return {
        "per_second": done / seconds,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        if latencies
        else 0,
        "cpu_ms": sum(run["cpu"] for run in runs) / max(done, 1) * 1000,
        "failures": sum(run["failures"] for run in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, help="Also write the figures here (bench/table.py).")
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    ours = Server(
        "ours",
        "config.settings",
        "config.wsgi",
        _database("bench_ours", scratch),
        scratch,
        SETUP_OURS,
        "Bearer",
    )
    bare = Server(
        "bare",
        "bench.bare.settings",
        "bench.bare.wsgi",
        _database("bench_bare", scratch),
        scratch,
        SETUP_BARE,
        "Token",
    )
    try:
        results = {}
        for kind in KINDS:
            runs = {"ours": [], "bare": []}
            for _ in range(options.rounds):
                for server in (ours, bare):
                    runs[server.name].append(
                        phase(server, kind, options.seconds, options.connections)
                    )
            results[kind] = {name: summarise(r) for name, r in runs.items()}
        _report(results, options)
        if options.json:
            options.json.write_text(json.dumps(results, indent=1))
    finally:
        for server in (ours, bare):
            server.process.terminate()
            server.process.wait(10)


def _report(results: dict, options) -> None:
    print(
        f"\nPartner API (ours) against bare DRF: gunicorn sync x2, {options.connections} "
        f"connections, {options.rounds} x {options.seconds:.0f} s a side, interleaved"
    )
    for kind, row in results.items():
        ours, bare = row["ours"], row["bare"]
        print(f"  {kind}")
        for label, key, unit in (
            ("requests a second", "per_second", "/s"),
            ("p50", "p50_ms", " ms"),
            ("p99", "p99_ms", " ms"),
            ("web CPU a request", "cpu_ms", " ms"),
        ):
            ratio = ours[key] / bare[key] if bare[key] else float("nan")
            print(
                f"    {label:<19} ours {ours[key]:8.1f}{unit:<3}  bare {bare[key]:8.1f}{unit:<3}"
                f"  ours/bare {ratio:5.2f}"
            )
        if ours["failures"] or bare["failures"]:
            print(f"    failed requests     ours {ours['failures']}  bare {bare['failures']}")


if __name__ == "__main__":
    main()
