"""A child's records merged in the core (referrals.services.people.person_merge): IRDs, CPPMs
and the child protection register name people too, so the duplicate's rows pass to the kept
record in the same transaction, and "on the register" follows the child.

Two active registrations cannot become one child's: the merge is refused until one is ended at
a review CPPM, since which one stands is a decision for the conference, not for a merge."""

from ird.models import Cppm, IrdChild, Registration
from referrals.errors import MergeRefused


def person_merged(*, keep, duplicate) -> None:
    active = Registration.objects.select_for_update().filter(ended_on__isnull=True)
    if active.filter(person=keep).exists() and active.filter(person=duplicate).exists():
        raise MergeRefused(
            "Both records are on the child protection register: end one registration at a "
            "review CPPM before merging them."
        )
    Registration.objects.filter(person=duplicate).update(person=keep)
    # An IRD or a CPPM about both records now names the kept one once.
    both = IrdChild.objects.filter(person=keep).values("ird_id")
    IrdChild.objects.filter(person=duplicate, ird_id__in=both).delete()
    IrdChild.objects.filter(person=duplicate).update(person=keep)
    attended = Cppm.children.through.objects
    with_keep = attended.filter(person=keep).values("cppm_id")
    attended.filter(person=duplicate, cppm_id__in=with_keep).delete()
    attended.filter(person=duplicate).update(person=keep)
