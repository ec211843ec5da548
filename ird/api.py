"""The IRD operations of the partner API, on the partner API's own foundations
(bearer tokens, throttles, strict JSON, one error format: referrals.api) and mounted under
/api/v1/irds/ by config/urls.py ahead of the API's catch-all.

A partner system acts for its agency: it reads the IRDs someone from its agency is invited to,
and reads and updates the actions its agency owns. Any other IRD is a 404, as if it did not
exist; an action of another agency in an IRD it is invited to is a 403.

Updates are conditional (RFC 9110 13.1.1): GET gives an `ETag`, PATCH needs `If-Match` with it.
No If-Match (or `*`) is 428; a stale one is 412. The version check is repeated inside the UPDATE
itself (services.action_update), so two PATCHes sent with the same ETag at the same moment give
one 200 and one 412, never two 200s (pitfall 13)."""

from uuid import UUID

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ird import access, selectors, services
from ird.errors import ActionConflict
from ird.hooks import HELD
from ird.models import Ird, IrdAction
from referrals import audit
from referrals.api import schema
from referrals.api.fields import StrictCharField, StrictChoiceField
from referrals.api.pagination import page_of
from referrals.api.serializers import ErrorOut, ValidationErrorOut
from referrals.api.views import PAGE_PARAMETERS, PartnerApiView, represent
from referrals.errors import NotPermitted
from referrals.validation import parse_version

app_name = "ird_api"
TAG = "IRDs"

# --- Shapes ----------------------------------------------------------------------------------


def _one_of(choices) -> dict:
    """A string from `choices`, as OpenAPI sees it. The enum sits inside `allOf` because
    drf-spectacular names every `enum` property after its field, and these `status` fields
    would collide with the concern's `status` (which would need a settings override)."""
    return {
        "type": "string",
        "allOf": [{"enum": [value for value, _ in choices]}],
        "description": ", ".join(f"`{value}` ({label.lower()})" for value, label in choices),
    }


@extend_schema_field(_one_of(Ird.Status.choices))
class IrdStatusField(serializers.CharField):
    pass


@extend_schema_field(_one_of(IrdAction.Status.choices))
class ActionStatusOutField(serializers.CharField):
    pass


@extend_schema_field(_one_of(IrdAction.Status.choices))
class ActionStatusInField(StrictChoiceField):
    pass


class TeleconferenceOut(serializers.Serializer):
    dial_in = serializers.CharField(help_text="Dial-in number; empty until the council sets it.")
    meeting_id = serializers.CharField()
    pin = serializers.CharField()


class IrdAgencyOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="social_work, police, health, education or other.")


class IrdDecisionRecordOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    rationale = serializers.CharField()


