"""The current request's id and address, for audit rows and log lines.

Kept free of Django imports: the logging configuration loads it before apps are ready."""

import logging
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip_address: str | None
    route: str


current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def current_request() -> RequestContext | None:
    return current.get()


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = current.get()
        record.request_id = context.request_id if context else "-"
        return True


class ClientErrorWithoutTraceback(logging.Filter):
    """Django logs a refused request (4xx) with its exception's traceback, whose message may
    name people ("ask Carolyn Brown to reallocate it"). The request line already says what was
    refused: the traceback is dropped. Server errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and record.levelno < logging.ERROR:
            record.exc_info, record.exc_text = None, None
        return True
