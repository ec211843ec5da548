"""Health checks for load balancers and orchestrators (no login, no personal data)."""

import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("readyz: database did not answer")
        return False


def _broker_answers() -> bool:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure to reach the broker means "not ready"
        logger.warning("readyz: broker did not answer")
        return False


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _database_answers(), "broker": _broker_answers()}
    ready = all(checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: "ok" if ok else "failed" for name, ok in checks.items()},
    }
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = "10"
    return response


def is_outage(error: BaseException | None) -> bool:
    """A database error that means the database is down or restarting, not a fault of ours:
    a connection error, or any database error when the database no longer answers (a query
    cut off while a page rendered surfaces as a plain DatabaseError)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DatabaseError) and not _database_answers()


def outage_response(request) -> HttpResponse:
    """503 with Retry-After, in JSON for the API, with the request id for the service desk."""
    request_id = getattr(request, "request_id", "")
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": "The service is briefly unavailable. Try again in a minute.",
                "request_id": request_id,
            },
            status=503,
        )
    else:
        response = HttpResponse(
            loader.get_template("503.html").render({"request_id": request_id}), status=503
        )
    response["Retry-After"] = "10"
    return response


def server_error(request):
    """The 500 handler. While the database is down or restarting the answer is 503 with
    Retry-After instead, so that clients and load balancers retry; either way the body is
    generic (no traceback, no SQL) and carries the request id for the service desk."""
    error = sys.exc_info()[1]
    request_id = getattr(request, "request_id", "")
    if is_outage(error):
        logger.warning("database unavailable: %s", type(error).__name__)
        return outage_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on our side.", "request_id": request_id}, status=500
        )
    return HttpResponse(
        loader.get_template("500.html").render({"request_id": request_id}), status=500
    )
