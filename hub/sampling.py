"""The practice audit's sample and who reads it: pure functions, so that the same seed and the
same population always give the same records and the same auditors."""

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import date


def audit_period_start(day: date, every_months: int) -> date:
    """First day of the audit period containing `day`: periods of `every_months` months
    counted from January (every two months: 1 January, 1 March, 1 May ...)."""
    index = (day.year * 12 + day.month - 1) // every_months * every_months
    return date(index // 12, index % 12 + 1, 1)


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _allocation(sizes: dict[Hashable, int], size: int, rng: random.Random) -> dict:
    """How many to draw from each stratum: one from each where the sample is big enough, the
    rest in proportion to what is left of each (largest remainder)."""
    strata = sorted(sizes, key=str)
    if size < len(strata):
        chosen = set(rng.sample(strata, size))
        return {stratum: int(stratum in chosen) for stratum in strata}
    allocation = dict.fromkeys(strata, 1)
    left = size - len(strata)
    room = {stratum: sizes[stratum] - 1 for stratum in strata}
    total_room = sum(room.values())
    if left <= 0 or total_room == 0:
        return allocation
    shares = {stratum: left * room[stratum] / total_room for stratum in strata}
    for stratum in strata:
        allocation[stratum] += int(shares[stratum])
    remainder = left - sum(int(share) for share in shares.values())
    by_fraction = sorted(strata, key=lambda s: (-(shares[s] - int(shares[s])), str(s)))
    for stratum in by_fraction:
        if remainder == 0:
            break
        if allocation[stratum] < sizes[stratum]:
            allocation[stratum] += 1
            remainder -= 1
    return allocation


def stratified_sample(
    population: Sequence[tuple[Hashable, Hashable]], size: int, seed: int
) -> list[Hashable]:
    """Draw `size` keys from `population`, a list of (key, stratum), spread across the strata
    in proportion to their sizes, every stratum represented when `size` allows. The input
    order does not matter: strata and keys are sorted before drawing."""
    rng = random.Random(seed)
    members: dict[Hashable, list] = defaultdict(list)
    for key, stratum in population:
        members[stratum].append(key)
    size = max(0, min(size, sum(len(keys) for keys in members.values())))
    if size == 0:
        return []
    allocation = _allocation({s: len(keys) for s, keys in members.items()}, size, rng)
    picked: list[Hashable] = []
    for stratum in sorted(members, key=str):
        keys = sorted(members[stratum], key=str)
        picked.extend(rng.sample(keys, allocation[stratum]))
    return picked


def assign_auditors(
    record_count: int, panel: dict[Hashable, list[Hashable]], per_record: int, seed: int
) -> list[list[Hashable]]:
    """For each record, `per_record` auditors, from as many different agencies as the panel
    allows, taking turns so the reading is shared evenly. `panel` maps agency to auditors."""
    agencies = sorted((a for a, people in panel.items() if people), key=str)
    if not agencies:
        return [[] for _ in range(record_count)]
    rng = random.Random(seed)
    queues = {agency: sorted(panel[agency], key=str) for agency in agencies}
    for people in queues.values():
        rng.shuffle(people)
    turn = dict.fromkeys(agencies, 0)
    start = rng.randrange(len(agencies))
    everyone = sum(len(people) for people in queues.values())
    result = []
    for number in range(record_count):
        chosen: list[Hashable] = []
        offset = 0
        while len(chosen) < min(per_record, everyone) and offset < everyone * 2:
            agency = agencies[(start + number * per_record + offset) % len(agencies)]
            offset += 1
            people = queues[agency]
            candidate = people[turn[agency] % len(people)]
            if candidate in chosen:
                continue
            turn[agency] += 1
            chosen.append(candidate)
        result.append(chosen)
    return result
