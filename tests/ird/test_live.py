"""The live IRD record: each invited agency writes its own "information shared by" section while
the recorder writes the rest, and everyone invited is sent each saved change (server-sent
events) without polling (issue 12)."""

import json

import pytest
from django.urls import reverse

from ird import live, services
from ird.errors import SectionConflict
from ird.models import Ird
from referrals.errors import NotPermitted
from referrals.models import AuditEntry

# --- Who writes which section -------------------------------------------------------------


def test_each_participant_writes_their_own_agency_s_section(started_ird, chair, recorder):
    # The chair here is a police officer.
    section = services.section_save(
        ird=started_ird, key="info_police", text="Two call-outs in May.", by=chair, based_on=0
    )

    assert section.text == "Two call-outs in May." and section.updated_by == chair
    with pytest.raises(NotPermitted):
        services.section_save(
            ird=started_ird, key="discussion", text="Not mine to write.", by=chair, based_on=0
        )


def test_another_agency_s_section_is_refused(started_ird, health_participant):
    with pytest.raises(NotPermitted):
        services.section_save(
            ird=started_ird, key="info_police", text="x", by=health_participant, based_on=0
        )


def test_a_participant_and_the_recorder_writing_the_same_section_conflict_as_before(
    started_ird, chair, recorder
):
    services.section_save(
        ird=started_ird, key="info_police", text="From police.", by=chair, based_on=0
    )

    with pytest.raises(SectionConflict) as conflict:
        services.section_save(
            ird=started_ird, key="info_police", text="From the recorder.", by=recorder, based_on=0
        )
    assert conflict.value.section.text == "From police."


def test_nobody_writes_before_the_ird_starts(scheduled_ird, chair):
    with pytest.raises(Exception) as refused:
        services.section_save(ird=scheduled_ird, key="info_police", text="x", by=chair, based_on=0)
    assert "opens when the IRD starts" in str(refused.value)


def test_the_page_gives_a_participant_a_box_for_their_section_only(client, started_ird, chair):
    client.force_login(chair)

    page = client.get(reverse("ird:record", args=[started_ird.pk])).content.decode()

    assert page.count("<textarea") == 1 and 'id="text-info_police"' in page
    assert "Your agency&#x27;s information" in page or "Your agency's information" in page


def test_a_participant_posts_their_section_and_not_another(client, started_ird, chair):
    client.force_login(chair)
    url = reverse("ird:section", args=[started_ird.pk, "info_police"])

    saved = client.post(url, {"text": "Known to police.", "version": 0}, HTTP_HX_REQUEST="true")
    refused = client.post(
        reverse("ird:section", args=[started_ird.pk, "discussion"]),
        {"text": "x", "version": 0},
        HTTP_HX_REQUEST="true",
    )

    assert saved.status_code == 200
    assert refused.status_code == 403
    assert started_ird.sections.get(key="info_police").text == "Known to police."
    assert started_ird.sections.get(key="discussion").text == ""


# --- The notifier -------------------------------------------------------------------------


