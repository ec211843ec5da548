"""Partner API views. Thin: check the input, call a service or selector, answer.

Each read writes audit rows naming the API client before the response is sent: one per concern
shown (a list with none writes one "search" row), one per feedback list, category or event
list; writes are audited by their services."""

import datetime
import functools
import json
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from referrals import audit, sharing
from referrals.api import idempotency, schema, selectors, services
from referrals.api.authentication import BearerTokenAuthentication
from referrals.api.errors import DuplicateConcern
from referrals.api.exceptions import partner_exception_handler
from referrals.api.fields import query_of
from referrals.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, page_of
from referrals.api.parsers import RequestTooLarge, StrictJSONParser, max_body_bytes
from referrals.api.permissions import IsActivePartnerClient
from referrals.api.serializers import (
    CategoryOut,
    CategoryPage,
    ConcernIn,
    ConcernListQuery,
    ConcernOut,
    ConcernPage,
    EmergencyMeasureIn,
    EmergencyMeasureOut,
    EmergencyMeasurePage,
    EventListQuery,
    EventOut,
    EventPage,
    FeedbackOut,
    FeedbackPage,
    submitted_json,
)
from referrals.api.throttling import PartnerClientThrottle
from referrals.models import ConcernCategory, Referral
from referrals.services import emergency
from referrals.services import feedback as feedback_services

# The documented example's unborn baby is due four months from when the schema is made: a fixed
# date would pass and the example would be refused as due in the past.
EXAMPLE_DUE_DATE = (timezone.localdate() + datetime.timedelta(weeks=17)).isoformat()

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON = "application/json"

# The limits PageQuery enforces, stated in the schema too (schema and validation agree).
PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        description="Page number, from 1.",
    ),
    OpenApiParameter(
        "page_size",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PAGE_SIZE,
            "default": DEFAULT_PAGE_SIZE,
        },
        description=f"Items a page: 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    ),
]
CONCERN_ID = OpenApiParameter(
    "concern_id", UUID, OpenApiParameter.PATH, description="The concern's `id`."
)
MEASURE_ID = OpenApiParameter(
    "measure_id", UUID, OpenApiParameter.PATH, description="The emergency measure's `id`."
)
FEEDBACK_ID = OpenApiParameter(
    "feedback_id", UUID, OpenApiParameter.PATH, description="The feedback item's `id`."
)


def as_json(data) -> dict:
    """Serializer output as plain JSON values (what the idempotency row stores)."""
    return json.loads(JSONRenderer().render(data))


