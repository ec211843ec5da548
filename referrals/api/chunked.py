"""A request body sent chunked (Transfer-Encoding: chunked, no Content-Length) reaches Django
with a length of 0, so it would be read as empty and the concern lost. For the partner API this
middleware reads it (the server has already undone the chunking), up to the API's body limit:
more than that answers 413, as a body with a Content-Length over the limit does."""

from io import BytesIO

from django.http import JsonResponse

from referrals.api.parsers import max_body_bytes

PREFIX = "/api/"


class ChunkedBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if (
            request.path.startswith(PREFIX)
            and "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
            and not meta.get("CONTENT_LENGTH")
        ):
            limit = max_body_bytes()
            body = meta["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return JsonResponse(
                    {"detail": f"The request body is larger than {limit} bytes."}, status=413
                )
            # As if it had come with a Content-Length: Django and DRF read it as usual.
            meta["CONTENT_LENGTH"] = str(len(body))
            request._stream = BytesIO(body)
            request._read_started = False
        return self.get_response(request)
