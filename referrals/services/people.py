"""People records: correcting details, recording relationships and merging duplicates."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from referrals import access, audit, chi, chronology, extensions, intake_rules
from referrals.access import can_merge_people
from referrals.errors import EditConflict, MergeRefused, NotPermitted
from referrals.models import (
    ChronologyEntry,
    CumulativeHarmFlag,
    Person,
    ReferralAdult,
    ReferralChild,
    Relationship,
)

_FILLABLE = [
    "known_as",
    "date_of_birth",
    "expected_date_of_delivery",
    "chi_number",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "school",
    "named_person",
    "gp_practice",
]


@transaction.atomic
def relationship_record(
    *,
    person: Person,
    relative: Person,
    kind: str,
    recorded_by,
    lives_with: bool = False,
    has_parental_responsibility: bool = False,
) -> Relationship:
    relationship, _ = Relationship.objects.update_or_create(
        person=person,
        relative=relative,
        kind=kind,
        defaults={
            "lives_with": lives_with,
            "has_parental_responsibility": has_parental_responsibility,
        },
    )
    audit.record(
        actor=recorded_by,
        action=audit.Action.CHANGE,
        subject=person,
        detail={"relationship": relationship.pk},
    )
    return relationship


def _move_relationships(*, duplicate: Person, keep: Person) -> None:
    for relationship in Relationship.objects.filter(Q(person=duplicate) | Q(relative=duplicate)):
        person_id = keep.pk if relationship.person_id == duplicate.pk else relationship.person_id
        relative_id = (
            keep.pk if relationship.relative_id == duplicate.pk else relationship.relative_id
        )
        if person_id != relative_id:  # two records of one person are not related to each other
            Relationship.objects.get_or_create(
                person_id=person_id,
                relative_id=relative_id,
                kind=relationship.kind,
                defaults={
                    "lives_with": relationship.lives_with,
                    "has_parental_responsibility": relationship.has_parental_responsibility,
                },
            )
        relationship.delete()


@transaction.atomic
def person_merge(*, keep: Person, duplicate: Person, merged_by) -> Person:
    """Fold `duplicate` into `keep`: its referrals, chronology, flags and relationships move
    over, blanks on `keep` are filled, and `duplicate` stays as a pointer to `keep`."""
    if not can_merge_people(merged_by):
        raise NotPermitted("Only a team manager or service manager can merge records.")
    keep, duplicate = (
        Person.objects.select_for_update().get(pk=keep.pk),
        Person.objects.select_for_update().get(pk=duplicate.pk),
    )
    if keep.pk == duplicate.pk:
        raise MergeRefused("Choose two different records to merge.")
    if keep.merged_into_id or duplicate.merged_into_id:
        raise MergeRefused("One of these records has already been merged into another.")
    if keep.chi_number and duplicate.chi_number and keep.chi_number != duplicate.chi_number:
        raise MergeRefused("These records have different CHI numbers: they are two people.")

    chi_number = duplicate.chi_number
    duplicate.merged_into = keep
    duplicate.chi_number = ""  # the CHI number moves with the person it belongs to
    duplicate.save(update_fields=["merged_into", "chi_number"])
    # A pre-birth record and the same child's record after birth: the merged person is born,
    # whichever record is kept, and has no due date any more (the chronology keeps it).
    expected = keep.expected_date_of_delivery or duplicate.expected_date_of_delivery
    born_now = keep.unborn and not duplicate.unborn
    is_born = not (keep.unborn and duplicate.unborn)
    changed = []
    for name in _FILLABLE:
        value = chi_number if name == "chi_number" else getattr(duplicate, name)
        if name == "expected_date_of_delivery" and is_born:
            continue
        if value and not getattr(keep, name):
            setattr(keep, name, value)
            changed.append(name)
    if is_born and (keep.unborn or keep.expected_date_of_delivery):
        keep.unborn, keep.expected_date_of_delivery = False, None
        changed += ["unborn", "expected_date_of_delivery"]
    if changed:
        keep.save(update_fields=changed)
    if born_now:
        chronology.chronology_add(
            people=[keep],
            kind=ChronologyEntry.Kind.BIRTH,
            summary="Birth recorded by merging the pre-birth record with the child's record "
            f"after birth (expected {expected.day} {expected:%B %Y})."
            if expected
            else "Birth recorded by merging the pre-birth record with the child's record.",
            occurred_at=timezone.now(),
            recorded_by=merged_by,
        )

    for link_model in (ReferralChild, ReferralAdult):
        shared = link_model.objects.filter(person=keep).values("referral_id")
        # A referral naming both records now names the kept one once.
        link_model.objects.filter(person=duplicate, referral_id__in=shared).delete()
        link_model.objects.filter(person=duplicate).update(person=keep)
    ChronologyEntry.objects.filter(person=duplicate).update(person=keep)
    open_rules = CumulativeHarmFlag.objects.filter(
        person=keep, status=CumulativeHarmFlag.Status.OPEN
    ).values("rule_id")
    # The kept record's open flag for the same rule stands for both.
    CumulativeHarmFlag.objects.filter(
        person=duplicate, status=CumulativeHarmFlag.Status.OPEN, rule_id__in=open_rules
    ).delete()
    CumulativeHarmFlag.objects.filter(person=duplicate).update(person=keep)
    _move_relationships(duplicate=duplicate, keep=keep)
    # IRDs, CPPMs and the register hold the child too: their rows move with the record, or
    # the merge is refused (two active registrations), all in this transaction.
    extensions.person_merged(keep=keep, duplicate=duplicate)

    chronology.chronology_add(
        people=[keep],
        kind=ChronologyEntry.Kind.RECORD_MERGED,
        summary="A duplicate record of this person was merged into this one.",
        occurred_at=timezone.now(),
        recorded_by=merged_by,
    )
    audit.record(
        actor=merged_by,
        action=audit.Action.MERGE,
        subject=keep,
        detail={"merged": str(duplicate.pk), "filled": changed},
    )
    audit.record(
        actor=merged_by, action=audit.Action.MERGE, subject=duplicate, detail={"into": str(keep.pk)}
    )
    return keep


# What a worker may correct on a person's record, in the order the change is described.
EDITABLE = {
    "first_name": "First name",
    "last_name": "Last name",
    "known_as": "Known as",
    "date_of_birth": "Date of birth",
    "unborn": "Unborn",
    "expected_date_of_delivery": "Expected date of delivery",
    "chi_number": "CHI number",
    "sex": "Sex",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "town": "Town",
    "postcode": "Postcode",
    "school": "School or nursery",
    "named_person": "Named person",
    "gp_practice": "GP practice",
}


def _shown(value) -> str:
    if value in (None, ""):
        return "none"
    if hasattr(value, "strftime"):
        return f"{value:%d %B %Y}"
    return str(value)


@transaction.atomic
def person_update(*, person: Person, by, expected_version: int, **values) -> Person:
    """Correct a person's details: compare-and-set on `version`, the intake rules for a child
    (born or unborn), a CHI number no other record holds, one audit row naming the fields (no
    values) and a chronology entry keeping the previous values. Entering a date of birth on a
    pre-birth record records the birth: it is no longer unborn."""
    if not access.can_screen(by):
        raise NotPermitted("Only social work staff can correct a person's details.")
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.merged_into_id is not None:
        raise NotPermitted("This record was merged: correct the record it was merged into.")
    if locked.version != expected_version:
        raise EditConflict(
            "Someone else changed this record while you were editing it: check their changes "
            "and enter yours again."
        )
    values = {field: values.get(field, getattr(locked, field)) for field in EDITABLE}
    values["chi_number"] = chi.normalise_chi(values["chi_number"] or "")
    born = locked.unborn and values["date_of_birth"] is not None
    if born:
        values["unborn"], values["expected_date_of_delivery"] = (
            False,
            locked.expected_date_of_delivery,
        )
    problems = {}
    is_child = locked.referral_links.exists() or values["unborn"]
    if is_child:
        problems.update(
            intake_rules.child_problems(
                unborn=values["unborn"],
                expected_date_of_delivery=values["expected_date_of_delivery"],
                date_of_birth=values["date_of_birth"],
                chi_number=values["chi_number"],
                today=timezone.localdate(),
            )
        )
    if values["date_of_birth"] and values["date_of_birth"] > timezone.localdate():
        problems["date_of_birth"] = "The date of birth cannot be in the future."
    if values["chi_number"] and "chi_number" not in problems:
        try:
            values["chi_number"] = chi.validate_chi(values["chi_number"], values["date_of_birth"])
        except ValidationError as error:
            problems["chi_number"] = " ".join(error.messages)
        else:
            taken = Person.objects.filter(
                chi_number=values["chi_number"], merged_into__isnull=True
            ).exclude(pk=locked.pk)
            if taken.exists():
                problems["chi_number"] = (
                    "Another record has this CHI number: it is probably the same child. "
                    "Merge the two records instead."
                )
    for field in ("first_name", "last_name"):
        if not (values[field] or "").strip():
            problems[field] = f"Enter the {EDITABLE[field].lower()}."
    if problems:
        raise ValidationError(problems)
    changed = {f: getattr(locked, f) for f in EDITABLE if getattr(locked, f) != values[f]}
    if not changed:
        return locked
    for field, value in values.items():
        setattr(locked, field, value)
    locked.version += 1
    locked.save()
    previous = "; ".join(f"{EDITABLE[f]} was {_shown(old)}" for f, old in changed.items())
    chronology.chronology_add(
        people=[locked],
        kind=ChronologyEntry.Kind.BIRTH if born else ChronologyEntry.Kind.DETAILS_CHANGED,
        summary=(
            f"Birth recorded: born {values['date_of_birth']:%d %B %Y}. {previous}."
            if born
            else f"Details corrected. {previous}."
        ),
        occurred_at=timezone.now(),
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=locked,
        detail={"fields": sorted(changed), "birth": born},
    )
    return locked


@transaction.atomic
def match_confirm(*, link: ReferralChild, by) -> ReferralChild:
    """A possible match the partner API could not be sure of (a CHI number with another name,
    say) is the same child: the new record is merged into the existing one, by the merge rules."""
    link = _undecided(link, by)
    person_merge(keep=link.proposed_match, duplicate=link.person, merged_by=by)
    link = ReferralChild.objects.get(pk=link.pk)
    link.match = ReferralChild.Match.MATCHED
    link.match_decided_by, link.match_decided_at = by, timezone.now()
    link.save(update_fields=["match", "match_decided_by", "match_decided_at"])
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=link.referral,
        detail={"event": "match_confirmed", "child": str(link.person_id)},
    )
    return link


@transaction.atomic
def match_reject(*, link: ReferralChild, by, because: str) -> ReferralChild:
    """Not the same child: the new record stays its own, and why is recorded."""
    if not because.strip():
        raise ValidationError({"because": "Say why this is a different child."})
    link = _undecided(link, by)
    link.match = ReferralChild.Match.REJECTED
    link.match_decided_by, link.match_decided_at = by, timezone.now()
    link.match_rejected_because = because.strip()
    link.save(
        update_fields=["match", "match_decided_by", "match_decided_at", "match_rejected_because"]
    )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=link.referral,
        detail={"event": "match_rejected", "child": str(link.person_id)},
    )
    return link


def _undecided(link: ReferralChild, by) -> ReferralChild:
    if not can_merge_people(by):
        raise NotPermitted("Only a team manager or service manager confirms or rejects a match.")
    link = ReferralChild.objects.select_for_update().select_related("referral").get(pk=link.pk)
    if link.match != ReferralChild.Match.TO_CONFIRM or link.proposed_match_id is None:
        raise MergeRefused("This child's record has already been confirmed or rejected.")
    return link
