"""Reads for the partner API, scoped to the client's agency, in a fixed number of queries.

A partner sees the concerns its own agency's clients submitted, and nothing else: anything
else is answered exactly as if it did not exist (404)."""

from uuid import UUID

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from referrals import audit, extensions
from referrals.api.models import ApiClient, WebhookEvent
from referrals.models import (
    EmergencyMeasure,
    Referral,
    ReferralChild,
    ReferralFeedback,
    ScreeningDecision,
)
from referrals.services import emergency


def concerns_visible_to(client: ApiClient) -> QuerySet[Referral]:
    return Referral.objects.filter(partner_submission__client__agency_id=client.agency_id)


def concern_rows(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    return (
        queryset.select_related("partner_submission__client")
        .annotate(feedback_count=Count("feedback", distinct=True))
        .prefetch_related(
            # The categories a partner reads are those it submitted: not the referral's; and
            # of the children, only which record each is linked to (never the record itself).
            Prefetch("child_links", queryset=ReferralChild.objects.only("referral", "person")),
            Prefetch(
                "screening_decisions",
                queryset=ScreeningDecision.objects.filter(
                    state=ScreeningDecision.State.APPROVED
                ).order_by("-reviewed_at"),
                to_attr="approved_decisions",
            ),
        )
    )


def concern_for(client: ApiClient, concern_id: UUID) -> Referral:
    """Out of scope and missing look the same (404); an out-of-scope attempt is audited."""
    referral = concern_rows(concerns_visible_to(client)).filter(pk=concern_id).first()
    if referral is None:
        if Referral.objects.filter(pk=concern_id).exists():
            audit.record(
                actor=client,
                action=audit.Action.DENIED,
                object_type="referral",
                object_id=str(concern_id),
            )
        raise Http404("No concern found.")
    return referral


def concern_list(
    client: ApiClient,
    *,
    status: str | None = None,
    external_reference: str | None = None,
    updated_since=None,
) -> QuerySet[Referral]:
    """Newest first."""
    queryset = concerns_visible_to(client)
    if status:
        queryset = queryset.filter(status=status)
    if external_reference is not None:
        queryset = queryset.filter(partner_submission__external_reference=external_reference)
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    return concern_rows(queryset).order_by("-received_at", "-pk")


UNSET = object()


def concern_page_data(referrals: list[Referral], agency_id) -> list[dict]:
    """A page of concerns, their IRDs and the children's register status looked up once for
    the whole page."""
    irds = extensions.concern_irds([r.pk for r in referrals], agency_id) if referrals else {}
    people = [link.person_id for r in referrals for link in r.child_links.all()]
    register = extensions.register_status(people)
    return [
        concern_data(referral, ird=irds.get(referral.pk), register=register)
        for referral in referrals
    ]


def _children(referral: Referral, submission, register: dict, *, in_ird: bool) -> list[dict]:
    """Each child is known by its place in this concern: the council's person records (and
    whether a child was matched to one) are never shown to a partner. Whether the child is on
    the child protection register is, to an agency taking part in the concern's IRD."""
    people = {link.pk: link.person_id for link in referral.child_links.all()}
    children = []
    for index, child in enumerate(submission.submitted["children"]):
        link_id = (
            submission.child_link_ids[index] if index < len(submission.child_link_ids) else None
        )
        status = register.get(people.get(_uuid(link_id))) if in_ird else None
        children.append(
            {
                "id": link_id,
                **child,
                "child_protection_register": None
                if status is None
                else {
                    "registered_on": status.registered_on,
                    "temporary": status.temporary,
                    "categories": list(status.categories),
                    "review_due_on": status.review_due_on,
                },
            }
        )
    return children


def _uuid(value):
    try:
        return UUID(str(value))
    except ValueError:
        return None


def concern_data(referral: Referral, *, ird=UNSET, register=UNSET) -> dict:
    """A concern as the partner reads it: what it submitted (never what the council's records
    hold about the children), with the council's reference, status and decision. `ird` and
    `register`, when given, were looked up for a whole page (concern_page_data)."""
    submission = referral.partner_submission
    submitted = submission.submitted
    if ird is UNSET:
        ird = extensions.concern_irds([referral.pk], submission.client.agency_id).get(referral.pk)
    if register is UNSET:
        register = extensions.register_status(
            [link.person_id for link in referral.child_links.all()]
        )
    children = _children(referral, submission, register, in_ird=ird is not None)
    approved = getattr(referral, "approved_decisions", None)
    if approved is None:
        approved = list(
            referral.screening_decisions.filter(state=ScreeningDecision.State.APPROVED).order_by(
                "-reviewed_at"
            )
        )
    decision = approved[0] if approved else None
    feedback_count = getattr(referral, "feedback_count", None)
    if feedback_count is None:
        feedback_count = referral.feedback.count()
    return {
        "id": referral.pk,
        "reference": referral.reference,
        "external_reference": submission.external_reference,
        "status": referral.status,
        "received_at": referral.received_at,
        "created_at": referral.created_at,
        "updated_at": referral.updated_at,
        "referrer": submitted["referrer"],
        "occurred_at": referral.occurred_at,
        "categories": submitted["categories"],
        "summary": submitted["summary"],
        "immediate_risk": submitted["immediate_risk"],
        "ird_requested": submitted.get("ird_requested", False),
        "children": children,
        "adults": submitted["adults"],
        "consent": submitted["consent"],
        "sharing_basis": submitted["sharing_basis"],
        "decision": None
        if decision is None
        else {
            "code": decision.outcome,
            "label": decision.get_outcome_display(),
            "approved_at": decision.reviewed_at,
        },
        # The IRD the agency takes part in, from ird/ through the core's extension point.
        "ird": ird,
        "feedback_count": feedback_count,
    }


def feedback_for(referral: Referral) -> QuerySet[ReferralFeedback]:
    return ReferralFeedback.objects.filter(referral=referral).order_by("-given_at", "-pk")


def feedback_item(referral: Referral, feedback_id: UUID) -> ReferralFeedback:
    feedback = feedback_for(referral).filter(pk=feedback_id).first()
    if feedback is None:
        raise Http404("No feedback found.")
    return feedback


def feedback_data(feedback: ReferralFeedback) -> dict:
    return {
        "id": feedback.pk,
        "given_at": feedback.given_at,
        "scores": [
            {
                "criterion": str(score.get("criterion", "")),
                "label": str(score.get("label", "")),
                "score": score.get("score"),
            }
            for score in feedback.scores
            if isinstance(score, dict)
        ],
        "supported_by": [str(item) for item in feedback.supported_by],
        "barriers": [str(item) for item in feedback.barriers],
        "comments": feedback.comments,
        "acknowledged_at": feedback.acknowledged_at,
        "acknowledged_by": feedback.acknowledged_by_label or None,
    }


def measures_for(referral: Referral) -> QuerySet[EmergencyMeasure]:
    """The concern's emergency measures, newest first."""
    return referral.emergency_measures.select_related("recorded_by_agency").order_by(
        "-starts_at", "-pk"
    )


def measure_item(referral: Referral, measure_id: UUID) -> EmergencyMeasure:
    measure = measures_for(referral).filter(pk=measure_id).first()
    if measure is None:
        raise Http404("No emergency measure found.")
    return measure


def measure_data(referral: Referral, measure: EmergencyMeasure) -> dict:
    """A measure as the partner reads it; its child known by the child's `id` in the concern
    (the referral's child links are prefetched by concern_rows)."""
    links = {link.person_id: link.pk for link in referral.child_links.all()}
    agency = measure.recorded_by_agency
    return {
        "id": measure.pk,
        "concern": referral.pk,
        "child": links.get(measure.child_id),
        "kind": measure.kind,
        "kind_label": measure.get_kind_display(),
        "granted_at": measure.granted_at,
        "starts_at": measure.starts_at,
        "ends_at": measure.ends_at,
        "reason": measure.reason,
        "reporter_to_be_told": measure.kind in emergency.REPORTER_TOLD,
        "reporter_told_at": measure.reporter_told_at,
        "reporter_told_by": measure.reporter_told_by_label or None,
        "recorded_at": measure.recorded_at,
        "recorded_by": {
            "name": measure.recorded_by_label,
            "agency": agency.code if agency is not None else None,
        },
    }


def events_for(
    client: ApiClient, *, since=None, event_type: str | None = None
) -> QuerySet[WebhookEvent]:
    """Events about the agency's concerns, oldest first, so a partner can catch up in order."""
    events = WebhookEvent.objects.filter(client__agency_id=client.agency_id)
    if since is not None:
        events = events.filter(created_at__gt=since)
    if event_type:
        events = events.filter(event_type=event_type)
    return events.order_by("created_at", "pk")
