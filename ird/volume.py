"""IRDs in generated volume data (referrals.volume): every approved child protection decision
opened an IRD request; those approved more than three days ago held their IRD and signed it off
with one or two decisions, covering the referral's children (on their chronologies too), and
the rest are still requested."""

from datetime import timedelta

from django.db import transaction

from ird.models import DecisionCode, Ird, IrdChild, IrdDecision
from ird.reference_data import ensure_decision_codes
from referrals import volume
from referrals.models import ChronologyEntry, ScreeningDecision

HELD_AFTER = timedelta(days=3)


def irds(generated: volume.Generated, bars) -> None:
    rng, now, org = generated.rng, generated.now, generated.org
    ensure_decision_codes(DecisionCode)
    codes = list(DecisionCode.objects.order_by("display_order").values_list("pk", flat=True))
    children = {referral_id: kids for referral_id, _at, _team, kids in generated.referrals}
    requests = [
        (decision_id, referral_id, reviewed)
        for decision_id, referral_id, outcome, reviewed in generated.decisions
        if outcome == ScreeningDecision.Outcome.CHILD_PROTECTION
    ]
    earlier = Ird.objects.filter(reference__startswith="VOL-IRD-").count()
    bar = bars("IRDs", len(requests)) if bars else None
    for start in range(0, len(requests), volume.BATCH):
        rows = {"ird": [], "child": [], "decision": [], "entry": []}
        for n, (decision_id, referral_id, reviewed) in enumerate(
            requests[start : start + volume.BATCH], start=earlier + start + 1
        ):
            ird = Ird(
                id=volume.new_uuid(rng),
                reference=f"VOL-IRD-{n:08d}",
                referral_id=referral_id,
                requested_by_decision_id=decision_id,
                requested_at=reviewed,
                route=Ird.Route.SCREENING,
                requested_by=org.managers[0],
            )
            rows["ird"].append(ird)
            if now - reviewed <= HELD_AFTER:
                continue
            held = reviewed + timedelta(hours=rng.uniform(2, 48))
            ird.status, ird.mode = Ird.Status.SIGNED_OFF, rng.choice(Ird.Mode.values)
            ird.scheduled_for = ird.started_at = held
            ird.concluded_at = held + timedelta(minutes=60)
            ird.signed_off_at = held + timedelta(hours=rng.uniform(1, 24))
            ird.coordinator = ird.chair = ird.signed_off_by = org.managers[0]
            for code in rng.sample(codes, k=min(len(codes), rng.choice([1, 2]))):
                rows["decision"].append(
                    IrdDecision(
                        ird=ird,
                        code_id=code,
                        recorded_by=org.managers[0],
                        recorded_at=ird.concluded_at,
                    )
                )
            for child in children[referral_id]:
                rows["child"].append(
                    IrdChild(
                        id=volume.new_uuid(rng),
                        ird=ird,
                        person_id=child,
                        source=IrdChild.Source.REFERRAL,
                        included=True,
                    )
                )
                rows["entry"].append(
                    ChronologyEntry(
                        id=volume.new_uuid(rng),
                        person_id=child,
                        occurred_at=ird.concluded_at,
                        kind=ChronologyEntry.Kind.IRD,
                        summary="Inter-agency referral discussion held",
                        referral_id=referral_id,
                    )
                )
        with transaction.atomic():
            volume.in_batches(rows["ird"], Ird)
            for model, key in [
                (IrdChild, "child"),
                (IrdDecision, "decision"),
                (ChronologyEntry, "entry"),
            ]:
                volume.in_batches(rows[key], model)
        if bar:
            bar.advance(len(rows["ird"]))
    if bar:
        bar.finish()
