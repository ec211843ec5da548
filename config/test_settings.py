"""Settings for the test suite: the base settings with fast hashing and captured e-mail.

DATABASE_URL and CELERY_BROKER_URL, when set (CI sets them), point the tests at PostgreSQL and
a real broker; otherwise they run on the embedded default.
"""

import os

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The console shows warnings only; every line at INFO and above, as production would write it
# (JSON), goes to a file that tests/log_privacy.py searches for the children's details the run
# created: no name or CHI number may reach a log.
TEST_RUN_LOG = VAR_DIR / f"test-run-{os.getpid()}.log"  # noqa: F405
LOGGING["root"]["level"] = "INFO"  # noqa: F405
LOGGING["handlers"]["console"]["level"] = "WARNING"  # noqa: F405
LOGGING["handlers"]["test_run"] = {  # noqa: F405
    "class": "logging.FileHandler",
    "filename": str(TEST_RUN_LOG),
    "mode": "w",
    "formatter": "json",
    "filters": ["request_id", "no_4xx_traceback"],
    "level": "INFO",
}
LOGGING["root"]["handlers"] = ["console", "test_run"]  # noqa: F405
WEBHOOKS_ALLOW_HTTP_LOOPBACK = True  # the webhook tests receive on 127.0.0.1
# Tasks queued by code under test run in-process; the worker tests turn this off for the
# worker processes they start.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)  # noqa: F405
# One test database per test run, so that runs side by side never share it. On SQLite a file,
# not memory: the Celery worker tests start worker processes that must open it too.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
    }
else:
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"  # noqa: F405
    }

# The deadline tests reason in elapsed hours at any time of day; the quiet-hours tests
# (tests/referrals/test_escalation_ladder.py) set working hours themselves.
REMINDER_HOURS = None
