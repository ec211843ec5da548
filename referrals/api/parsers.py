"""JSON in, strictly: UTF-8, no NaN or Infinity, at most 1 MiB, nesting within reason.

DRF reads the body straight from the request stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE
check, so the size limit is applied here as well."""

import json

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

MAX_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than 1 MiB."
    default_code = "too_large"


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 1024 * 1024


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _depth(value, limit: int) -> int:
    """Nesting depth, iteratively (a deeply nested body must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_bytes(raw: bytes):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise exceptions.ParseError("The request body is not UTF-8.") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        message = str(error) if isinstance(error, json.JSONDecodeError) else "invalid JSON"
        raise exceptions.ParseError(f"The request body is not valid JSON: {message}.") from None
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise exceptions.ParseError("The request body is nested too deeply.")
    return data


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge()
        return parse_json_bytes(raw)
