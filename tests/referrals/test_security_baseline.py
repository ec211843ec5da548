"""The security baseline every response and session must meet (RELIABILITY.md G5, G7-G9, G13):
headers, CSRF, login lockout, session lifetime, logout, production settings, safe failure."""

import datetime
import importlib
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import timezone

from referrals.models import Referral
from tests.conftest import SignedInClient
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

LEAK_MARKER = "leak-marker-7f3c"


def _explode(request):
    raise RuntimeError(f"{LEAK_MARKER}: SELECT * FROM referrals_person")  # noqa: S608


# Test-only URLconf (used with ROOT_URLCONF=__name__): a view that fails.
urlpatterns = [path("explode/", _explode)]


def assert_security_headers(response):
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert len(response["X-Request-ID"]) >= 16


def signed_in(user) -> Client:
    client = SignedInClient()
    client.force_login(user)
    return client


# --- Headers ------------------------------------------------------------------------------


def test_html_page_has_security_headers(social_worker):
    response = signed_in(social_worker).get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert_security_headers(response)


def test_login_page_has_security_headers(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("url", ["/no-such-page/", f"/referrals/{uuid.uuid4()}/"])
def test_not_found_has_security_headers(social_worker, url):
    response = signed_in(social_worker).get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert_security_headers(response)


def test_forbidden_page_has_security_headers(police_participant):
    response = signed_in(police_participant).get("/referrals/new/")
    assert response.status_code == 403
    assert_security_headers(response)


def test_healthz_has_security_headers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert_security_headers(response)


def test_each_response_gets_its_own_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second


# --- CSRF ---------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused(social_worker, password):
    client = SignedInClient(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": social_worker.username, "password": password})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_with_csrf_token_is_accepted(social_worker, password):
    """The control for the test above: the refusal is CSRF, not something else."""
    client = SignedInClient(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/login/",
        {"username": social_worker.username, "password": password, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(social_worker.pk)


def test_intake_form_without_csrf_token_is_refused(social_worker):
    client = SignedInClient(enforce_csrf_checks=True)
    client.force_login(social_worker)
    response = client.post("/referrals/new/", {"action": "continue", "referrer_name": "Anne"})
    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_logout_without_csrf_token_is_refused(social_worker):
    client = SignedInClient(enforce_csrf_checks=True)
    client.force_login(social_worker)
    assert client.post("/logout/").status_code == 403
    assert client.get("/").status_code == 200


# --- Login lockout (django-axes) ----------------------------------------------------------


def _sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_five_failures_lock_the_username_even_with_the_right_password(social_worker, password):
    client = Client()
    for attempt in range(4):
        response = _sign_in(client, social_worker.username, f"wrong-password-{attempt}")
        assert response.status_code == 200  # the form again, with an error
    _sign_in(client, social_worker.username, "wrong-password-4")

    response = _sign_in(client, social_worker.username, password)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_leaves_other_usernames_alone(social_worker, team_manager, password):
    client = Client()
    for attempt in range(6):
        _sign_in(client, social_worker.username, f"wrong-password-{attempt}")

    response = _sign_in(Client(), team_manager.username, password)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_fewer_than_five_failures_do_not_lock(social_worker, password):
    client = Client()
    for attempt in range(3):
        _sign_in(client, social_worker.username, f"wrong-password-{attempt}")
    assert _sign_in(client, social_worker.username, password).status_code == 302


# --- Sessions -----------------------------------------------------------------------------


def test_idle_timeout_is_thirty_minutes_or_less_and_slides():
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    # Slid by SessionLifetimeMiddleware, at most once a minute (below).
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_an_idle_session_expires_on_the_server(social_worker):
    client = signed_in(social_worker)
    assert client.get("/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # Each request pushes the expiry forward by the idle limit...
    assert session.expire_date <= timezone.now() + datetime.timedelta(minutes=30, seconds=5)
    # ...so a session untouched for longer than that is gone.
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_idle_expiry_slides_at_most_once_a_minute_and_never_past_the_limit(social_worker):
    """Issue 14: saving the session on every request cost three statements a page. A request
    within a minute of the last slide writes nothing; the next one pushes the expiry forward."""
    client = signed_in(social_worker)
    client.get("/")
    key = client.session.session_key
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    Session.objects.filter(pk=key).update(expire_date=earlier + datetime.timedelta(minutes=30))

    with CaptureQueriesContext(connection) as within_the_minute:
        assert client.get("/").status_code == 200
    assert not [q for q in within_the_minute if "UPDATE" in q["sql"] and "session" in q["sql"]]
    assert Session.objects.get(pk=key).expire_date == earlier + datetime.timedelta(minutes=30)

    session = client.session
    session["active_at"] -= 61
    session.save()
    Session.objects.filter(pk=key).update(expire_date=earlier + datetime.timedelta(minutes=30))
    assert client.get("/").status_code == 200
    expires = Session.objects.get(pk=key).expire_date
    assert expires > earlier + datetime.timedelta(minutes=30)
    assert expires <= timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_session_cookie_is_http_only_and_same_site(social_worker, password):
    response = _sign_in(Client(), social_worker.username, password)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def _sign_in_hours_ago(client, hours):
    session = client.session
    session["signed_in_at"] = int(time.time() - hours * 3600)
    session.save()


def test_session_ends_ten_hours_after_sign_in_however_active(social_worker):
    client = signed_in(social_worker)
    assert client.get("/").status_code == 200
    _sign_in_hours_ago(client, 11)

    response = client.get("/search/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still signed out


def test_session_within_ten_hours_carries_on(social_worker):
    client = signed_in(social_worker)
    client.get("/")
    _sign_in_hours_ago(client, 9)
    assert client.get("/").status_code == 200


def test_logout_is_post_only(social_worker):
    client = signed_in(social_worker)
    assert client.get("/logout/").status_code == 405
    assert client.get("/").status_code == 200  # GET did not sign out


def test_logout_ends_the_server_session(social_worker):
    client = signed_in(social_worker)
    session_key = client.session.session_key

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get("/").status_code == 302


def test_sign_in_issues_a_new_session_key(social_worker, password):
    client = Client()
    session = client.session
    session["before"] = "yes"
    session.save()
    before = session.session_key

    _sign_in(client, social_worker.username, password)

    assert client.session.session_key != before


def test_inactive_account_cannot_sign_in(password):
    staff = StaffFactory(is_active=False)
    client = Client()
    response = _sign_in(client, staff.username, password)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --- Production settings ------------------------------------------------------------------


def _production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DEBUG", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.production",
            "SECRET_KEY": "x9!Qv" * 12 + "abcd",  # 64 characters, not the demo key
            "ALLOWED_HOSTS": "example.org",
            "TRUSTED_PROXY_COUNT": "1",
            "SITE_URL": "https://example.org",
        }
    )
    env.update(overrides)
    return env


def test_production_settings_pass_check_deploy():
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def import_production_settings(monkeypatch):
    """Imports config.production afresh (it reads the environment when imported) and leaves
    no copy behind for other tests. One proxy in front, unless a test says otherwise."""
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "1")
    monkeypatch.setenv("SITE_URL", "https://example.org")
    sys.modules.pop("config.production", None)
    yield lambda: importlib.import_module("config.production")
    sys.modules.pop("config.production", None)


@pytest.mark.parametrize(
    "secret_key",
    [
        None,
        "",
        "too-short",
        "demo-only-insecure-key-change-me-0123456789abcdef",
        "demo-only-insecure-key-change-me-0123456789abcdef-padded-to-64ch",
    ],
    ids=["missing", "empty", "short", "demo", "demo-padded"],
)
def test_production_settings_refuse_a_missing_or_demo_secret_key(
    monkeypatch, import_production_settings, secret_key
):
    if secret_key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret_key)

    with pytest.raises(ImproperlyConfigured):
        import_production_settings()


def test_production_refuses_to_start_without_the_trusted_proxy_count(
    monkeypatch, import_production_settings
):
    # Unset, every caller behind the proxy would share the proxy's address (one client's failed
    # tokens or sign-ins would count against everyone): production must be told.
    monkeypatch.setenv("SECRET_KEY", _production_env()["SECRET_KEY"])
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)

    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_COUNT"):
        import_production_settings()


def test_production_settings_harden_cookies_and_transport(monkeypatch, import_production_settings):
    monkeypatch.setenv("SECRET_KEY", _production_env()["SECRET_KEY"])

    production = import_production_settings()

    assert production.DEBUG is False
    assert production.SESSION_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_NAME.startswith("__Host-")
    assert production.SECURE_HSTS_SECONDS >= 31536000
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS is True


# --- Safe failure -------------------------------------------------------------------------


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_server_error_shows_no_traceback():
    client = Client()
    client.raise_request_exception = False

    response = client.get("/explode/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "Sorry, there is a problem with the service" in body
    for leak in (
        LEAK_MARKER,
        "Traceback",
        "RuntimeError",
        "SELECT",
        "referrals_person",
        'File "',
        settings.SECRET_KEY,
    ):
        assert leak not in body
    assert_security_headers(response)


def test_a_database_outage_is_503_with_retry_after_not_500(client, social_worker, monkeypatch):
    from django.db import OperationalError

    from referrals import selectors

    def database_down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    client.force_login(social_worker)
    monkeypatch.setattr(selectors, "home_lists", database_down)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "server closed" not in response.content.decode()


def test_a_database_outage_inside_middleware_is_503_too(client, social_worker, monkeypatch):
    """The session is read by middleware, before any view: the 500 handler still says 503."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError

    client.force_login(social_worker)

    def database_down(self):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(SessionStore, "load", database_down)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "could not connect" not in response.content.decode()
    api = client.get("/api/v1/concerns/")
    assert api.status_code in {401, 503}  # the API authenticates by token, not session


@pytest.mark.parametrize("site_url", [None, "", "http://127.0.0.1:8000", "http://example.org"])
def test_production_settings_refuse_a_missing_or_local_site_url(
    monkeypatch, import_production_settings, site_url
):
    """Issue 12 defect 3: links in e-mails and calendar files pointed at 127.0.0.1:8000."""
    monkeypatch.setenv("SECRET_KEY", "x9!Qv" * 12 + "abcd")
    if site_url is None:
        monkeypatch.delenv("SITE_URL", raising=False)
    else:
        monkeypatch.setenv("SITE_URL", site_url)

    with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
        import_production_settings()


def test_make_run_gives_every_process_the_site_address_of_its_port():
    """honcho gives each process its own PORT (web 8123, worker 8223...): the worker's e-mails
    must still link to the web port."""
    result = subprocess.run(  # noqa: S603 - fixed arguments
        ["make", "-n", "run", "PORT=8123"],  # noqa: S607 - make from PATH
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8123}" in result.stdout, result.stdout


def test_a_database_error_while_a_page_renders_is_503_in_an_outage(
    client, social_worker, monkeypatch
):
    """Issue 15 item 6: a query failing inside a template (the connection lost mid-render)
    raised a plain DatabaseError, which the 500 handler did not take for an outage."""
    from django.db import DatabaseError

    from referrals import selectors
    from referrals.views import ops

    def lost(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    client.force_login(social_worker)
    monkeypatch.setattr(selectors, "home_lists", lost)
    monkeypatch.setattr(ops, "_database_answers", lambda: False)
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"


def _due_to_slide(client) -> None:
    """The next request slides the session's idle expiry, so it saves the session."""
    session = client.session
    session["active_at"] = 0
    session.save()


def test_a_session_save_interrupted_by_an_outage_is_503_not_400(client, social_worker, monkeypatch):
    """Issue 15 item 6: Django turns a failed session update into SessionInterrupted (400)."""
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.backends.db import SessionStore

    from referrals.views import ops

    client.force_login(social_worker)
    _due_to_slide(client)

    def database_down(self, must_create=False):
        raise UpdateError

    monkeypatch.setattr(SessionStore, "save", database_down)
    monkeypatch.setattr(ops, "_database_answers", lambda: False)
    client.raise_request_exception = False

    response = client.post("/notifications/", {"show": "all"})

    assert response.status_code == 503
    assert response["Retry-After"] == "10"


def test_a_session_deleted_by_another_request_is_still_400(client, social_worker, monkeypatch):
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.backends.db import SessionStore

    client.force_login(social_worker)
    _due_to_slide(client)

    def deleted(self, must_create=False):
        raise UpdateError

    monkeypatch.setattr(SessionStore, "save", deleted)
    client.raise_request_exception = False

    assert client.post("/notifications/", {"show": "all"}).status_code == 400
