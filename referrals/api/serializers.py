"""The partner API's shapes: input serializers (strict, explicit fields) apart from output ones.
Unknown fields in a request body are ignored, in every operation (the contract leaves it open;
the OpenAPI description says so)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from referrals import chi, intake_rules
from referrals.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictEmailField,
)
from referrals.models import (
    ConcernCategory,
    EmergencyMeasure,
    Person,
    Referral,
    Relationship,
    ScreeningDecision,
)
from referrals.models.feedback import SCORE_MAX, SCORE_MIN

MAX_CHILDREN = 20
MAX_ADULTS = 20
MAX_CATEGORIES = 20
ADULT_RELATIONSHIPS = [
    choice
    for choice in Relationship.Kind.choices
    if choice[0] not in {Relationship.Kind.SIBLING, Relationship.Kind.HALF_SIBLING}
]


def _text(max_length: int, **kwargs) -> StrictCharField:
    return StrictCharField(max_length=max_length, **kwargs)


def _optional_text(max_length: int, help_text: str | None = None) -> StrictCharField:
    return StrictCharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


# --- Input ----------------------------------------------------------------------------------


class AddressIn(serializers.Serializer):
    line1 = _optional_text(200)
    line2 = _optional_text(200)
    town = _optional_text(100)
    postcode = _optional_text(10)


class ReferrerIn(serializers.Serializer):
    name = _text(200)
    role = _optional_text(200)
    phone = _optional_text(40)
    email = StrictEmailField(max_length=254, required=False, allow_blank=True)


class ChildIn(serializers.Serializer):
    first_name = _text(100)
    last_name = _text(100)
    date_of_birth = StrictDateField(
        past_only=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="Required unless `unborn` is true. Not in the future.",
    )
    unborn = StrictBooleanField(required=False, default=False)
    expected_date_of_delivery = StrictDateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required if `unborn` is true: not in the past, at most 300 days ahead; "
        "ignored otherwise.",
    )
    chi_number = StrictCharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="10 digits (spaces and hyphens are ignored), with a valid mod-11 or mod-10 "
        "check digit, agreeing with `date_of_birth`. Never for an unborn baby.",
    )
    sex = StrictChoiceField(choices=Person.Sex.choices, required=False, default=Person.Sex.UNKNOWN)
    address = AddressIn(required=False)
    school = _optional_text(200)
    named_person = _optional_text(
        200, "The child's named person: name, role and how to reach them."
    )
    gp_practice = _optional_text(200, "The child's GP practice.")

    def validate(self, data):
        errors = {
            name: [message]
            for name, message in intake_rules.child_problems(
                unborn=data["unborn"],
                expected_date_of_delivery=data.get("expected_date_of_delivery"),
                date_of_birth=data.get("date_of_birth"),
                chi_number=data.get("chi_number", ""),
                today=timezone.localdate(),
            ).items()
        }
        if not data["unborn"]:
            data["expected_date_of_delivery"] = None
        if data.get("chi_number") and "chi_number" not in errors:
            try:
                data["chi_number"] = chi.validate_chi(data["chi_number"], data.get("date_of_birth"))
            except DjangoValidationError as error:
                errors["chi_number"] = error.messages
        if errors:
            raise serializers.ValidationError(errors)
        return data


class AdultIn(serializers.Serializer):
    first_name = _text(100)
    last_name = _text(100)
    date_of_birth = StrictDateField(past_only=True, required=False, allow_null=True, default=None)
    relationship = StrictChoiceField(
        choices=ADULT_RELATIONSHIPS,
        required=False,
        allow_blank=True,
        default="",
        help_text="The adult's relationship to the children.",
    )


class ConsentIn(serializers.Serializer):
    sought = StrictBooleanField(required=False, default=False)
    given = StrictBooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required if `sought` is true; must be null if `sought` is false.",
    )
    reason_not_sought = StrictCharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required if `sought` is false.",
    )

    def validate(self, data):
        problems = intake_rules.consent_problems(
            sought=data["sought"],
            given=data.get("given"),
            reason_not_sought=data.get("reason_not_sought", ""),
        )
        if problems:
            raise serializers.ValidationError({k: [m] for k, m in problems.items()})
        return data


class ConcernIn(serializers.Serializer):
    external_reference = _text(64, help_text="Your own id for the concern, unique per client.")
    referrer = ReferrerIn()
    occurred_at = StrictDateTimeField(
        past_only=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="When it happened, with an offset. Not in the future.",
    )
    categories = serializers.ListField(
        child=StrictCharField(max_length=60),
        min_length=1,
        max_length=MAX_CATEGORIES,
        help_text="Codes from GET /api/v1/categories/.",
    )
    summary = _text(20000, help_text="What was seen, heard or disclosed. Not blank.")
    immediate_risk = StrictBooleanField()
    ird_requested = StrictBooleanField(
        required=False,
        default=False,
        help_text="The submitting police, health or social work service asks for an IRD now. "
        "With this or `immediate_risk`, a concern from police, health or social work opens an "
        "IRD request at once, without waiting for screening; the IRD clock starts at the "
        "concern's arrival.",
    )
    children = ChildIn(many=True, min_length=1, max_length=MAX_CHILDREN)
    adults = AdultIn(many=True, required=False, max_length=MAX_ADULTS, default=list)
    consent = ConsentIn(required=False)
    sharing_basis = StrictChoiceField(
        choices=Referral.SharingBasis.choices,
        required=False,
        default=Referral.SharingBasis.SAFEGUARDING,
        help_text="The lawful basis for sharing; safeguarding of children if not given.",
    )

    def validate_categories(self, codes):
        wanted = list(dict.fromkeys(codes))
        found = {c.code: c for c in ConcernCategory.objects.in_use().filter(code__in=wanted)}
        unknown = [code for code in wanted if code not in found]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown concern category: {', '.join(unknown)}. "
                "See GET /api/v1/categories/ for the codes."
            )
        return [found[code] for code in wanted]

    def validate_children(self, children):
        seen: dict[str, int] = {}
        errors = [{} for _ in children]
        for index, child in enumerate(children):
            number = child.get("chi_number")
            if number:
                if number in seen:
                    errors[index] = {
                        "chi_number": [
                            f"The same CHI number is given for child {seen[number] + 1}."
                        ]
                    }
                seen.setdefault(number, index)
        if any(errors):
            raise serializers.ValidationError(errors)
        return children


class EmergencyMeasureIn(serializers.Serializer):
    """An emergency measure taken to protect one of the concern's children. Its statutory
    clock is checked (a 400 names the field): a police removal (s.56) lasts 24 hours at most
    from its start, which is when the child was removed; a child assessment order (s.35) starts
    within 24 hours of its grant and lasts up to 3 days; a justice of the peace order (s.55) is
    acted on within 12 hours and lasts up to 24 hours from its grant. `ends_at` is required for
    those three and an exclusion order."""

    child = serializers.UUIDField(help_text="The child's `id` in the concern.")
    kind = StrictChoiceField(
        choices=EmergencyMeasure.Kind.choices,
        help_text="A kind in use now: a retired kind is refused (400).",
    )
    granted_at = StrictDateTimeField(
        past_only=True, help_text="When it was granted, or the child removed. Not in the future."
    )
    starts_at = StrictDateTimeField(help_text="In effect from; not before `granted_at`.")
    ends_at = StrictDateTimeField(
        required=False, allow_null=True, default=None, help_text="When it ends; after the start."
    )
    reason = _text(4000, help_text="Why the measure was needed. Not blank.")


def submitted_json(data: dict) -> dict:
    """The validated concern as JSON values, as a partner reads it back."""

    def day(value):
        return value.isoformat() if value is not None else None

    children = []
    for child in data["children"]:
        address = child.get("address") or {}
        children.append(
            {
                "first_name": child["first_name"],
                "last_name": child["last_name"],
                "date_of_birth": day(child.get("date_of_birth")),
                "unborn": child["unborn"],
                "expected_date_of_delivery": day(child.get("expected_date_of_delivery")),
                "chi_number": child.get("chi_number", ""),
                "sex": child.get("sex", ""),
                "address": {
                    key: address.get(key, "") for key in ("line1", "line2", "town", "postcode")
                },
                "school": child.get("school", ""),
                "named_person": child.get("named_person", ""),
                "gp_practice": child.get("gp_practice", ""),
            }
        )
    consent = data.get("consent") or {"sought": False, "given": None, "reason_not_sought": ""}
    return {
        "referrer": {
            key: data["referrer"].get(key, "") for key in ("name", "role", "phone", "email")
        },
        "occurred_at": data["occurred_at"].isoformat() if data.get("occurred_at") else None,
        "categories": [category.code for category in data["categories"]],
        "summary": data["summary"],
        "immediate_risk": data["immediate_risk"],
        "ird_requested": data.get("ird_requested", False),
        "children": children,
        "adults": [
            {
                "first_name": adult["first_name"],
                "last_name": adult["last_name"],
                "date_of_birth": day(adult.get("date_of_birth")),
                "relationship": adult.get("relationship", ""),
            }
            for adult in data.get("adults", [])
        ],
        "consent": {
            "sought": consent["sought"],
            "given": consent.get("given"),
            "reason_not_sought": consent.get("reason_not_sought", ""),
        },
        "sharing_basis": data.get("sharing_basis") or Referral.SharingBasis.SAFEGUARDING,
    }


class ConcernListQuery(serializers.Serializer):
    """Filters for GET /api/v1/concerns/: an unknown status or a malformed time is a 400."""

    status = StrictChoiceField(choices=Referral.Status.choices, required=False)
    external_reference = StrictCharField(max_length=64, required=False)
    updated_since = StrictDateTimeField(required=False, in_query=True)


class EventListQuery(serializers.Serializer):
    since = StrictDateTimeField(required=False, in_query=True)
    type = StrictChoiceField(
        choices=[
            ("concern.status_changed", "Concern status changed"),
            ("concern.decision_approved", "Screening decision approved"),
            ("concern.feedback_given", "Practice hub feedback given"),
        ],
        required=False,
    )


# --- Output ---------------------------------------------------------------------------------


class AddressOut(serializers.Serializer):
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    town = serializers.CharField()
    postcode = serializers.CharField()


class ReferrerOut(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


class RegisterOut(serializers.Serializer):
    """The child is on the council's child protection register now."""

    registered_on = serializers.DateField()
    temporary = serializers.BooleanField(
        help_text="Registered here while on another authority's register."
    )
    categories = serializers.ListField(
        child=serializers.CharField(), help_text="The categories of concern, as labels."
    )
    review_due_on = serializers.DateField(
        allow_null=True, help_text="When the next review (or transfer) CPPM is due."
    )


