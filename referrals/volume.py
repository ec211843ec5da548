"""Volume data at a council's scale, for the bench (bench/run.py) and `manage.py generate_volume`:
people in households, referrals over several years with their screening decisions, deadlines,
chronology and audit rows, all written with bulk inserts in batches (no save per row, no
signals), and everything drawn from one seeded random generator so a seed gives the same data.

The core never imports hub or ird: each app adds its records (hub reviews; IRDs and their
decisions) through the registry's VolumeSteps hook (referrals.extensions), from a module of its
own named `volume`."""

import io
import json
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from referrals import audit, extensions, name_matching
from referrals.models import (
    Agency,
    AuditEntry,
    ChronologyEntry,
    ConcernCategory,
    Deadline,
    Person,
    Referral,
    ReferralChild,
    Relationship,
    Role,
    ScreeningDecision,
    Staff,
    Team,
    Timescale,
)
from referrals.working_days import due_time

BATCH = 5_000

# Name frequencies after National Records of Scotland's lists of babies' first names and the
# commonest surnames (rounded: relative weights, not counts).
GIRLS = {
    "Olivia": 40, "Isla": 36, "Emily": 30, "Freya": 28, "Ava": 26, "Ella": 24, "Sophie": 22,
    "Grace": 22, "Amelia": 21, "Lily": 20, "Mia": 18, "Ellie": 16, "Millie": 14, "Harper": 13,
    "Isabella": 12, "Hannah": 12, "Eilidh": 10, "Skye": 9, "Erin": 9, "Rosie": 8, "Orla": 8,
    "Evie": 8, "Aria": 7, "Maisie": 7, "Ruby": 7, "Kayla": 4, "Mhairi": 4, "Niamh": 4,
}  # fmt: skip
BOYS = {
    "Jack": 40, "Noah": 34, "Oliver": 30, "Leo": 28, "Harris": 26, "Rory": 24, "Finlay": 22,
    "Lewis": 22, "Alfie": 20, "Charlie": 20, "James": 19, "Archie": 18, "Thomas": 16,
    "Lucas": 15, "Mason": 14, "Alexander": 13, "Max": 12, "Jacob": 11, "Callum": 10, "Logan": 10,
    "Cameron": 9, "Ethan": 9, "Ruaridh": 5, "Fraser": 5, "Hamish": 4, "Calum": 4, "Kyle": 4,
}  # fmt: skip
SURNAMES = {
    "Smith": 100, "Brown": 70, "Wilson": 62, "Robertson": 60, "Campbell": 57, "Stewart": 56,
    "Thomson": 53, "Anderson": 50, "Macdonald": 45, "Scott": 43, "Reid": 42, "Murray": 41,
    "Taylor": 40, "Clark": 37, "Ross": 34, "Watson": 33, "Morrison": 33, "Paterson": 32,
    "Young": 32, "Mitchell": 31, "Walker": 31, "Fraser": 30, "Miller": 30, "Mackenzie": 29,
    "Gray": 28, "Henderson": 28, "Hamilton": 27, "Johnston": 27, "Duncan": 26, "Graham": 26,
    "Ferguson": 25, "Kerr": 25, "Davidson": 24, "Bell": 24, "Cameron": 23, "Kelly": 23,
    "Martin": 22, "Hunter": 22, "Allan": 21, "Mackay": 21, "Grant": 20, "Simpson": 19,
    "Mclean": 19, "Black": 18, "Maclean": 18, "Macleod": 18, "Mcdonald": 16, "Munro": 15,
    "Sutherland": 14, "Mcintosh": 12, "Macrae": 9, "Mckay": 8, "Smyth": 6, "Thompson": 6,
}  # fmt: skip
STREETS = [
    "High Street",
    "Station Road",
    "Church Street",
    "Main Street",
    "Park Road",
    "Seafield Road",
    "Moss Street",
    "South Street",
    "Victoria Crescent",
    "Burn Road",
]
TOWNS = [
    ("Elgin", "IV30"),
    ("Forres", "IV36"),
    ("Lossiemouth", "IV31"),
    ("Buckie", "AB56"),
    ("Keith", "AB55"),
    ("Fochabers", "IV32"),
    ("Rothes", "AB38"),
    ("Aberlour", "AB38"),
]
# Children in a household (weights), and how often each screening outcome is reached.
HOUSEHOLD_SIZES = {1: 40, 2: 35, 3: 18, 4: 7}
OUTCOMES = {
    ScreeningDecision.Outcome.NO_FURTHER_ACTION: 40,
    ScreeningDecision.Outcome.SUPPORT: 30,
    ScreeningDecision.Outcome.WELFARE_ASSESSMENT: 20,
    ScreeningDecision.Outcome.CHILD_PROTECTION: 10,
}
# A referral still being screened is one received in the last few days.
SCREENING_WINDOW = timedelta(days=4)
# One referral in five is about a household referred before (repeat concerns).
REPEAT_SHARE = 0.2


