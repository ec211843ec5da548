"""OpenAPI documentation for the partner API (drf-spectacular): the bearer scheme, the common
error responses with examples, response headers, and the description partners read first."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from referrals.api import idempotency
from referrals.api.serializers import (
    MAX_ADULTS,
    MAX_CHILDREN,
    DuplicateOut,
    ErrorOut,
    ValidationErrorOut,
)

DESCRIPTION = """\
Police, health and other partner systems submit child welfare and protection concerns to the
council and read what became of them: status, the approved screening decision, IRD summary and
practice hub feedback.

**Authentication.** `Authorization: Bearer <token>`. A token belongs to one API client, which
belongs to one agency; it expires (90 days by default) and can be revoked. A client may hold
two tokens while it rotates. Missing, malformed, expired, revoked or unknown tokens get 401 with
`WWW-Authenticate: Bearer`; a disabled client gets 403. Too many failed token attempts from one
address (300 a minute by default) get 429 with `Retry-After`.

**Scope.** A client sees the concerns its own agency submitted. Anything else is 404, exactly
as if it did not exist.

**Formats.** JSON in and out (`Content-Type: application/json`; any other, or none with a body,
is 415). Identifiers are UUIDs; times are ISO 8601 *with* an offset (a time without one is a
400); dates are `YYYY-MM-DD`. Strings are JSON strings and booleans JSON booleans: no coercion.
Unknown fields in a request body are ignored. Bodies over 1 MiB get 413.

**Errors.** Every error is JSON with `detail`; a 400 for invalid input also has `errors`, which
names each invalid field by its path (`children[1].chi_number`) with messages.

**Limits.** 600 requests a minute per client by default (429 with `Retry-After` in seconds).
Lists are paginated with `page` and `page_size` (at most 100): `{"next", "previous", "results"}`.

**Idempotency.** `POST /api/v1/concerns/` needs an `Idempotency-Key` header (1 to 255 visible
ASCII characters). Keys are per client and kept at least 24 hours. A 400 stores nothing, so the
key can be reused with a corrected body. Otherwise the same key with an equivalent JSON body
returns the original status, body and `Location` with `Idempotent-Replayed: true` and creates
nothing; the same key with a different body is 422; the same key while the first request is
still being processed is 409. A new key with an `external_reference` the client already used is
409, naming the existing concern's `id`.

**Emergency measures.** `POST /api/v1/concerns/{concern_id}/emergency-measures/` records a
measure taken for one of the concern's children (police removal to a place of safety under
s.56, child protection, assessment and justice of the peace orders, exclusion orders, s.25
accommodation), with an `Idempotency-Key` as for concerns. Its times are checked against the
kind's statutory clock and a retired kind is refused: a 400 names the field, nothing is stored.
`GET` lists a concern's measures; `POST .../{measure_id}/reporter-told/` records that the
Children's Reporter was told.