class IrdActionOut(serializers.Serializer):
    id = serializers.UUIDField()
    ird = serializers.UUIDField(help_text="The IRD's `id`.")
    description = serializers.CharField()
    owner_agency = serializers.CharField(help_text="The owning agency's code.")
    owner = serializers.CharField(allow_null=True, help_text="The person named, if any.")
    due_date = serializers.DateField()
    status = ActionStatusOutField()
    completion_note = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PartnerIrdOut(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField(help_text="Human-readable, e.g. IRD-2026-000042.")
    concern = serializers.UUIDField(
        allow_null=True, help_text="The concern's `id` when your agency submitted it, else null."
    )
    status = IrdStatusField()
    scheduled_for = serializers.DateTimeField(allow_null=True)
    duration_minutes = serializers.IntegerField()
    held_at = serializers.DateTimeField(
        allow_null=True, help_text="When it started, once it was held."
    )
    teleconference = TeleconferenceOut(
        allow_null=True,
        help_text="Null once the IRD is cancelled or its record signed off, as on the page.",
    )
    participating_agencies = IrdAgencyOut(many=True)
    decisions = IrdDecisionRecordOut(
        many=True, help_text="Once the IRD is concluded; empty before."
    )
    actions = IrdActionOut(many=True, help_text="The actions your agency owns.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class IrdActionPatchIn(serializers.Serializer):
    status = ActionStatusInField(
        choices=IrdAction.Status.choices,
        required=False,
        help_text="`done` needs a completion note (here or before).",
    )
    completion_note = StrictCharField(max_length=4000, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give `status`, `completion_note` or both.")
        return attrs


class PartnerIrdPage(serializers.Serializer):
    """A page of at most 100 IRDs."""

    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    results = PartnerIrdOut(many=True)


# --- Data ------------------------------------------------------------------------------------


def action_data(action: IrdAction) -> dict:
    return {
        "id": action.pk,
        "ird": action.ird_id,
        "description": action.description,
        "owner_agency": action.owner_agency.code,
        "owner": (action.owner.get_full_name() or action.owner.username)
        if action.owner_id
        else None,
        "due_date": action.due_date,
        "status": action.status,
        "completion_note": action.completion_note,
        "completed_at": action.completed_at,
        "created_at": action.created_at,
        "updated_at": action.updated_at,
    }


def ird_data(ird: Ird, agency_id) -> dict:
    agencies = {invitation.agency_id: invitation.agency for invitation in ird.invitations.all()}
    submission = getattr(ird.referral, "partner_submission", None)
    return {
        "id": ird.pk,
        "reference": ird.reference,
        "concern": ird.referral_id
        if submission is not None and submission.client.agency_id == agency_id
        else None,
        "status": ird.status,
        "scheduled_for": ird.scheduled_for,
        "duration_minutes": ird.duration_minutes,
        "held_at": ird.started_at if ird.status in HELD else None,
        "teleconference": {"dial_in": ird.dial_in, "meeting_id": ird.meeting_id, "pin": ird.pin}
        if access.teleconference_open(ird)
        else None,
        "participating_agencies": [
            {"code": agency.code, "name": agency.name, "kind": agency.kind}
            for agency in sorted(agencies.values(), key=lambda agency: agency.name)
        ],
        "decisions": [
            {
                "code": decision.code.code,
                "label": decision.code.label,
                "rationale": decision.rationale,
            }
            for decision in ird.decisions.all()
        ]
        if ird.status in HELD
        else [],
        "actions": [action_data(action) for action in ird.agency_actions],
        "created_at": ird.created_at,
        "updated_at": ird.updated_at,
    }


def etag(action: IrdAction) -> str:
    return f'"{action.version}"'


def _if_match_versions(header: str) -> list[int] | None:
    """The versions named by an If-Match header; None for a missing header or `*` (both 428:
    an update must say which version it was based on). Weak tags never match (RFC 9110
    13.1.1 uses the strong comparison)."""
    header = header.strip()
    if not header or header == "*":
        return None
    versions = []
    for tag in header.split(","):
        tag = tag.strip()
        # Anything but '"' + ASCII digits + '"' names no version: stale (412), like "x".
        version = parse_version(tag[1:-1]) if tag[:1] == tag[-1:] == '"' else None
        if version is not None:
            versions.append(version)
    return versions


# --- Views -----------------------------------------------------------------------------------

IRD_ID = OpenApiParameter("ird_id", UUID, OpenApiParameter.PATH, description="The IRD's `id`.")
ACTION_ID = OpenApiParameter(
    "action_id", UUID, OpenApiParameter.PATH, description="The action's `id`."
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    pattern=r'^"[0-9]{1,18}"( *, *"[0-9]{1,18}")*$',
    description='The `ETag` from your last read of the action, e.g. `"3"`. Missing (or `*`) '
    "is 428; an ETag that is no longer current, or names no version at all, is 412.",
)
ETAG_HEADER = {
    "ETag": {
        "description": "The action's current version, for `If-Match`.",
        "schema": {"type": "string"},
    }
}
FORBIDDEN_ACTION = OpenApiResponse(
    ErrorOut,
    description="Another agency's action (in an IRD your agency is invited to), or a "
    "disabled API client",
    examples=[
        OpenApiExample(
            "not_yours",
            summary="Another agency's action",
            value={"detail": "Only the agency that owns this action updates it."},
        )
    ],
)
STALE = OpenApiResponse(
    ErrorOut,
    description="If-Match names a version that is no longer current: read the action again",
    examples=[OpenApiExample("stale", value={"detail": "..."})],
)
MISSING_PRECONDITION = OpenApiResponse(
    ErrorOut,
    description="No If-Match header (or `*`)",
    examples=[OpenApiExample("no_if_match", value={"detail": "Send If-Match with ..."})],
)
BAD_ACTION_UPDATE = OpenApiResponse(
    ValidationErrorOut,
    description="Invalid fields, or a completion without a note",
    examples=[
        OpenApiExample(
            "done_without_note",
            value={
                "detail": "Say what was done (completion note).",
                "errors": {"body": ["Say what was done (completion note)."]},
            },
        )
    ],
)
FINISHED_ACTION = OpenApiResponse(
    ErrorOut,
    description="The action is done or cancelled: it cannot be changed again",
    examples=[
        OpenApiExample(
            "finished",
            value={
                "detail": "This action is done: it cannot be changed again. Agree a new action "
                "instead."
            },
        )
    ],
)
ACTION_EXAMPLE = {
    "id": "9b2f3c1d-4e5a-4b6c-8d7e-0f1a2b3c4d5e",
    "ird": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
    "description": "Joint investigative interview planned and held.",
    "owner_agency": "police",
    "owner": "DS Gordon Fraser",
    "due_date": "2026-03-09",
    "status": "done",
    "completion_note": "JII held on 6 March.",
    "completed_at": "2026-03-06T16:10:00Z",
    "created_at": "2026-03-02T11:40:00Z",
    "updated_at": "2026-03-06T16:10:00Z",
}
IRD_EXAMPLE = {
    "id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
    "reference": "IRD-2026-000042",
    "concern": "6c1e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    "status": "signed_off",
    "scheduled_for": "2026-03-02T11:00:00Z",
    "duration_minutes": 60,
    "held_at": "2026-03-02T11:02:00Z",
    "teleconference": {"dial_in": "0800 012 3456", "meeting_id": "481 516 2342", "pin": "7319"},
    "participating_agencies": [
        {"code": "health", "name": "NHS Grampian", "kind": "health"},
        {"code": "police", "name": "Police Scotland", "kind": "police"},
        {"code": "social-work", "name": "Moray Council Social Work", "kind": "social_work"},
    ],
    "decisions": [
        {
            "code": "joint_investigative_interview",
            "label": "Joint investigative interview (JII)",
            "rationale": "The child's disclosure needs a joint interview.",
        }
    ],
    "actions": [ACTION_EXAMPLE],
    "created_at": "2026-03-02T10:05:00Z",
    "updated_at": "2026-03-02T13:00:00Z",
}


def _ird_for(client, ird_id: UUID) -> Ird:
    """Out of scope and missing look the same (404); an out-of-scope attempt is audited."""
    ird = selectors.api_irds(client.agency).filter(pk=ird_id).first()
    if ird is None:
        if Ird.objects.filter(pk=ird_id).exists():
            audit.record(
                actor=client, action=audit.Action.DENIED, object_type="ird", object_id=str(ird_id)
            )
        raise Http404("No IRD found.")
    return ird


class IrdsApi(PartnerApiView):
    @extend_schema(
        operation_id="irds_list",
        summary="IRDs your agency is invited to, latest first",
        description="Status, time, teleconference details, the agencies taking part, the "
        "decisions once recorded and the actions your agency owns.",
        parameters=PAGE_PARAMETERS,
        responses={
            200: PartnerIrdPage,
            400: schema.BAD_QUERY,
            404: schema.NOT_FOUND,
            **schema.COMMON,
        },
        examples=[schema.page_example("irds", IRD_EXAMPLE)],
        tags=[TAG],
    )
    def get(self, request: Request) -> Response:
        page = page_of(request, selectors.api_irds(self.client.agency))
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
                object_type="ird",
                detail={**self.read_basis(), "via": "partner_api", "results": 0},
            )
        rows = [ird_data(ird, self.client.agency_id) for ird in page.items]
        return Response(page.envelope(represent(PartnerIrdOut, rows, many=True)))


class IrdDetailApi(PartnerApiView):
    @extend_schema(
        operation_id="irds_read",
        summary="Read an IRD your agency is invited to",
        parameters=[IRD_ID],
        responses={200: PartnerIrdOut, 404: schema.NOT_FOUND, **schema.COMMON},
        examples=[schema.example("ird", IRD_EXAMPLE)],
        tags=[TAG],
    )
    def get(self, request: Request, ird_id: UUID) -> Response:
        ird = _ird_for(self.client, ird_id)
        audit.record(
            actor=self.client,
            action=audit.Action.VIEW,
            subject=ird,
            detail={**self.read_basis(), "via": "partner_api"},
        )
        return Response(represent(PartnerIrdOut, ird_data(ird, self.client.agency_id)))


class IrdActionApi(PartnerApiView):
    @property
    def takes_json_body(self) -> bool:
        return self.request.method == "PATCH"

    def _action(self, ird_id: UUID, action_id: UUID) -> IrdAction:
        ird = _ird_for(self.client, ird_id)
        action = (
            IrdAction.objects.select_related("owner_agency", "owner")
            .filter(pk=action_id, ird=ird)
            .first()
        )
        if action is None:
            raise Http404("No action found.")
        if not access.agency_may_update_action(self.client.agency_id, action):
            audit.record(
                actor=self.client,
                action=audit.Action.DENIED,
                subject=action,
                object_type="irdaction",
                detail={**self.read_basis(), "via": "partner_api"},
            )
            raise NotPermitted("Only the agency that owns this action reads and updates it.")
        return action

    def _answer(self, action: IrdAction) -> Response:
        return Response(
            represent(IrdActionOut, action_data(action)), headers={"ETag": etag(action)}
        )

    @extend_schema(
        operation_id="irds_action_read",
        summary="Read an action your agency owns (with its ETag)",
        parameters=[IRD_ID, ACTION_ID],
        responses={
            200: OpenApiResponse(
                IrdActionOut, description="The action; its `ETag` header is its version"
            ),
            403: FORBIDDEN_ACTION,
            404: schema.NOT_FOUND,
            **{code: response for code, response in schema.COMMON.items() if code != 403},
        },
        examples=[schema.example("action", ACTION_EXAMPLE)],
        tags=[TAG],
    )
    def get(self, request: Request, ird_id: UUID, action_id: UUID) -> Response:
        action = self._action(ird_id, action_id)
        audit.record(
            actor=self.client,
            action=audit.Action.VIEW,
            subject=action,
            object_type="irdaction",
            detail={**self.read_basis(), "via": "partner_api", "ird": str(action.ird_id)},
        )
        return self._answer(action)

    @extend_schema(
        operation_id="irds_action_update",
        summary="Update an action your agency owns",
        description="Send `If-Match` with the ETag of your last read. A successful update "
        "answers the action with its new ETag. An action that is done or "
        "cancelled cannot be changed again.",
        parameters=[IRD_ID, ACTION_ID, IF_MATCH],
        request=IrdActionPatchIn,
        responses={
            200: OpenApiResponse(IrdActionOut, description="Updated; `ETag` is the new version"),
            400: BAD_ACTION_UPDATE,
            403: FORBIDDEN_ACTION,
            404: schema.NOT_FOUND,
            409: FINISHED_ACTION,
            412: STALE,
            413: schema.TOO_LARGE,
            415: schema.UNSUPPORTED,
            428: MISSING_PRECONDITION,
            **{code: response for code, response in schema.COMMON.items() if code != 403},
        },
        examples=[
            OpenApiExample(
                "done",
                request_only=True,
                value={"status": "done", "completion_note": "JII held on 6 March."},
            ),
            schema.example("updated", ACTION_EXAMPLE),
        ],
        tags=[TAG],
    )
    def patch(self, request: Request, ird_id: UUID, action_id: UUID) -> Response:
        action = self._action(ird_id, action_id)
        versions = _if_match_versions(request.META.get("HTTP_IF_MATCH", ""))
        if versions is None:
            return Response(
                {
                    "detail": f"Send If-Match with the action's ETag ({etag(action)} "
                    "now) so that no one else's update is overwritten."
                },
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        form = IrdActionPatchIn(data=request.data)
        form.is_valid(raise_exception=True)
        if action.version not in versions:
            return self._stale(action)
        try:
            action = services.action_update(
                action=action,
                by=self.client,
                status=form.validated_data.get("status", action.status),
                completion_note=form.validated_data.get("completion_note", ""),
                expected_version=action.version,
            )
        except ActionConflict:
            return self._stale(IrdAction.objects.get(pk=action.pk))
        return self._answer(action)

    def _stale(self, action: IrdAction) -> Response:
        return Response(
            {
                "detail": "The action was changed since the ETag you sent: read it "
                f"again (it is now {etag(action)}) and repeat your change "
                "if it is still needed."
            },
            status=status.HTTP_412_PRECONDITION_FAILED,
            headers={"ETag": etag(action)},
        )


urlpatterns = [
    path("api/v1/irds/", IrdsApi.as_view(), name="irds"),
    path("api/v1/irds/<uuid:ird_id>/", IrdDetailApi.as_view(), name="ird_detail"),
    path(
        "api/v1/irds/<uuid:ird_id>/actions/<uuid:action_id>/",
        IrdActionApi.as_view(),
        name="ird_action",
    ),
]


def require_a_change(result, generator, request, public):
    """drf-spectacular cannot state that an action's PATCH must send a body that changes
    something (no body is a 415, an empty one a 400): the schema says so with a required body
    and minProperties. A POSTPROCESSING_HOOK."""
    schemas = result.get("components", {}).get("schemas", {})
    if "PatchedIrdActionPatchInRequest" in schemas:
        schemas["PatchedIrdActionPatchInRequest"]["minProperties"] = 1
    for route, operations in result.get("paths", {}).items():
        if route.endswith("/actions/{action_id}/") and "patch" in operations:
            operations["patch"]["requestBody"]["required"] = True
    return result