def weighted(rng: random.Random, table: dict):
    return rng.choices(list(table), weights=list(table.values()))[0]


def new_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def in_batches(rows: Iterable, model, size: int = BATCH) -> int:
    """Insert `rows` (produced lazily: plain dicts of column values by attribute name, or model
    instances) in batches; the number written. On PostgreSQL by COPY, which spares Django's
    building of a model instance and compiling of every value (most of the time of a
    bulk_create of millions of rows); elsewhere by bulk_create."""
    if connection.vendor == "postgresql":

        def insert(batch):
            _copy(model, batch)
    else:

        def insert(batch):
            model.objects.bulk_create(r if isinstance(r, model) else model(**r) for r in batch)

    batch, written = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            insert(batch)
            written += len(batch)
            batch = []
    if batch:
        insert(batch)
    return written + len(batch)


def _copy(model, rows: list) -> None:
    """COPY the rows' concrete fields in PostgreSQL's text format. A field a dict leaves out
    takes its default, a column Django fills when saving (auto_now, auto_now_add) is filled as
    save would, and a serial id left empty is left to the database."""
    if not isinstance(rows[0], dict):
        attnames = [f.attname for f in model._meta.concrete_fields]
        rows = [{name: getattr(obj, name) for name in attnames} for obj in rows]
    now = timezone.now()
    fields, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and rows[0].get(f.attname) is None:
            continue
        fields.append(f)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append(lambda row, f=f: row.get(f.attname) or now)
        elif f.has_default() and callable(f.default):
            values.append(lambda row, f=f: row[f.attname] if f.attname in row else f.default())
        else:
            default = f.get_default()
            values.append(lambda row, f=f, default=default: row.get(f.attname, default))
    lines = ["\t".join([_copy_text(value(row)) for value in values]) for row in rows]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN",
            io.StringIO("\n".join(lines) + "\n"),
        )


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPES)
    if kind is uuid.UUID or kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return str(value).translate(_ESCAPES)


def person(first: str, last: str, **fields) -> dict:
    """A person's row with its phonetic keys and postcode set as Person.save sets them."""
    return {
        "first_name": first,
        "last_name": last,
        "first_name_key": name_matching.name_key(first),
        "last_name_key": name_matching.name_key(last),
        "postcode": name_matching.normalise_postcode(fields.pop("postcode", "")),
        **fields,
    }


def postcode(rng: random.Random, district: str) -> str:
    """One of about 3,000 full postcodes per district, so a few children share each."""
    return (
        f"{district} {rng.randrange(10)}{chr(65 + rng.randrange(20))}{chr(65 + rng.randrange(15))}"
    )


# --- People and households ------------------------------------------------------------------


@dataclass
class Household:
    children: list[uuid.UUID] = field(default_factory=list)


