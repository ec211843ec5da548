"""Cumulative harm: configurable rules that flag a child whose concerns are adding up.

Defaults (seeded by migration): three concerns of any kind in twelve months; two neglect
concerns in six months. A flag stays open until an approved screening decision addresses it,
and while it is open the screening form requires a cumulative harm analysis.
"""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q

from referrals import chronology, notifications
from referrals.models import (
    ChronologyEntry,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    Notification,
    Person,
    Referral,
    ReferralChild,
)


def _counts_link(rule: CumulativeHarmRule) -> Q:
    """Whether a ReferralChild row's referral is one the rule counts: each condition its own
    EXISTS (the rule's category and a neglect one may be two categories of the referral)."""
    tagged = Referral.categories.through.objects.filter(referral_id=OuterRef("referral_id"))
    counted = Q()
    if rule.category_id is not None:
        counted &= Q(Exists(tagged.filter(concerncategory_id=rule.category_id)))
    if rule.counts_neglect_only:
        counted &= Q(Exists(tagged.filter(concerncategory__is_neglect=True)))
    return counted


def flags_evaluate(*, referral: Referral, children: list[Person]) -> list[CumulativeHarmFlag]:
    """Raise a flag for each of the referral's children and each rule that the referral tips
    over its threshold. Every child and rule is counted in one query (grouped by child)."""
    rules = list(CumulativeHarmRule.objects.filter(active=True))
    if not rules or not children:
        return []
    open_pairs = set(
        CumulativeHarmFlag.objects.filter(
            person__in=children, status=CumulativeHarmFlag.Status.OPEN
        ).values_list("person_id", "rule_id")
    )
    until = referral.received_at
    since = {rule.pk: until - timedelta(days=rule.window_days) for rule in rules}
    counts = {}
    for rule in rules:
        counted = _counts_link(rule)
        # Within the rule's window, and whether this referral itself is one it counts: a
        # rule about neglect is not tipped over by a concern that is not about neglect.
        counts[f"within_{rule.pk}"] = Count(
            "referral", distinct=True, filter=counted & Q(referral__received_at__gte=since[rule.pk])
        )
        counts[f"tips_{rule.pk}"] = Count("referral", filter=counted & Q(referral=referral))
    rows = (
        ReferralChild.objects.filter(
            person__in=children,
            referral__received_at__gte=min(since.values()),
            referral__received_at__lte=until,
        )
        .values("person_id")
        .annotate(**counts)
        .order_by()
    )
    by_person = {row["person_id"]: row for row in rows}

    raised = []
    for person in children:
        row = by_person.get(person.pk)
        if row is None:
            continue
        for rule in rules:
            if (person.pk, rule.pk) in open_pairs or not row[f"tips_{rule.pk}"]:
                continue
            count = row[f"within_{rule.pk}"]
            if count >= rule.concern_count:
                raised.append(_raise_flag(referral=referral, person=person, rule=rule, count=count))
    return raised


def _raise_flag(*, referral, person, rule, count) -> CumulativeHarmFlag:
    flag = CumulativeHarmFlag.objects.create(
        person=person,
        rule=rule,
        raised_at=referral.received_at,
        triggered_by=referral,
        concern_count=count,
    )
    chronology.chronology_add(
        people=[person],
        kind=ChronologyEntry.Kind.CUMULATIVE_HARM,
        summary=f"Possible cumulative harm: {count} concerns ({rule.name}).",
        occurred_at=referral.received_at,
        referral=referral,
    )
    notifications.notify(
        notifications.team_managers(referral.team),
        kind=Notification.Kind.CUMULATIVE_HARM,
        title=f"Possible cumulative harm: {referral.reference}",
        body=f"A child in this referral now has {count} concerns ({rule.name}).",
        referral=referral,
        person=person,
    )
    return flag


def open_flags_for(referral: Referral) -> list[CumulativeHarmFlag]:
    return list(
        CumulativeHarmFlag.objects.filter(
            Q(person__referral_links__referral=referral),
            status=CumulativeHarmFlag.Status.OPEN,
        ).select_related("rule", "person")
    )