@functools.cache
def _writer(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    return serializer_class()


def represent(serializer_class: type[serializers.Serializer], data, *, many: bool = False):
    """`serializer_class(data, many=many).data`, without building the serializer's fields
    afresh for every response (a deep copy of every declared field: half a millisecond for a
    concern). An output serializer only formats: `to_representation` keeps no state, so one
    instance per class serves every request and thread."""
    writer = _writer(serializer_class)
    if many:
        return [writer.to_representation(row) for row in data]
    return writer.to_representation(data)


class PartnerApiView(APIView):
    # Bearer token of an active client; per-client throttle; strict JSON; one error format.
    # (No docstrings on these classes: drf-spectacular would publish them as descriptions.)

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsActivePartnerClient]
    throttle_classes = [PartnerClientThrottle]
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    takes_json_body = False  # True where the operation's body is required JSON

    def get_exception_handler(self):
        return partner_exception_handler

    def read_basis(self) -> dict:
        """The lawful basis of partner reads, for the audit rows of data this client reads
        (looked up once per request)."""
        if not hasattr(self, "_read_basis"):
            self._read_basis = sharing.basis(sharing.Route.API_READ)
        return self._read_basis

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # negotiation, auth, permission, throttle
        if request.method in BODY_METHODS:
            self._check_body(request)

    def _check_body(self, request) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_body_bytes():
            raise RequestTooLarge()
        has_body = length > 0 or "HTTP_TRANSFER_ENCODING" in request.META
        content_type = request.META.get("CONTENT_TYPE", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if (self.takes_json_body or has_body) and media_type != JSON:
            raise exceptions.UnsupportedMediaType(content_type or "none")

    @property
    def client(self):
        return self.request.user

    def concern_page(self, request, concern_id, *, name, items, row, out) -> Response:
        """A page of what one of the agency's concerns holds (`items(referral)`), its read
        audited in one row naming the items shown."""
        referral = selectors.concern_for(self.client, concern_id)
        page = page_of(request, items(referral))
        audit.record(
            actor=self.client,
            action=audit.Action.VIEW,
            subject=referral,
            detail={
                **self.read_basis(),
                "via": "partner_api",
                name: [str(item.pk) for item in page.items],
            },
        )
        rows = [row(referral, item) for item in page.items]
        return Response(page.envelope(represent(out, rows, many=True)))

    # What a replayed 201 answer shows, for the audit row of the partner reading it again.
    replayed_type = "referral"

    def idempotent(self, request, form, work) -> Response:
        """A creating POST with Stripe's idempotency: a replay answers as the first
        request did; invalid input (400) stores nothing; otherwise `work(request, claim,
        validated_data)` does it and completes the claim with its answer."""
        key = idempotency.key_from(request)
        fingerprint = idempotency.fingerprint("POST", request.path, request.data)
        claim = None
        row = idempotency.existing(self.client, key)
        if row is not None:
            replay = idempotency.check(row, fingerprint)
            if replay is not None:
                return self._replay(replay)
            claim = idempotency.Claim(row)  # an abandoned attempt, taken over
        if not form.is_valid():
            if claim is not None:
                idempotency.release(claim)
            raise exceptions.ValidationError(form.errors)  # stores nothing (Stripe)
        if claim is None:
            claim, replay = idempotency.claim(self.client, key, fingerprint)
            if replay is not None:
                return self._replay(replay)
        return work(request, claim, form.validated_data)

    def _replay(self, row) -> Response:
        headers = {"Idempotent-Replayed": "true"}
        if row.location:
            headers["Location"] = row.location
        body = row.response_body
        if row.response_status == status.HTTP_201_CREATED and isinstance(body, dict):
            audit.record(
                actor=self.client,
                action=audit.Action.VIEW,
                object_type=self.replayed_type,
                object_id=str(body.get("id", "")),
                detail={**self.read_basis(), "via": "partner_api", "idempotent_replay": True},
            )
        return Response(body, status=row.response_status, headers=headers)


# --- Concerns -------------------------------------------------------------------------------


class ConcernsApi(PartnerApiView):
    # /api/v1/concerns/: GET lists the agency's concerns, POST submits one.

    @property
    def takes_json_body(self) -> bool:
        return self.request.method == "POST"

    @extend_schema(
        operation_id="concerns_list",
        summary="List your agency's concerns, newest first",
        parameters=[
            ConcernListQuery,
            *PAGE_PARAMETERS,
        ],
        responses={200: ConcernPage, 400: schema.BAD_QUERY, 404: schema.NOT_FOUND, **schema.COMMON},
        examples=[
            schema.page_example(
                "concerns",
                schema.CONCERN_EXAMPLE,
                "https://referrals.example.org/api/v1/concerns/?page=2",
            )
        ],
        tags=["concerns"],
    )
    def get(self, request: Request) -> Response:
        query = query_of(ConcernListQuery, request)
        concerns = selectors.concern_list(self.client, **query.validated_data)
        page = page_of(request, concerns)
        if page.items:
            audit.record_many(
                actor=self.client,
                action=audit.Action.VIEW,
                subjects=page.items,
                detail={**self.read_basis(), "via": "partner_api", "list": True},
            )
        else:
            audit.record(
                actor=self.client,
                action=audit.Action.SEARCH,
                object_type="referral",
                detail={**self.read_basis(), "via": "partner_api", "results": 0},
            )
        rows = selectors.concern_page_data(list(page.items), self.client.agency_id)
        return Response(page.envelope(represent(ConcernOut, rows, many=True)))

    @extend_schema(
        operation_id="concerns_submit",
        summary="Submit a concern",
        description="Creates the concern once, however often it is retried with the same "
        "Idempotency-Key. Children are matched to the council's records by CHI "
        "number; uncertain matches are left for a social worker to confirm.",
        parameters=[schema.IDEMPOTENCY_KEY],
        request=ConcernIn,
        responses={
            201: OpenApiResponse(
                ConcernOut,
                description="Recorded (or, with "
                "`Idempotent-Replayed: true`, recorded by an earlier request)",
            ),
            400: schema.INVALID_CONCERN,
            409: schema.CONFLICT,
            413: schema.TOO_LARGE,
            415: schema.UNSUPPORTED,
            422: schema.KEY_REUSED,
            **schema.COMMON,
        },
        examples=[
            OpenApiExample(
                "A neglect concern",
                request_only=True,
                value={
                    "external_reference": "IVPD-2026-0042",
                    "referrer": {
                        "name": "PC Anne Watt",
                        "role": "Police constable",
                        "phone": "01343 000000",
                        "email": "anne.watt@example.org",
                    },
                    "occurred_at": "2026-03-01T21:30:00Z",
                    "categories": ["neglect", "domestic_abuse"],
                    "summary": "Called to a disturbance; two children alone at home, "
                    "no food in the house.",
                    "immediate_risk": True,
                    "children": [
                        {
                            "first_name": "Ava",
                            "last_name": "Smith",
                            "date_of_birth": "2018-03-15",
                            "chi_number": "1503181014",
                            "sex": "female",
                            "address": {
                                "line1": "1 High Street",
                                "line2": "",
                                "town": "Elgin",
                                "postcode": "IV30 1AB",
                            },
                            "school": "Elgin Academy",
                        },
                        {
                            "first_name": "Baby",
                            "last_name": "Smith",
                            "unborn": True,
                            "expected_date_of_delivery": EXAMPLE_DUE_DATE,
                        },
                    ],
                    "adults": [
                        {"first_name": "Jo", "last_name": "Smith", "relationship": "parent"}
                    ],
                    "consent": {
                        "sought": False,
                        "given": None,
                        "reason_not_sought": "Child at risk of harm",
                    },
                },
            ),
            schema.example(
                "recorded",
                {
                    **schema.CONCERN_EXAMPLE,
                    "status": "received",
                    "decision": None,
                    "feedback_count": 0,
                },
                201,
            ),
        ],
        tags=["concerns"],
    )
    def post(self, request: Request) -> Response:
        return self.idempotent(request, ConcernIn(data=request.data), self._submit)

    def _submit(self, request, claim, data) -> Response:
        submitted = submitted_json(data)
        try:
            for attempt in (1, 2):
                try:
                    with transaction.atomic():
                        referral = services.concern_submit(
                            client=self.client, data=data, submitted=submitted
                        )
                        body = self._concern_body(referral)
                        location = request.build_absolute_uri(
                            reverse("partner_api:concern_detail", args=[referral.pk])
                        )
                        idempotency.complete(claim, status=201, body=body, location=location)
                    return Response(
                        body, status=status.HTTP_201_CREATED, headers={"Location": location}
                    )
                except IntegrityError:
                    # A concurrent request took the same external_reference, or created the
                    # same child (same CHI number) first: look again.
                    existing = services.existing_concern(
                        client=self.client, external_reference=data["external_reference"]
                    )
                    if existing is not None:
                        raise services.duplicate_error(existing) from None
                    if attempt == 2:
                        raise
        except DuplicateConcern as duplicate:
            answer = {"detail": str(duplicate), "id": str(duplicate.concern_id)}
            with transaction.atomic():
                idempotency.complete(claim, status=status.HTTP_409_CONFLICT, body=answer)
            return Response(answer, status=status.HTTP_409_CONFLICT)
        except BaseException:
            idempotency.release(claim)  # no answer worth keeping: the key may be used again
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _concern_body(self, referral: Referral) -> dict:
        referral = selectors.concern_rows(Referral.objects.filter(pk=referral.pk)).get()
        return as_json(represent(ConcernOut, selectors.concern_data(referral)))


class ConcernDetailApi(PartnerApiView):
    @extend_schema(
        operation_id="concerns_read",
        summary="Read one of your agency's concerns",
        parameters=[CONCERN_ID],
        responses={200: ConcernOut, 404: schema.NOT_FOUND, **schema.COMMON},
        examples=[schema.example("concern", schema.CONCERN_EXAMPLE)],
        tags=["concerns"],
    )
    def get(self, request: Request, concern_id: UUID) -> Response:
        referral = selectors.concern_for(self.client, concern_id)
        audit.record(
            actor=self.client,
            action=audit.Action.VIEW,
            subject=referral,
            detail={**self.read_basis(), "via": "partner_api"},
        )
        return Response(represent(ConcernOut, selectors.concern_data(referral)))


# --- Feedback -------------------------------------------------------------------------------


class ConcernFeedbackApi(PartnerApiView):
    @extend_schema(
        operation_id="concerns_feedback_list",
        summary="Practice hub feedback on a concern, newest first",
        parameters=[CONCERN_ID, *PAGE_PARAMETERS],
        responses={
            200: FeedbackPage,
            400: schema.BAD_QUERY,
            404: schema.NOT_FOUND,
            **schema.COMMON,
        },
        examples=[schema.page_example("feedback", schema.FEEDBACK_EXAMPLE)],
        tags=["feedback"],
    )
    def get(self, request: Request, concern_id: UUID) -> Response:
        return self.concern_page(
            request,
            concern_id,
            name="feedback",
            items=selectors.feedback_for,
            row=lambda referral, item: selectors.feedback_data(item),
            out=FeedbackOut,
        )


class FeedbackAcknowledgeApi(PartnerApiView):
    @extend_schema(
        operation_id="concerns_feedback_acknowledge",
        summary="Acknowledge feedback (idempotent)",
        description="Takes an empty body (or any JSON body, which is ignored). Records who "
        "acknowledged it and when; acknowledging again changes nothing.",
        parameters=[CONCERN_ID, FEEDBACK_ID],
        request=None,
        responses={
            200: FeedbackOut,
            404: schema.NOT_FOUND,
            413: schema.TOO_LARGE,
            415: schema.UNSUPPORTED,
            **schema.COMMON,
        },
        examples=[schema.example("acknowledged", schema.FEEDBACK_EXAMPLE)],
        tags=["feedback"],
    )
    def post(self, request: Request, concern_id: UUID, feedback_id: UUID) -> Response:
        referral = selectors.concern_for(self.client, concern_id)
        item = selectors.feedback_item(referral, feedback_id)
        already = item.acknowledged_at is not None
        item = feedback_services.feedback_acknowledge(feedback=item, by=self.client)
        if already:
            audit.record(
                actor=self.client,
                action=audit.Action.VIEW,
                subject=item,
                detail={**self.read_basis(), "via": "partner_api", "referral": str(referral.pk)},
            )
        return Response(represent(FeedbackOut, selectors.feedback_data(item)))


# --- Emergency measures ----------------------------------------------------------------------


class ConcernMeasuresApi(PartnerApiView):
    # /api/v1/concerns/{id}/emergency-measures/: GET lists the concern's measures, POST records
    # one (police removing a child to a place of safety under s.56, above all).
    replayed_type = "emergencymeasure"

    @property
    def takes_json_body(self) -> bool:
        return self.request.method == "POST"

    @extend_schema(
        operation_id="concerns_emergency_measures_list",
        summary="Emergency measures taken for a concern's children, newest first",
        parameters=[CONCERN_ID, *PAGE_PARAMETERS],
        responses={
            200: EmergencyMeasurePage,
            400: schema.BAD_QUERY,
            404: schema.NOT_FOUND,
            **schema.COMMON,
        },
        examples=[schema.page_example("measures", schema.MEASURE_EXAMPLE)],
        tags=["emergency measures"],
    )
    def get(self, request: Request, concern_id: UUID) -> Response:
        return self.concern_page(
            request,
            concern_id,
            name="emergency_measures",
            items=selectors.measures_for,
            row=selectors.measure_data,
            out=EmergencyMeasureOut,
        )

    @extend_schema(
        operation_id="concerns_emergency_measures_record",
        summary="Record an emergency measure for one of a concern's children",
        description="Recorded once, however often it is retried with the same Idempotency-Key "
        "(as a concern is). Its end, and telling the Children's Reporter, are chased by the "
        "council's team on the statutory clock.",
        parameters=[CONCERN_ID, schema.IDEMPOTENCY_KEY],
        request=EmergencyMeasureIn,
        responses={
            201: OpenApiResponse(
                EmergencyMeasureOut,
                description="Recorded (or, with `Idempotent-Replayed: true`, recorded by an "
                "earlier request)",
            ),
            400: schema.INVALID_MEASURE,
            404: schema.NOT_FOUND,
            409: schema.IN_FLIGHT,
            413: schema.TOO_LARGE,
            415: schema.UNSUPPORTED,
            422: schema.KEY_REUSED,
            **schema.COMMON,
        },
        examples=[
            OpenApiExample(
                "A police removal (s.56)",
                request_only=True,
                value={
                    "child": schema.MEASURE_EXAMPLE["child"],
                    "kind": "police_removal",
                    "granted_at": "2026-03-01T22:10:00Z",
                    "starts_at": "2026-03-01T22:10:00Z",
                    "ends_at": "2026-03-02T22:10:00Z",
                    "reason": "Two children alone at home overnight; parents not traced.",
                },
            ),
            schema.example("recorded", schema.MEASURE_EXAMPLE, 201),
        ],
        tags=["emergency measures"],
    )
    def post(self, request: Request, concern_id: UUID) -> Response:
        referral = selectors.concern_for(self.client, concern_id)
        return self.idempotent(
            request,
            EmergencyMeasureIn(data=request.data),
            lambda request, claim, data: self._record(request, claim, referral, data),
        )

    def _record(self, request, claim, referral, data) -> Response:
        try:
            with transaction.atomic():
                measure = services.measure_record(client=self.client, referral=referral, data=data)
                body = as_json(
                    represent(EmergencyMeasureOut, selectors.measure_data(referral, measure))
                )
                location = request.build_absolute_uri(
                    reverse("partner_api:measure_detail", args=[referral.pk, measure.pk])
                )
                idempotency.complete(claim, status=201, body=body, location=location)
        except DjangoValidationError as error:
            idempotency.release(claim)  # invalid input stores nothing (Stripe)
            raise exceptions.ValidationError(error.message_dict) from None
        except BaseException:
            idempotency.release(claim)
            raise
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class ConcernMeasureDetailApi(PartnerApiView):
    @extend_schema(
        operation_id="concerns_emergency_measures_read",
        summary="Read one emergency measure of a concern",
        parameters=[CONCERN_ID, MEASURE_ID],
        responses={200: EmergencyMeasureOut, 404: schema.NOT_FOUND, **schema.COMMON},
        examples=[schema.example("measure", schema.MEASURE_EXAMPLE)],
        tags=["emergency measures"],
    )
    def get(self, request: Request, concern_id: UUID, measure_id: UUID) -> Response:
        referral = selectors.concern_for(self.client, concern_id)
        measure = selectors.measure_item(referral, measure_id)
        audit.record(
            actor=self.client,
            action=audit.Action.VIEW,
            subject=measure,
            detail={**self.read_basis(), "via": "partner_api", "referral": str(referral.pk)},
        )
        return Response(represent(EmergencyMeasureOut, selectors.measure_data(referral, measure)))


class MeasureReporterToldApi(PartnerApiView):
    @extend_schema(
        operation_id="concerns_emergency_measures_reporter_told",
        summary="Record that the Children's Reporter was told of a measure (idempotent)",
        description="Takes an empty body (or any JSON body, which is ignored). Records who and "
        "when; recording it again changes nothing. A voluntary s.25 accommodation is not "
        "notified to the Reporter (400).",
        parameters=[CONCERN_ID, MEASURE_ID],
        request=None,
        responses={
            200: EmergencyMeasureOut,
            400: schema.NOT_NOTIFIED,
            404: schema.NOT_FOUND,
            413: schema.TOO_LARGE,
            415: schema.UNSUPPORTED,
            **schema.COMMON,
        },
        examples=[schema.example("told", schema.MEASURE_EXAMPLE)],
        tags=["emergency measures"],
    )
    def post(self, request: Request, concern_id: UUID, measure_id: UUID) -> Response:
        referral = selectors.concern_for(self.client, concern_id)
        measure = selectors.measure_item(referral, measure_id)
        if measure.reporter_told_at is None:
            try:
                emergency.reporter_told(measure=measure, by=self.client)
            except DjangoValidationError as error:
                raise exceptions.ValidationError(error.message_dict) from None
            measure = selectors.measure_item(referral, measure_id)
        else:
            audit.record(
                actor=self.client,
                action=audit.Action.VIEW,
                subject=measure,
                detail={**self.read_basis(), "via": "partner_api", "referral": str(referral.pk)},
            )
        return Response(represent(EmergencyMeasureOut, selectors.measure_data(referral, measure)))


# --- Reference data and events ---------------------------------------------------------------


class CategoriesApi(PartnerApiView):
    @extend_schema(
        operation_id="categories_list",
        summary="Concern categories as configured",
        parameters=PAGE_PARAMETERS,
        responses={
            200: CategoryPage,
            400: schema.BAD_QUERY,
            404: schema.NOT_FOUND,
            **schema.COMMON,
        },
        examples=[schema.page_example("categories", {"code": "neglect", "label": "Neglect"})],
        tags=["reference data"],
    )
    def get(self, request: Request) -> Response:
        categories = ConcernCategory.objects.in_use().order_by("display_order", "code")
        page = page_of(request, categories)
        audit.record(
            actor=self.client,
            action=audit.Action.VIEW,
            object_type="concerncategory",
            detail={**self.read_basis(), "via": "partner_api", "count": len(page.items)},
        )
        rows = [{"code": category.code, "label": category.label} for category in page.items]
        return Response(page.envelope(represent(CategoryOut, rows, many=True)))


class EventsApi(PartnerApiView):
    @extend_schema(
        operation_id="events_list",
        summary="Events about your agency's concerns, oldest first",
        description="What the webhook sends, for a partner that missed some: pass the "
        "`created_at` of the last event you processed as `since`.",
        parameters=[EventListQuery, *PAGE_PARAMETERS],
        responses={200: EventPage, 400: schema.BAD_QUERY, 404: schema.NOT_FOUND, **schema.COMMON},
        examples=[schema.page_example("events", schema.EVENT_EXAMPLE)],
        tags=["events"],
    )
    def get(self, request: Request) -> Response:
        query = query_of(EventListQuery, request)
        events = selectors.events_for(
            self.client,
            since=query.validated_data.get("since"),
            event_type=query.validated_data.get("type"),
        )
        page = page_of(request, events)
        audit.record(
            actor=self.client,
            action=audit.Action.VIEW,
            object_type="webhookevent",
            detail={**self.read_basis(), "via": "partner_api", "count": len(page.items)},
        )
        rows = [event.payload for event in page.items]
        return Response(page.envelope(represent(EventOut, rows, many=True)))