**Events.** `concern.status_changed`, `concern.decision_approved` and `concern.feedback_given`
are POSTed to the client's webhook address (if the council set one), signed with the header
`Webhook-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, retried with
backoff; `GET /api/v1/events/?since=` lists them for a partner that missed some.

**IRDs.** A concern's `ird` summarises the inter-agency referral discussion about it that your
agency takes part in. `GET /api/v1/irds/` lists the IRDs your agency is invited to, with their
teleconference details, the decisions once recorded and the actions your agency owns. An action
is read with an `ETag` and updated with `PATCH` and `If-Match` (missing: 428; stale: 412); an
action another agency owns is 403.
"""


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "referrals.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API client token: `cwr_` and 76 hexadecimal digits.",
        }


def only_partner_api(endpoints):
    """The schema documents the partner API, not the schema and docs views themselves."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith("/api/v1/")
    ]


# The POSTs that create a record under an Idempotency-Key: 201 with Location, replayed.
CREATING_PATHS = {"/api/v1/concerns/", "/api/v1/concerns/{concern_id}/emergency-measures/"}


def finish_schema(result, generator, request, public):
    result["info"]["description"] = DESCRIPTION
    result["info"]["contact"] = {"name": "The council's children's services system team"}
    headers = {
        "401": {
            "WWW-Authenticate": {
                "description": '`Bearer realm="partner-api"`',
                "schema": {"type": "string"},
            }
        },
        "429": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
        "503": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    }
    _text_needs_a_character(result.get("components", {}).get("schemas", {}))
    # drf-spectacular does not carry a nested list serializer's length limits over.
    concern = result.get("components", {}).get("schemas", {}).get("ConcernInRequest")
    if concern is not None:
        concern["properties"]["children"].update(minItems=1, maxItems=MAX_CHILDREN)
        concern["properties"]["adults"].update(maxItems=MAX_ADULTS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            for code, extra in headers.items():
                if code in responses:
                    responses[code].setdefault("headers", {}).update(extra)
            if method == "post" and path in CREATING_PATHS:
                created = responses["201"].setdefault("headers", {})
                created["Location"] = {
                    "description": "The new record's address.",
                    "schema": {"type": "string", "format": "uri"},
                }
                # A concern's duplicate (409) is stored and replayed; a measure has none.
                for code in ("201", "409") if path == "/api/v1/concerns/" else ("201",):
                    responses[code].setdefault("headers", {})["Idempotent-Replayed"] = {
                        "description": "`true` when this is the stored answer to an earlier "
                        "request with the same key.",
                        "schema": {"type": "string", "enum": ["true"]},
                    }
    return result


def _text_needs_a_character(components: dict) -> None:
    """A required text field trims its spaces before it is checked, so "   " is refused as
    blank: the schema says so, where minLength 1 alone would admit it."""
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        for field in component.get("properties", {}).values():
            if (
                field.get("type") == "string"
                and field.get("minLength", 0) >= 1
                and not {"pattern", "format", "enum"} & field.keys()
            ):
                field["pattern"] = r"\S"


IDEMPOTENCY_KEY = OpenApiParameter(
    name=idempotency.HEADER,
    location=OpenApiParameter.HEADER,
    required=True,
    type=str,
    pattern=idempotency.KEY_PATTERN,
    description="1 to 255 visible ASCII characters, unique per record you create. Send it again, "
    "unchanged, when you retry.",
    examples=[
        OpenApiExample("uuid", summary="A UUID", value="3f1c2a8e-8a51-4d3e-9a0a-6f2a1c5b7d10")
    ],
)


def _error(description: str, example: str, serializer=ErrorOut) -> OpenApiResponse:
    return OpenApiResponse(
        response=serializer,
        description=description,
        examples=[OpenApiExample("error", summary=description, value={"detail": example})],
    )


UNAUTHORIZED = _error(
    "Missing, malformed, expired, revoked or unknown token",
    "The token has expired: ask for a new one.",
)
FORBIDDEN = _error(
    "The API client has been disabled",
    "This API client has been disabled: ask the council's administrator.",
)
NOT_FOUND = _error("No such record in the client's scope", "Not found.")
THROTTLED = _error("Too many requests", "Request was throttled. Expected available in 12 seconds.")
NOT_ACCEPTABLE = _error(
    "The Accept header asks for something other than JSON",
    "Could not satisfy the request Accept header.",
)
UNAVAILABLE = _error("Briefly unavailable", "The service is briefly unavailable: retry shortly.")
BAD_QUERY = OpenApiResponse(
    response=ValidationErrorOut,
    description="An unknown filter value or a malformed parameter",
    examples=[
        OpenApiExample(
            "unknown_status",
            summary="Unknown status",
            value={
                "detail": "The request has errors: see `errors`.",
                "errors": {"status": ['"pending" is not a valid choice.']},
            },
        )
    ],
)
INVALID_CONCERN = OpenApiResponse(
    response=ValidationErrorOut,
    description="Invalid input (nothing is stored; the Idempotency-Key may be reused), or a "
    "missing or malformed Idempotency-Key, or a body that is not valid JSON",
    examples=[
        OpenApiExample(
            "field_errors",
            summary="Field errors",
            value={
                "detail": "The request has errors: see `errors`.",
                "errors": {
                    "children[1].chi_number": [
                        "This CHI number's check digit is wrong: check it for a typing error."
                    ],
                    "categories": [
                        "Unknown concern category: hunger. See GET /api/v1/categories/ "
                        "for the codes."
                    ],
                    "immediate_risk": ["Must be true or false (a JSON boolean)."],
                    "occurred_at": [
                        "Enter a time in ISO 8601 with its offset, e.g. "
                        "2026-03-01T14:30:00Z or 2026-03-01T14:30:00+00:00."
                    ],
                },
            },
        ),
        OpenApiExample(
            "no_key",
            summary="No Idempotency-Key",
            value={
                "detail": "The Idempotency-Key header is required: a unique value for this "
                "concern, sent again unchanged when the request is retried."
            },
        ),
    ],
)
CONFLICT = OpenApiResponse(
    response=DuplicateOut,
    description="The external_reference was already used by this client (the body names the "
    "existing concern's id), or a request with the same Idempotency-Key is still "
    "being processed (no id; retry shortly)",
    examples=[
        OpenApiExample(
            "duplicate",
            summary="Duplicate external_reference",
            value={
                "detail": "A concern with external_reference 'IVPD-2026-0042' was already "
                "submitted by this client: 6c1e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6.",
                "id": "6c1e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
            },
        ),
        OpenApiExample(
            "in_flight",
            summary="Still processing",
            value={
                "detail": "A request with this Idempotency-Key is still being processed: retry "
                "shortly to get its result."
            },
        ),
    ],
)
INVALID_MEASURE = OpenApiResponse(
    response=ValidationErrorOut,
    description="Invalid input, a retired kind, or times outside the measure's statutory clock "
    "(nothing is stored; the Idempotency-Key may be reused); or a missing or malformed "
    "Idempotency-Key, or a body that is not valid JSON",
    examples=[
        OpenApiExample(
            "field_errors",
            summary="Field errors",
            value={
                "detail": "The request has errors: see `errors`.",
                "errors": {
                    "ends_at": [
                        "A Police removal to a place of safety (s.56) lasts at most 24 hours "
                        "from its start."
                    ],
                },
            },
        ),
        OpenApiExample(
            "retired_kind",
            summary="A retired kind",
            value={
                "detail": "The request has errors: see `errors`.",
                "errors": {
                    "kind": ["Exclusion order is not in use now: choose another kind of measure."]
                },
            },
        ),
    ],
)
IN_FLIGHT = _error(
    "A request with the same Idempotency-Key is still being processed",
    "A request with this Idempotency-Key is still being processed: retry shortly to get its "
    "result.",
)
NOT_NOTIFIED = OpenApiResponse(
    response=ValidationErrorOut,
    description="The measure is not one the Reporter is told of",
    examples=[
        OpenApiExample(
            "voluntary",
            summary="A voluntary s.25 accommodation",
            value={
                "detail": "The request has errors: see `errors`.",
                "errors": {
                    "kind": ["A voluntary s.25 accommodation is not notified to the Reporter."]
                },
            },
        )
    ],
)
TOO_LARGE = _error("The body is larger than 1 MiB", "The request body is larger than 1 MiB.")
UNSUPPORTED = _error(
    "The body is not JSON (or has no Content-Type)",
    'Unsupported media type "text/plain" in request.',
)
KEY_REUSED = _error(
    "The Idempotency-Key was used before with a different body",
    "This Idempotency-Key was already used with a different request body. Use "
    "a new key for a new concern.",
)

COMMON = {401: UNAUTHORIZED, 403: FORBIDDEN, 406: NOT_ACCEPTABLE, 429: THROTTLED, 503: UNAVAILABLE}


# --- Examples of success answers ------------------------------------------------------------

CONCERN_EXAMPLE = {
    "id": "6c1e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    "reference": "CW-2026-000123",
    "external_reference": "IVPD-2026-0042",
    "status": "decided",
    "received_at": "2026-03-01T21:42:10Z",
    "created_at": "2026-03-01T21:42:10Z",
    "updated_at": "2026-03-02T10:05:00Z",
    "referrer": {
        "name": "PC Anne Watt",
        "role": "Police constable",
        "phone": "01343 000000",
        "email": "anne.watt@example.org",
    },
    "occurred_at": "2026-03-01T21:30:00Z",
    "categories": ["neglect", "domestic_abuse"],
    "summary": "Called to a disturbance; two children alone at home, no food in the house.",
    "immediate_risk": True,
    "children": [
        {
            "id": "0f9a7c52-3c1d-4b8e-9f0a-5e6d7c8b9a01",
            "first_name": "Ava",
            "last_name": "Smith",
            "date_of_birth": "2018-03-15",
            "unborn": False,
            "expected_date_of_delivery": None,
            "chi_number": "1503181014",
            "sex": "female",
            "address": {
                "line1": "1 High Street",
                "line2": "",
                "town": "Elgin",
                "postcode": "IV30 1AB",
            },
            "school": "Elgin Academy",
        }
    ],
    "adults": [
        {"first_name": "Jo", "last_name": "Smith", "date_of_birth": None, "relationship": "parent"}
    ],
    "consent": {"sought": False, "given": None, "reason_not_sought": "Child at risk of harm"},
    "sharing_basis": "safeguarding",
    "decision": {
        "code": "child_protection",
        "label": "Child protection concern: IRD needed",
        "approved_at": "2026-03-02T10:05:00Z",
    },
    "ird": None,
    "feedback_count": 1,
}
FEEDBACK_EXAMPLE = {
    "id": "0158f2d0-683a-4c91-b990-7f5b22c15d12",
    "given_at": "2026-03-04T09:00:00Z",
    "scores": [
        {"criterion": "identifiers", "label": "Full identifiers", "score": 5},
        {"criterion": "child_views", "label": "The child's own words", "score": 3},
    ],
    "supported_by": ["Clear account of what was seen and heard"],
    "barriers": ["Named person not identified"],
    "comments": "A clear, timely referral.",
    "acknowledged_at": "2026-03-04T11:30:00Z",
    "acknowledged_by": "Police Scotland iVPD",
}
EVENT_EXAMPLE = {
    "id": "b7e0c1d2-3f4a-4b5c-8d9e-0f1a2b3c4d5e",
    "type": "concern.decision_approved",
    "created_at": "2026-03-02T10:05:00Z",
    "data": {
        "concern": {
            key: CONCERN_EXAMPLE[key]
            for key in ("id", "reference", "external_reference", "status", "decision", "updated_at")
        }
    },
}


MEASURE_EXAMPLE = {
    "id": "9d2b6c1e-4f3a-4e5b-9c8d-7a6b5c4d3e2f",
    "concern": CONCERN_EXAMPLE["id"],
    "child": "2a7c9e1b-5d3f-4a6b-8c0d-1e2f3a4b5c6d",
    "kind": "police_removal",
    "kind_label": "Police removal to a place of safety (s.56)",
    "granted_at": "2026-03-01T22:10:00Z",
    "starts_at": "2026-03-01T22:10:00Z",
    "ends_at": "2026-03-02T22:10:00Z",
    "reason": "Two children alone at home overnight; parents not traced.",
    "reporter_to_be_told": True,
    "reporter_told_at": "2026-03-02T08:30:00Z",
    "reporter_told_by": "Police Scotland iVPD",
    "recorded_at": "2026-03-01T22:25:00Z",
    "recorded_by": {"name": "Police Scotland iVPD", "agency": "police"},
}


def example(name: str, value, status_code: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status_code])


def page_example(name: str, item: dict, next_page: str | None = None) -> OpenApiExample:
    return example(name, {"next": next_page, "previous": None, "results": [item]})
