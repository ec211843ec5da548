"""Information governance: who saw a child's records.

Every read, export, print and break-glass of a person's records is in the audit log, under the
record it touched: the person (and any record merged into them), each of their referrals, and
what the other apps keep about those referrals (their IRDs, through the extension registry).
The audit log's (object_type, object_id, at) index answers the question directly, however many
rows the log holds.
"""

from django.db.models import Q, QuerySet

from referrals import chi, extensions
from referrals.models import AuditEntry, Person, Referral, ReferralChild

READS = (
    AuditEntry.Action.VIEW,
    AuditEntry.Action.EXPORT,
    AuditEntry.Action.PRINT,
    AuditEntry.Action.BREAK_GLASS,
)


def records_of(person: Person) -> dict[str, list[str]]:
    """The audit log's names for every record about this person, by object type."""
    people = [person.pk, *Person.objects.filter(merged_into=person).values_list("pk", flat=True)]
    referral_ids = list(
        ReferralChild.objects.filter(person_id__in=people)
        .values_list("referral_id", flat=True)
        .distinct()
    )
    records: dict[str, list[str]] = {
        "person": [str(pk) for pk in people],
        "referral": [str(pk) for pk in referral_ids],
    }
    for object_type, object_id in extensions.records_about(referral_ids):
        records.setdefault(object_type, []).append(object_id)
    return records


def who_saw(person: Person) -> QuerySet[AuditEntry]:
    """Every read of the person's records, newest first."""
    touched = Q(pk__in=[])
    for object_type, ids in records_of(person).items():
        if ids:
            touched |= Q(object_type=object_type, object_id__in=ids)
    return AuditEntry.objects.filter(touched, action__in=READS).order_by("-at", "-id")


def find_people(wanted: str) -> list[Person]:
    """The child a governance officer means by a CHI number or a referral reference: the one
    person with that CHI number, or the children of that referral; [] when neither exists."""
    wanted = wanted.strip()
    number = chi.normalise_chi(wanted)
    if number.isdigit() and len(number) == 10:
        person = Person.objects.filter(chi_number=number, merged_into__isnull=True).first()
        if person is not None:
            return [person]
    referral = Referral.objects.filter(reference__iexact=wanted).first()
    return list(referral.children.all()) if referral is not None else []