class Renders:
    """A stand-in renderer that counts its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, ird_id):
        self.calls.append(ird_id)
        version = Ird.objects.get(pk=ird_id).record_version
        return live.Update(version=version, status="in_progress", payload=json.dumps(version))


def test_one_render_per_change_whatever_the_number_of_watchers(started_ird, chair):
    renders = Renders()
    notifier = live.Notifier(renders, background=False)
    watchers = [notifier.watching(started_ird.pk) for _ in range(20)]
    for watcher in watchers:
        watcher.__enter__()

    notifier.poll()
    notifier.poll()  # nothing moved: nothing rendered
    first = notifier.wait(started_ird.pk, None, timeout=0)
    services.section_save(ird=started_ird, key="info_police", text="x", by=chair, based_on=0)
    notifier.poll()

    assert len(renders.calls) == 2
    assert notifier.wait(started_ird.pk, first.version, timeout=0).version == first.version + 1
    assert notifier.wait(started_ird.pk, first.version + 1, timeout=0) is None  # nothing new
    for watcher in watchers:
        watcher.__exit__(None, None, None)


def test_the_rendered_record_carries_each_section_and_the_body(started_ird, chair):
    services.section_save(
        ird=started_ird, key="info_police", text="<b>Two call-outs</b>", by=chair, based_on=0
    )

    update = live.render_update(started_ird.pk)
    payload = json.loads(update.payload)

    assert payload["version"] == Ird.objects.get(pk=started_ird.pk).record_version
    assert payload["sections"]["info_police"]["text"] == "<b>Two call-outs</b>"
    assert payload["sections"]["info_police"]["version"] == 1
    assert payload["sections"]["info_police"]["by"] == chair.get_full_name()
    assert "&lt;b&gt;Two call-outs&lt;/b&gt;" in payload["body"]  # escaped in the page
    assert "\n" not in update.payload  # one line of event data


# --- The stream ---------------------------------------------------------------------------


@pytest.fixture
def manual_notifier(monkeypatch):
    notifier = live.Notifier(background=False)
    monkeypatch.setattr(live, "notifier", notifier)
    return notifier


def _events(chunks) -> list[dict]:
    found = []
    for chunk in chunks:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        fields = dict(line.split(": ", 1) for line in text.strip().splitlines() if ": " in line)
        if fields.get("event") == "record":
            found.append({"id": int(fields["id"]), **json.loads(fields["data"])})
    return found


def test_a_watcher_is_sent_the_record_then_each_saved_change(
    client, started_ird, chair, health_participant, manual_notifier
):
    client.force_login(health_participant)
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()

    response = client.get(reverse("ird:live", args=[started_ird.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-store"  # as every page of child data
    opened = AuditEntry.objects.filter(id__gt=mark)
    assert list(opened.values_list("action", flat=True)) == ["view"]  # one audited read
    stream = iter(response.streaming_content)
    assert next(stream).decode().startswith("retry:")
    with live.notifier.watching(started_ird.pk):
        manual_notifier.poll()
        [first] = _events([next(stream)])
        services.section_save(
            ird=started_ird, key="info_police", text="Seen at 10:02.", by=chair, based_on=0
        )
        manual_notifier.poll()
        [second] = _events([next(stream)])

    assert second["id"] == first["id"] + 1
    assert second["sections"]["info_police"]["text"] == "Seen at 10:02."
    assert "Seen at 10:02." in second["body"]
    response.close()


def test_a_watcher_who_has_the_latest_version_is_sent_nothing_until_it_moves(
    started_ird, chair, manual_notifier, monkeypatch
):
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0)
    monkeypatch.setattr(live, "STREAM_SECONDS", 0.01)
    current = Ird.objects.get(pk=started_ird.pk).record_version
    with live.notifier.watching(started_ird.pk):
        manual_notifier.poll()
        chunks = list(live.stream(started_ird.pk, current))

    assert _events(chunks) == []
    assert any(chunk.startswith(":") for chunk in chunks)  # heartbeats only


def test_the_stream_ends_when_the_record_is_signed_off(signed_ird, manual_notifier):
    with live.notifier.watching(signed_ird.pk):
        manual_notifier.poll()
        chunks = list(live.stream(signed_ird.pk, None))

    assert _events(chunks)[0]["status"] == "signed_off"
    assert chunks[-1].startswith("event: end")


def test_last_event_id_is_the_version_the_browser_has(
    client, started_ird, health_participant, manual_notifier, monkeypatch
):
    seen = []
    monkeypatch.setattr(live, "stream", lambda ird_id, version: seen.append(version) or iter(()))
    client.force_login(health_participant)

    client.get(reverse("ird:live", args=[started_ird.pk]), HTTP_LAST_EVENT_ID="7")
    client.get(reverse("ird:live", args=[started_ird.pk]), {"seen": "\u00b9"})
    client.get(reverse("ird:live", args=[started_ird.pk]), {"seen": "9" * 5000})

    assert seen == [7, None, None]  # a Unicode digit, or more than int() reads, is no version