def build_people(
    count: int, *, seed: int = 0, today: date | None = None, bar=None
) -> list[Household]:
    """`count` children in households: brothers and sisters share a surname (mostly), an
    address and a postcode, and are recorded as siblings; names follow Scottish frequencies,
    dates of birth spread over 18 years."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    households: list[Household] = []
    siblings: list[dict] = []

    def people():
        made = 0
        while made < count:
            size = min(weighted(rng, HOUSEHOLD_SIZES), count - made)
            surname = weighted(rng, SURNAMES)
            town, district = rng.choice(TOWNS)
            address = {
                "address_line1": f"{rng.randrange(1, 120)} {rng.choice(STREETS)}",
                "town": town,
                "postcode": postcode(rng, district),
            }
            household = Household()
            eldest = rng.randrange(2 * 365, 18 * 365)
            for n in range(size):
                sex = rng.choice([Person.Sex.FEMALE, Person.Sex.MALE])
                first = weighted(rng, GIRLS if sex == Person.Sex.FEMALE else BOYS)
                # One child in ten carries another parent's surname (a half-sibling).
                last = surname if rng.random() > 0.1 else weighted(rng, SURNAMES)
                child = person(
                    first,
                    last,
                    id=new_uuid(rng),
                    sex=sex,
                    date_of_birth=today
                    - timedelta(days=max(eldest - n * rng.randrange(300, 1100), 1)),
                    **address,
                )
                if household.children:
                    siblings.append(
                        {
                            "person_id": child["id"],
                            "relative_id": household.children[-1],
                            "kind": Relationship.Kind.SIBLING
                            if last == surname
                            else Relationship.Kind.HALF_SIBLING,
                            "lives_with": True,
                        }
                    )
                household.children.append(child["id"])
                yield child
            households.append(household)
            made += size
            if bar:
                bar.advance(size)

    in_batches(people(), Person)
    in_batches(siblings, Relationship)
    return households


# --- Referrals ------------------------------------------------------------------------------


@dataclass
class Organisation:
    agency: Agency
    sources: list[Agency]
    teams: list[Team]
    workers: list[Staff]
    managers: list[Staff]


def organisation() -> Organisation:
    """The agencies, teams and staff the generated referrals belong to (made if missing)."""
    agency, _ = Agency.objects.get_or_create(
        code="social-work",
        defaults={"name": "Children's Social Work", "kind": Agency.Kind.SOCIAL_WORK},
    )
    sources = [agency]
    for code, kind in [
        ("police", Agency.Kind.POLICE),
        ("health", Agency.Kind.HEALTH),
        ("education", Agency.Kind.EDUCATION),
    ]:
        sources.append(
            Agency.objects.get_or_create(code=code, defaults={"name": code.title(), "kind": kind})[
                0
            ]
        )
    teams, workers, managers = [], [], []
    for town, _ in TOWNS[:3]:
        team, _ = Team.objects.get_or_create(
            agency=agency, name=f"Children and families ({town})", defaults={"locality": town}
        )
        teams.append(team)
        for role, staff in [(Role.SOCIAL_WORKER, workers), (Role.TEAM_MANAGER, managers)]:
            username = f"volume.{role}.{town.lower()}"
            staff.append(
                Staff.objects.get_or_create(
                    username=username,
                    defaults={
                        "role": role,
                        "agency": agency,
                        "team": team,
                        "email": f"{username}@example.org",
                    },
                )[0]
            )
    return Organisation(agency, sources, teams, workers, managers)


@dataclass
class Generated:
    """What the core wrote, for the apps' steps to build on."""

    rng: random.Random
    now: datetime
    org: Organisation
    # (referral id, received_at, team index, children) of each referral
    referrals: list[tuple] = field(default_factory=list)
    # approved decisions: (decision id, referral id, outcome, reviewed_at)
    decisions: list[tuple] = field(default_factory=list)


def app_steps() -> tuple:
    """The steps hub and ird add (their hooks.py); each gets the generated data and a factory
    of progress bars."""
    return extensions.volume_steps()


