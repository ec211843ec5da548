"""One exception handler for the partner API: every error is JSON with a `detail` message.

* DomainError subclasses -> their status (400, 403, 409, 503) and message;
* validation errors -> 400 with `errors`, each invalid field named by its path
  (`children[1].chi_number`);
* not found (and out of scope) -> 404; 401 carries `WWW-Authenticate: Bearer`; 429 carries
  `Retry-After` in seconds; a body over 1 MiB -> 413;
* a database outage -> 503 with `Retry-After`; anything else unexpected -> a generic 500 naming
  the request id, never a traceback (and logged).
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from referrals.api import idempotency
from referrals.api.errors import DuplicateConcern
from referrals.api.parsers import RequestTooLarge
from referrals.errors import DomainError

logger = logging.getLogger(__name__)
NON_FIELD = "non_field_errors"


def flatten_errors(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error shape -> {"children[1].chi_number": ["..."]}."""
    flat: dict[str, list[str]] = {}

    def walk(node, where: str):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == NON_FIELD:
                    walk(value, where)
                elif isinstance(key, int):  # a list's errors, by index
                    walk(value, f"{where}[{key}]")
                else:
                    walk(value, f"{where}.{key}" if where else str(key))
        elif isinstance(node, list):
            if all(not isinstance(item, dict | list) for item in node):
                flat.setdefault(where or "body", []).extend(str(item) for item in node)
            else:
                for index, item in enumerate(node):
                    if item:
                        walk(item, f"{where}[{index}]")
        else:
            flat.setdefault(where or "body", []).append(str(node))

    walk(detail, path)
    return flat


def _error(status_code: int, detail: str, headers: dict | None = None, **extra) -> Response:
    if status_code == status.HTTP_400_BAD_REQUEST:
        # Every 400 names what was wrong, so a client handles them all one way.
        extra.setdefault("errors", {"body": [detail]})
    return Response({"detail": detail, **extra}, status=status_code, headers=headers)


def partner_exception_handler(exc, context):
    if isinstance(exc, DuplicateConcern):
        return _error(exc.status_code, str(exc), id=str(exc.concern_id))
    if isinstance(exc, DomainError):
        headers = {"Retry-After": "60"} if exc.status_code == 503 else None
        return _error(exc.status_code, str(exc), headers)
    if isinstance(exc, idempotency.KeyMissing):
        return _error(
            status.HTTP_400_BAD_REQUEST, str(exc), errors={idempotency.HEADER: [str(exc)]}
        )
    if isinstance(exc, idempotency.KeyMismatch):
        return _error(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "This Idempotency-Key was already used with a different request body. "
            "Use a new key for a new concern.",
        )
    if isinstance(exc, idempotency.KeyInFlight | idempotency.KeyLost):
        return _error(
            status.HTTP_409_CONFLICT,
            "A request with this Idempotency-Key is still being processed: retry "
            "shortly to get its result.",
            {"Retry-After": "1"},
        )
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    if isinstance(exc, exceptions.ValidationError):
        return _error(
            status.HTTP_400_BAD_REQUEST,
            "The request has errors: see `errors`.",
            errors=flatten_errors(exc.detail),
        )
    if isinstance(exc, Http404 | exceptions.NotFound):
        return _error(status.HTTP_404_NOT_FOUND, "Not found.")
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ParseError):
        return _error(status.HTTP_400_BAD_REQUEST, str(exc.detail))
    if isinstance(exc, exceptions.APIException):
        response = drf_exception_handler(exc, context)
        if response is not None and not isinstance(response.data, dict):
            response.data = {"detail": str(exc.detail)}
        return response
    if isinstance(exc, OperationalError):
        logger.warning("partner API: database unavailable: %s", type(exc).__name__)
        return _error(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "The service is briefly unavailable: retry shortly.",
            {"Retry-After": "10"},
        )
    request = context.get("request")
    request_id = getattr(getattr(request, "_request", None), "request_id", "")
    logger.exception("partner API: unexpected error")
    return _error(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        f"Something went wrong on our side (request {request_id}). It has been "
        "logged; retry later or quote the request id to the council.",
        request_id=request_id,
    )
