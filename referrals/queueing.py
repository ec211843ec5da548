"""Queueing a task without ever making a person wait for a broker that is down.

Every task the application queues is also recorded as work in the database (an unsent e-mail,
calendar message or webhook event, a due deadline, an approved disposal), and a periodic job
queues again what never reached the broker. So a failed publish loses nothing, and waiting for
the broker gains nothing: a publish is tried once, without Celery's retries (which held a
request ~0.6 s per task), and after a failure this process does not try again for BROKEN_FOR
seconds (a sweep of 90 alerts took 58 s with the broker down).
"""

import logging
import threading
import time

from django.db import transaction
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)
BROKEN_FOR = 30.0  # seconds
_lock = threading.Lock()
_down_until = 0.0


def enqueue(task, *args) -> bool:
    """Publish `task` with `args`; False when the broker is down (now or a moment ago), in
    which case the periodic job that looks for this kind of unsent work will queue it."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        task.apply_async(args=args, retry=False)
    except (KombuError, OSError):
        with _lock:
            _down_until = time.monotonic() + BROKEN_FOR
        logger.warning("broker unavailable: %s not queued; it will be queued again", task.name)
        return False
    return True


def on_commit(task, *args) -> None:
    """Queue once the current transaction commits (never for a rolled-back change)."""
    transaction.on_commit(lambda: enqueue(task, *args), robust=True)


def broker_recovered() -> None:
    """Forget a failure (tests; a health check that saw the broker answer)."""
    global _down_until
    with _lock:
        _down_until = 0.0
