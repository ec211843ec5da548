"""Cumulative harm: configurable rules that flag a child whose concerns are adding up.

Defaults (seeded by migration): three concerns of any kind in twelve months; two neglect
concerns in six months. A flag stays open until an approved screening decision addresses it,
and while it is open the screening form requires a cumulative harm analysis.
"""

from datetime import datetime, timedelta

from django.db.models import Q

from referrals import chronology, notifications
from referrals.models import (
    ChronologyEntry,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    Notification,
    Person,
    Referral,
)


def _counted(rule: CumulativeHarmRule, referrals):
    if rule.category_id is not None:
        referrals = referrals.filter(categories=rule.category_id)
    if rule.counts_neglect_only:
        referrals = referrals.filter(categories__is_neglect=True)
    return referrals


def concerns_within(
    rule: CumulativeHarmRule, person: Person, *, since: datetime, until: datetime
) -> int:
    """Concerns about `person` received in [since, until] that the rule counts."""
    referrals = Referral.objects.filter(
        child_links__person=person, received_at__gte=since, received_at__lte=until
    )
    return _counted(rule, referrals).values("pk").distinct().count()


def counts_towards(rule: CumulativeHarmRule, referral: Referral) -> bool:
    return _counted(rule, Referral.objects.filter(pk=referral.pk)).exists()


def flags_evaluate(*, referral: Referral, children: list[Person]) -> list[CumulativeHarmFlag]:
    """Raise a flag for each child and rule that the new referral tips over its threshold."""
    raised = []
    rules = list(CumulativeHarmRule.objects.filter(active=True))
    open_pairs = set(
        CumulativeHarmFlag.objects.filter(
            person__in=children, status=CumulativeHarmFlag.Status.OPEN
        ).values_list("person_id", "rule_id")
    )
    # A rule about neglect is not tipped over by a concern that is not about neglect.
    rules = [rule for rule in rules if counts_towards(rule, referral)]
    for person in children:
        for rule in rules:
            if (person.pk, rule.pk) in open_pairs:
                continue
            since = referral.received_at - timedelta(days=rule.window_days)
            count = concerns_within(rule, person, since=since, until=referral.received_at)
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
