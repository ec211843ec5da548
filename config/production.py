"""Production settings: the base settings, hardened. Every secret comes from the environment.

Use with DJANGO_SETTINGS_MODULE=config.production behind a TLS-terminating proxy that strips
any client-sent X-Forwarded-Proto header (SECURE_PROXY_SSL_HEADER trusts it).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from config.settings import *  # noqa: F403

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("demo-only"):
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of 50 or more characters.")

DEBUG = False

# Log lines as JSON for the log collector, unless LOG_FORMAT=plain (config.settings, LOGGING).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"  # noqa: F405

# Behind a proxy every caller would share its address unless we know how many proxies to look
# past: lockouts and rate limits would then count everyone together. No default in production.
if not os.environ.get("TRUSTED_PROXY_COUNT", "").isdigit():
    raise ImproperlyConfigured(
        "Set TRUSTED_PROXY_COUNT to the number of proxies in front of the application "
        "(0 when clients connect to it directly)."
    )
# Links in e-mails and calendar invitations must lead to the real site, not to a default.
SITE_URL = os.environ.get("SITE_URL", "")
if not SITE_URL.startswith("https://") or "127.0.0.1" in SITE_URL or "localhost" in SITE_URL:
    raise ImproperlyConfigured(
        "Set SITE_URL to the address people reach the site at, for example "
        "https://referrals.example.gov.uk (links in e-mails and calendar files use it)."
    )
# Passkeys belong to the real site's domain (the base settings read SITE_URL too; this is
# the checked value).
OTP_WEBAUTHN_RP_ID, OTP_WEBAUTHN_ALLOWED_ORIGINS = passkey_relying_party(SITE_URL)  # noqa: F405
DEMO_FEATURES = False  # no known authenticator keys, no demo_code
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)  # noqa: F405
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