def build_referrals(
    households: list[Household],
    count: int,
    *,
    years: int,
    seed: int = 0,
    now: datetime | None = None,
    bar=None,
) -> Generated:
    """`count` referrals received over `years` years up to `now`, about the children of a
    household (one in five a household referred before). Those received in the last few days
    are being screened (their screening deadline open, or overdue once due); the others have
    an approved decision, met on time or late, and are decided or closed; a few were closed
    before any decision (deadline cancelled). Each child's chronology has the concern, and the
    audit log its receipt and decision, chained."""
    rng = random.Random(seed + 1)
    now = now or timezone.now()
    org = organisation()
    generated = Generated(rng=rng, now=now, org=org)
    timescale = Timescale.objects.get(kind="screening")
    categories = list(ConcernCategory.objects.order_by("code").values_list("pk", flat=True))
    span = timedelta(days=365 * years).total_seconds()
    received = sorted(now - timedelta(seconds=rng.random() * span) for _ in range(count))
    referred: list[Household] = []
    # Numbered on from an earlier run's (a second run with --force and another --seed).
    number = Referral.objects.filter(reference__startswith="VOL-").count()
    for start in range(0, count, BATCH):
        rows = {m: [] for m in ("referral", "child", "category", "decision", "deadline", "entry")}
        audit_rows = []
        for at in received[start : start + BATCH]:
            repeat = bool(referred) and rng.random() < REPEAT_SHARE
            household = rng.choice(referred if repeat else households)
            if not repeat:
                referred.append(household)
            team = rng.randrange(len(org.teams))
            year = timezone.localtime(at).year
            number += 1
            referral_id = new_uuid(rng)
            status, decision = _screening(rng, at, now)
            referral = {
                "id": referral_id,
                "reference": f"VOL-{year}-{number:07d}",
                "status": status,
                "team_id": org.teams[team].pk,
                "channel": rng.choice(Referral.Channel.values),
                "source_agency_id": rng.choice(org.sources).pk,
                "referrer_name": "Referrer",
                "received_at": at,
                "summary": "Generated concern.",
                "immediate_risk": rng.random() < 0.05,
                "sharing_basis": Referral.SharingBasis.SAFEGUARDING,
                "received_by_id": org.workers[team].pk,
                "closed_at": decision["closed_at"] if decision else None,
            }
            rows["referral"].append(referral)
            generated.referrals.append((referral_id, at, team, household.children))
            for category in rng.sample(categories, k=min(len(categories), rng.choice([1, 1, 2]))):
                rows["category"].append(
                    {"referral_id": referral_id, "concerncategory_id": category}
                )
            for position, child in enumerate(household.children):
                rows["child"].append(
                    {
                        "id": new_uuid(rng),
                        "referral_id": referral_id,
                        "person_id": child,
                        "match": ReferralChild.Match.MATCHED
                        if repeat
                        else ReferralChild.Match.NEW_RECORD,
                        "position": position,
                    }
                )
                rows["entry"].append(
                    {
                        "id": new_uuid(rng),
                        "person_id": child,
                        "occurred_at": at,
                        "kind": ChronologyEntry.Kind.CONCERN,
                        "summary": "Concern received",
                        "referral_id": referral_id,
                        "source_agency_id": referral["source_agency_id"],
                    }
                )
            rows["deadline"].append(
                _screening_deadline(rng, timescale, referral, decision, org.workers[team], now)
            )
            audit_rows.append(_audit_row(org.workers[team], "create", "referral", referral_id, at))
            if decision and decision["outcome"]:
                decision_id = new_uuid(rng)
                rows["decision"].append(
                    {
                        "id": decision_id,
                        "referral_id": referral_id,
                        "outcome": decision["outcome"],
                        "reasons": "Generated.",
                        "risk_analysis": "Generated.",
                        "needs_analysis": "Generated.",
                        "state": ScreeningDecision.State.APPROVED,
                        "proposed_by_id": org.workers[team].pk,
                        "proposed_at": decision["proposed_at"],
                        "reviewed_by_id": org.managers[team].pk,
                        "reviewed_at": decision["reviewed_at"],
                    }
                )
                generated.decisions.append(
                    (decision_id, referral_id, decision["outcome"], decision["reviewed_at"])
                )
                audit_rows.append(
                    _audit_row(
                        org.managers[team],
                        "approve",
                        "screeningdecision",
                        decision_id,
                        decision["reviewed_at"],
                    )
                )
        with transaction.atomic():
            in_batches(rows["referral"], Referral)
            for model, key in [
                (Referral.categories.through, "category"),
                (ReferralChild, "child"),
                (ScreeningDecision, "decision"),
                (Deadline, "deadline"),
                (ChronologyEntry, "entry"),
            ]:
                in_batches(rows[key], model)
            audit.record_past(audit_rows, write=lambda entries: in_batches(entries, AuditEntry))
        if bar:
            bar.advance(len(rows["referral"]))
    return generated


