"""The live IRD record: everyone invited sees each saved change within a second, pushed to them
as server-sent events rather than polled for by every box of every watcher.

One notifier thread per web process asks the database, every POLL_SECONDS, for the record
version of each IRD someone in this process is watching: one indexed query whatever the number
of watchers. When a version moves, the notifier renders the record once and wakes every stream
of that IRD, which all send the same payload. A stream touches the database only when it opens
(access check and its audit row), so twenty watchers cost twenty idle threads, not twenty
queries a second. It needs nothing but the database: the demo on SQLite works the same as
production on PostgreSQL. The web server must serve requests from threads (gunicorn gthread).
"""

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from django.db import DatabaseError, close_old_connections
from django.template.loader import render_to_string
from django.utils import timezone

from ird import selectors
from ird.models import Ird

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how stale a watcher's record may be, at most, plus the render
HEARTBEAT_SECONDS = 15  # a comment line keeps proxies from closing an idle stream
STREAM_SECONDS = 55  # then the browser reconnects and access is checked (and audited) again


@dataclass(frozen=True)
class Update:
    """The record of one IRD at one version, rendered once for every watcher."""

    version: int
    status: str
    payload: str  # the event's JSON data

    @property
    def ended(self) -> bool:
        """Nothing more will change live: the stream says so and closes."""
        return self.status in {Ird.Status.SIGNED_OFF, Ird.Status.CANCELLED}


def render_update(ird_id: UUID) -> Update | None:
    """The record as everyone invited reads it, with each section's text and version so that
    an editor's box can follow other people's saves. None when the IRD no longer exists."""
    ird = selectors.ird_page(Ird.objects.filter(pk=ird_id)).first()
    if ird is None:
        return None
    parts = selectors.record_parts(ird)
    sections = {
        section.key: {
            "version": section.version,
            "text": section.text,
            "by": section.updated_by.get_full_name() if section.updated_by else "",
            "at": timezone.localtime(section.updated_at).strftime("%H:%M:%S")
            if section.updated_at
            else "",
        }
        for section in parts["sections"]
    }
    payload = {
        "version": ird.record_version,
        "status": ird.status,
        "status_label": ird.get_status_display(),
        "sections": sections,
        "body": render_to_string("ird/_record_body.html", parts),
    }
    return Update(version=ird.record_version, status=ird.status, payload=json.dumps(payload))


class Notifier:
    """Wakes the streams of an IRD when its record version moves (one per process)."""

    def __init__(
        self, render: Callable[[UUID], Update | None] = render_update, *, background: bool = True
    ) -> None:
        self._render = render
        self._background = background  # tests call poll() themselves
        self._changed = threading.Condition()
        self._watchers: Counter = Counter()
        self._latest: dict[UUID, Update] = {}
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, ird_id: UUID) -> Iterator[None]:
        with self._changed:
            self._watchers[ird_id] += 1
            if self._background and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="ird-live", daemon=True)
                self._thread.start()
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._changed:
                self._watchers[ird_id] -= 1
                if self._watchers[ird_id] <= 0:
                    del self._watchers[ird_id]
                    self._latest.pop(ird_id, None)

    def poll(self) -> None:
        """One round: read the versions of the watched IRDs and render those that moved."""
        with self._changed:
            watched = list(self._watchers)
        if not watched:
            return
        versions = dict(Ird.objects.filter(pk__in=watched).values_list("pk", "record_version"))
        fresh = {}
        for ird_id in watched:
            latest = self._latest.get(ird_id)
            if ird_id in versions and (latest is None or latest.version != versions[ird_id]):
                update = self._render(ird_id)
                if update is not None:
                    fresh[ird_id] = update
        if fresh:
            with self._changed:
                self._latest.update(fresh)
                self._changed.notify_all()

    def wait(self, ird_id: UUID, seen: int | None, timeout: float) -> Update | None:
        """The record once its version differs from `seen`, or None after `timeout`."""

        def moved() -> bool:
            latest = self._latest.get(ird_id)
            return latest is not None and latest.version != seen

        with self._changed:
            if self._changed.wait_for(moved, timeout=timeout):
                return self._latest[ird_id]
        return None

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._watchers:
                    self._thread = None
                    return
            try:
                close_old_connections()  # a connection the database dropped is reopened
                self.poll()
            except DatabaseError:
                logger.warning("The live IRD record could not read the database", exc_info=True)
            except Exception:  # noqa: BLE001 - the thread must outlive one bad render
                logger.exception("The live IRD record failed to render")
            time.sleep(POLL_SECONDS)


notifier = Notifier()


def stream(ird_id: UUID, seen: int | None, *, clock=time.monotonic) -> Iterator[str]:
    """The server-sent events of one watcher: the record whenever its version moves from what
    they have seen, a heartbeat while nothing does, and an end after STREAM_SECONDS or once the
    record is signed off or cancelled."""
    yield f"retry: {int(POLL_SECONDS * 5 * 1000)}\n\n"
    stop_at = clock() + STREAM_SECONDS
    with notifier.watching(ird_id):
        while (left := stop_at - clock()) > 0:
            update = notifier.wait(ird_id, seen, timeout=min(HEARTBEAT_SECONDS, left))
            if update is None:
                yield ": still here\n\n"
                continue
            seen = update.version
            yield f"id: {update.version}\nevent: record\ndata: {update.payload}\n\n"
            if update.ended:
                yield "event: end\ndata: {}\n\n"
                return
