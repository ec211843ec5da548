"""Request context for audit and logs, session lifetime limits and no-store caching."""

import time
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from referrals import audit
from referrals.request_context import RequestContext, current
from referrals.views import ops


def _client_ip(request) -> str | None:
    # Only trust X-Forwarded-For as far as the configured number of proxies in front of us.
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives each request an id (echoed in X-Request-ID) that audit rows and log lines carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        token = current.set(
            RequestContext(request.request_id, _client_ip(request), request.path[:200])
        )
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


# How often a signed-in session's idle expiry is pushed forward: saving the session on every
# request cost three statements a page; a minute's slack only ever shortens the idle limit.
SESSION_SLIDE_SECONDS = 60


class SessionLifetimeMiddleware:
    """Ends a session ten hours after sign-in however active it is, and slides its idle expiry
    (SESSION_COOKIE_AGE from its last save) forward at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault("signed_in_at", now)
            if now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if now - request.session.get("active_at", 0) >= SESSION_SLIDE_SECONDS:
                request.session["active_at"] = now  # saved, with a new expiry, as modified
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages about children must not linger in browser or proxy caches."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response


class DeniedAccessAuditMiddleware:
    """Each refused attempt (403) by a signed-in person leaves one audit row, like the 404s
    that access.py records for records outside their scope."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PermissionDenied) or not request.user.is_authenticated:
            return None
        match = request.resolver_match
        kwargs = match.kwargs if match else {}
        object_type, object_id = "page", match.url_name if match else ""
        # The record the URL names (referral_id, person_id, ird_id...): its kind and id.
        for name, value in kwargs.items():
            if name.endswith("_id"):
                object_type, object_id = name.removesuffix("_id"), str(value)
                break
        audit.record(
            actor=request.user,
            action=audit.Action.DENIED,
            object_type=object_type,
            object_id=object_id or "",
            detail={"method": request.method},
        )
        return None


class SecondFactorMiddleware:
    """No page, API session or admin page before the second factor: a signed-in person whose
    session is not yet verified (django-otp's OTPMiddleware, before this) is sent to enter
    their code, or to enrol an app on a first sign-in. API calls with a session get 403 JSON;
    partner systems' token calls are not sessions and are not concerned."""

    OPEN = ("/login/", "/logout/", "/mfa/", "/healthz", "/readyz", "/feedback/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith((*self.OPEN, settings.STATIC_URL))
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Sign in with your second factor first."}, status=403
                )
            return redirect(
                f"{reverse('mfa_verify')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)


class BreakGlassMiddleware:
    """A restricted record (referrals/restrictions.py) opens only after the break-glass page:
    the access check raises BreakGlassRequired wherever the record is loaded, and this turns it
    into a visit to that page, coming back afterwards."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from referrals.restrictions import BreakGlassRequired  # noqa: PLC0415 - models ready

        if not isinstance(exception, BreakGlassRequired):
            return None
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('break_glass', args=[exception.person_id])}?{query}")


class OutageAwareSessionMiddleware(SessionMiddleware):
    """Django answers a session it could not save with 400 (SessionInterrupted), meant for a
    session deleted by another request. When the save failed because the database is down,
    the answer is the outage's: 503 with Retry-After, so the user and the proxy try again."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted:
            if ops.is_outage(DatabaseError("session save failed")):
                return ops.outage_response(request)
            raise