def _screening(rng: random.Random, at: datetime, now: datetime) -> tuple[str, dict | None]:
    """The referral's status and, once screened, its decision's times and outcome."""
    if now - at < SCREENING_WINDOW:
        return rng.choice([Referral.Status.RECEIVED, Referral.Status.SCREENING]), None
    if rng.random() < 0.03:  # withdrawn or a duplicate: closed without a decision
        return Referral.Status.CLOSED, {"outcome": "", "closed_at": at + timedelta(hours=2)}
    proposed = at + timedelta(hours=rng.uniform(1, 60))
    reviewed = proposed + timedelta(hours=rng.uniform(0.5, 30))
    outcome = weighted(rng, OUTCOMES)
    old = now - reviewed > timedelta(days=90)
    if outcome == ScreeningDecision.Outcome.CHILD_PROTECTION:
        status = (
            Referral.Status.IRD_HELD
            if now - reviewed > timedelta(days=3)
            else Referral.Status.DECIDED
        )
    elif outcome == ScreeningDecision.Outcome.NO_FURTHER_ACTION or old:
        status = Referral.Status.CLOSED
    else:
        status = Referral.Status.DECIDED
    closed = min(reviewed + timedelta(days=rng.uniform(0, 90)), now) if status == "closed" else None
    return status, {
        "outcome": outcome,
        "proposed_at": proposed,
        "reviewed_at": reviewed,
        "closed_at": closed,
    }


def _screening_deadline(rng, timescale, referral, decision, owner, now) -> dict:
    due = due_time(referral["received_at"], timescale.amount, timescale.unit)
    deadline = {
        "id": new_uuid(rng),
        "timescale_id": timescale.pk,
        "referral_id": referral["id"],
        "subject_type": "referral",
        "subject_id": str(referral["id"]),
        "url": f"/referrals/{referral['id']}/",
        "urgent": referral["immediate_risk"],
        "owner_id": owner.pk,
        "team_id": referral["team_id"],
        "starts_at": referral["received_at"],
        "due_at": due,
    }
    if decision is None:  # still being screened
        if due <= now:
            deadline |= {"state": Deadline.State.BREACHED, "breached_at": due}
            deadline |= {"level": Deadline.Level.DUE, "next_action_at": now}
        else:
            deadline["next_action_at"] = due
    elif not decision["outcome"]:
        deadline |= {"state": Deadline.State.CANCELLED, "completed_at": decision["closed_at"]}
    else:
        deadline |= {"state": Deadline.State.MET, "completed_at": decision["reviewed_at"]}
        if decision["reviewed_at"] > due:  # met late: it was overdue first
            deadline |= {"breached_at": due, "level": Deadline.Level.DUE}
    return deadline


def _audit_row(actor: Staff, action: str, object_type: str, object_id, at: datetime) -> dict:
    return {
        "at": at,
        "actor_id": actor.pk,
        "actor_label": actor.username,
        "actor_role": actor.role,
        "actor_agency": "social-work",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "detail": {},
    }


def build_volume(
    *, people: int, referrals: int, years: int, seed: int = 0, now=None, bars=None
) -> Generated:
    """People, then referrals, then what each app adds to them (hub reviews, IRDs).
    `bars(label, total)`, if given, makes a progress bar (referrals.progress_bar)."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        # Generated rows are worth no wait for the disk at each batch's commit (this session).
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")

    def bar(label: str, total: int):
        return bars(label, total) if bars else None

    people_bar = bar("People", people)
    households = build_people(people, seed=seed, today=timezone.localdate(now), bar=people_bar)
    if people_bar:
        people_bar.finish()
    referrals_bar = bar("Referrals", referrals)
    generated = build_referrals(
        households, referrals, years=years, seed=seed, now=now, bar=referrals_bar
    )
    if referrals_bar:
        referrals_bar.finish()
    for step in app_steps():
        step(generated, bars)
    return generated
