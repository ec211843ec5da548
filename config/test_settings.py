"""Settings for the test suite: the base settings with fast hashing and captured e-mail.

DATABASE_URL and CELERY_BROKER_URL, when set (CI sets them), point the tests at PostgreSQL and
a real broker; otherwise they run on the embedded default.
"""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
