"""One log line per request and per Celery task, and the request id carried into the tasks a
request queues.

A line names the route pattern ("referrals/<uuid:referral_id>/"), never the path or its query
string (a search puts a child's name there), with the status, duration, query count and who
asked (a staff id or an API client id): no name, date of birth, CHI number or free text. The
request id is the one in the X-Request-ID response header and on the request's audit rows;
a task queued by the request logs and audits under it too.
"""

import logging
import time

from celery import signals
from django.db import connection

from referrals import metrics
from referrals.request_context import RequestContext, current

requests_log = logging.getLogger("referrals.requests")
tasks_log = logging.getLogger("referrals.tasks")
HEADER = "request_id"


class RequestLogMiddleware:
    """Just inside RequestContextMiddleware, so that the line carries the request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        line = {
            "method": request.method,
            "route": (match.route or match.view_name) if match else "-",
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "queries": queries[0],
            **_who(request),
        }
        text = "%(method)s %(route)s %(status)s %(duration_ms)sms %(queries)s queries"
        requests_log.info(text, line, extra=line)
        return response


def _who(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    if getattr(user, "is_api_client", False):
        return {"api_client": str(user.pk)}
    return {"user_id": user.pk}


# --- Celery ------------------------------------------------------------------------------------

_started: dict[str, tuple[float, object]] = {}


@signals.before_task_publish.connect(dispatch_uid="referrals.request_id_to_task")
def _carry_request_id(headers=None, **kwargs) -> None:
    context = current.get()
    if context is not None and headers is not None:
        headers.setdefault(HEADER, context.request_id)


@signals.task_prerun.connect(dispatch_uid="referrals.task_started")
def _task_started(task_id=None, task=None, **kwargs) -> None:
    request_id = getattr(task.request, HEADER, None) or (
        current.get().request_id if current.get() else f"task-{task_id}"
    )
    token = current.set(RequestContext(request_id, None, f"task:{task.name}"[:200]))
    _started[task_id] = (time.perf_counter(), token)


@signals.task_postrun.connect(dispatch_uid="referrals.task_ended")
def _task_ended(task_id=None, task=None, state=None, **kwargs) -> None:
    started, token = _started.pop(task_id, (None, None))
    seconds = time.perf_counter() - started if started is not None else None
    line = {
        "task": task.name,
        "task_id": task_id,
        "state": state,
        "duration_ms": round(seconds * 1000, 1) if seconds is not None else None,
    }
    tasks_log.info("%(task)s %(state)s %(duration_ms)sms", line, extra=line)
    if seconds is not None:
        metrics.task_ran(task.name, state, seconds)
    if token is not None:
        try:
            current.reset(token)
        except ValueError:  # reset from another context (a pool that switched): harmless
            current.set(None)