class ChildOut(serializers.Serializer):
    id = serializers.UUIDField(
        help_text="This child's place in the concern, stable for the concern's life. It is not "
        "the council's record of the child, which partners never see."
    )
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    unborn = serializers.BooleanField()
    expected_date_of_delivery = serializers.DateField(allow_null=True)
    chi_number = serializers.CharField()
    sex = serializers.ChoiceField(choices=Person.Sex.choices)
    address = AddressOut()
    school = serializers.CharField()
    named_person = serializers.CharField(default="")
    gp_practice = serializers.CharField(default="")
    child_protection_register = RegisterOut(
        allow_null=True,
        help_text="Whether the child is on the child protection register now, once your agency "
        "takes part in the concern's IRD (`ird` is not null); null if not registered or before.",
    )


class AdultOut(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    relationship = serializers.CharField()


class ConsentOut(serializers.Serializer):
    sought = serializers.BooleanField()
    given = serializers.BooleanField(allow_null=True)
    reason_not_sought = serializers.CharField()


class DecisionOut(serializers.Serializer):
    code = serializers.ChoiceField(choices=ScreeningDecision.Outcome.choices)
    label = serializers.CharField()
    approved_at = serializers.DateTimeField()


class IrdDecisionOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class IrdOut(serializers.Serializer):
    """The inter-agency referral discussion about the concern that your agency takes part in.
    `status`: scheduled, in_progress, concluded, signed_off or cancelled; `held_at` and
    `decisions` once it was held. The whole IRD: GET /api/v1/irds/{id}/."""

    id = serializers.UUIDField()
    status = serializers.CharField()
    scheduled_for = serializers.DateTimeField(allow_null=True)
    held_at = serializers.DateTimeField(allow_null=True)
    decisions = IrdDecisionOut(many=True)


class ConcernOut(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField(help_text="Human-readable and unique, e.g. CW-2026-000123.")
    external_reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    received_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    referrer = ReferrerOut()
    occurred_at = serializers.DateTimeField(allow_null=True)
    categories = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    immediate_risk = serializers.BooleanField()
    ird_requested = serializers.BooleanField(
        help_text="Whether the submitter asked for an IRD now."
    )
    children = ChildOut(many=True)
    adults = AdultOut(many=True)
    consent = ConsentOut()
    sharing_basis = serializers.ChoiceField(choices=Referral.SharingBasis.choices)
    decision = DecisionOut(allow_null=True, help_text="Once a manager approved it, else null.")
    ird = IrdOut(
        allow_null=True,
        help_text="The IRD about this concern that your agency takes part in, else null.",
    )
    feedback_count = serializers.IntegerField()


class ScoreOut(serializers.Serializer):
    criterion = serializers.CharField()
    label = serializers.CharField()
    score = serializers.IntegerField(
        min_value=SCORE_MIN,
        max_value=SCORE_MAX,
        help_text="Care Inspectorate scale: 6 excellent ... 1 unsatisfactory.",
    )


class FeedbackOut(serializers.Serializer):
    id = serializers.UUIDField()
    given_at = serializers.DateTimeField()
    scores = ScoreOut(many=True)
    supported_by = serializers.ListField(child=serializers.CharField())
    barriers = serializers.ListField(child=serializers.CharField())
    comments = serializers.CharField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(
        allow_null=True, help_text="Who acknowledged it: a user name or an API client's name."
    )


class CategoryOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class ConcernEventConcernOut(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    external_reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    decision = DecisionOut(allow_null=True)
    updated_at = serializers.DateTimeField()


class EventFeedbackOut(serializers.Serializer):
    id = serializers.UUIDField()
    given_at = serializers.DateTimeField()


class EventDataOut(serializers.Serializer):
    concern = ConcernEventConcernOut()
    feedback = EventFeedbackOut(required=False, help_text="Only in concern.feedback_given.")


class EventOut(serializers.Serializer):
    """The body of a webhook POST, and an item of GET /api/v1/events/."""

    id = serializers.UUIDField()
    type = serializers.ChoiceField(
        choices=[
            ("concern.status_changed", "Concern status changed"),
            ("concern.decision_approved", "Screening decision approved"),
            ("concern.feedback_given", "Practice hub feedback given"),
        ]
    )
    created_at = serializers.DateTimeField()
    data = EventDataOut()


class RecordedByOut(serializers.Serializer):
    name = serializers.CharField(help_text="A member of staff or an API client's name.")
    agency = serializers.CharField(allow_null=True, help_text="Their agency's code.")


class EmergencyMeasureOut(serializers.Serializer):
    id = serializers.UUIDField()
    concern = serializers.UUIDField(help_text="The concern's `id`.")
    child = serializers.UUIDField(allow_null=True, help_text="The child's `id` in the concern.")
    kind = serializers.ChoiceField(choices=EmergencyMeasure.Kind.choices)
    kind_label = serializers.CharField()
    granted_at = serializers.DateTimeField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    reporter_to_be_told = serializers.BooleanField(
        help_text="Whether the Children's Reporter is told of it (every compulsory measure)."
    )
    reporter_told_at = serializers.DateTimeField(allow_null=True)
    reporter_told_by = serializers.CharField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    recorded_by = RecordedByOut()


# --- Errors (documentation of the error bodies) ----------------------------------------------


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")


class ValidationErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each invalid field by its path (`children[1].chi_number`), with messages.",
    )


class DuplicateOut(serializers.Serializer):
    detail = serializers.CharField()
    id = serializers.UUIDField(help_text="The concern already submitted with this reference.")


def _page(name: str, item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "__doc__": f"A page of at most 100 {item.__name__.removesuffix('Out').lower()} items.",
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
            "previous": serializers.URLField(
                allow_null=True, help_text="The previous page, or null."
            ),
            "results": item(many=True),
        },
    )


ConcernPage = _page("ConcernPage", ConcernOut)
FeedbackPage = _page("FeedbackPage", FeedbackOut)
CategoryPage = _page("CategoryPage", CategoryOut)
EventPage = _page("EventPage", EventOut)
EmergencyMeasurePage = _page("EmergencyMeasurePage", EmergencyMeasureOut)
