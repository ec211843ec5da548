"""The live record: saves as the recorder types, revisions, the conflict case (a save based on
an out-of-date version is refused, nothing overwritten, the other person's text shown), the
watchers' live fragment, addenda after sign-off, circulation and the printable view."""

import re
import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from ird import services
from ird.errors import IrdRefused, SectionConflict
from ird.models import Circulation, Ird, RecordSection, Revision
from referrals.errors import NotPermitted
from referrals.models import AuditEntry, Notification, ShareRoute

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def section_url(ird, key="discussion"):
    return reverse("ird:section", args=[ird.pk, key])


def last_audit_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- Revisions and the conflict case --------------------------------------------------------


def test_every_save_is_a_revision_with_author_and_time(started_ird, recorder):
    first = services.section_save(
        ird=started_ird, key="discussion", text="Police shared.", by=recorder, based_on=0
    )
    second = services.section_save(
        ird=started_ird,
        key="discussion",
        text="Police shared. Health shared.",
        by=recorder,
        based_on=first.version,
    )

    revisions = list(Revision.objects.filter(ird=started_ird, key="discussion").order_by("version"))
    assert [(r.version, r.text, r.author) for r in revisions] == [
        (1, "Police shared.", recorder),
        (2, "Police shared. Health shared.", recorder),
    ]
    assert all(r.saved_at is not None for r in revisions)
    assert second.version == 2 and second.updated_by == recorder


def test_saving_the_same_text_again_adds_no_revision(started_ird, recorder):
    section = services.section_save(
        ird=started_ird, key="next_steps", text="Visit today.", by=recorder, based_on=0
    )
    again = services.section_save(
        ird=started_ird,
        key="next_steps",
        text="Visit today.",
        by=recorder,
        based_on=section.version,
    )
    assert again.version == section.version
    assert Revision.objects.filter(ird=started_ird, key="next_steps").count() == 1


def test_a_save_based_on_an_old_version_is_refused_and_overwrites_nothing(started_ird, recorder):
    # The recorder has the record open in two windows; both start from version 0.
    services.section_save(
        ird=started_ird, key="discussion", text="Written in window A.", by=recorder, based_on=0
    )

    with pytest.raises(SectionConflict) as conflict:
        services.section_save(
            ird=started_ird, key="discussion", text="Written in window B.", by=recorder, based_on=0
        )

    assert conflict.value.section.text == "Written in window A."
    assert "was not saved" in str(conflict.value)
    section = RecordSection.objects.get(ird=started_ird, key="discussion")
    assert (section.text, section.version) == ("Written in window A.", 1)
    assert Revision.objects.filter(ird=started_ird, key="discussion").count() == 1


def test_the_autosave_answers_a_fragment_and_the_next_version(client, started_ird, recorder):
    client.force_login(recorder)

    response = client.post(section_url(started_ird), {"text": "Typed live.", "version": 0}, **HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="status-discussion"' in page and "Last saved at" in page
    assert re.search(
        r'<input type="hidden" name="version" value="1" id="version-discussion" '
        r'hx-swap-oob="true">',
        page,
    )


def test_a_stale_autosave_gets_a_clear_message_with_the_other_text(client, started_ird, recorder):
    services.section_save(
        ird=started_ird, key="discussion", text="Their words.", by=recorder, based_on=0
    )
    client.force_login(recorder)

    response = client.post(section_url(started_ird), {"text": "My words.", "version": 0}, **HTMX)

    assert response.status_code == 409
    page = response.content.decode()
    assert "your text was not saved" in page
    assert "Their words." in page
    assert "Save my text over theirs" in page and "Use their text" in page
    assert RecordSection.objects.get(ird=started_ird, key="discussion").text == "Their words."

    # Saving over theirs knowingly (based on their version) works; both stay in the revisions.
    over = client.post(section_url(started_ird), {"text": "My words.", "version": 1}, **HTMX)
    assert over.status_code == 200
    assert list(
        Revision.objects.filter(ird=started_ird, key="discussion")
        .order_by("version")
        .values_list("text", flat=True)
    ) == ["Their words.", "My words."]


def test_without_javascript_a_conflict_shows_both_texts_on_the_page(client, started_ird, recorder):
    services.section_save(
        ird=started_ird, key="risk_and_need", text="Theirs.", by=recorder, based_on=0
    )
    client.force_login(recorder)

    response = client.post(
        section_url(started_ird, "risk_and_need"), {"text": "Mine.", "version": 0}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Theirs." in page and "Mine.</textarea>" in page
    assert page.startswith("<!DOCTYPE html>")


def test_a_save_without_javascript_goes_back_to_the_page(client, started_ird, recorder):
    client.force_login(recorder)
    response = client.post(section_url(started_ird), {"text": "Saved by button.", "version": 0})
    assert response.status_code == 302
    assert response["Location"].endswith("#section-discussion")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writes"
)
@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_from_the_same_version_one_wins(started_ird, recorder):
    barrier = threading.Barrier(2)
    outcomes = []

    def save(text):
        try:
            barrier.wait()
            services.section_save(
                ird=started_ird, key="discussion", text=text, by=recorder, based_on=0
            )
            outcomes.append("saved")
        except SectionConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(text,)) for text in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    assert RecordSection.objects.get(ird=started_ird, key="discussion").version == 1


# --- Watching -------------------------------------------------------------------------------


def test_watchers_listen_for_changes_instead_of_polling(client, started_ird, health_participant):
    client.force_login(health_participant)
    page = client.get(reverse("ird:record", args=[started_ird.pk])).content.decode()
    version = Ird.objects.get(pk=started_ird.pk).record_version
    live = reverse("ird:live", args=[started_ird.pk])
    assert f'data-ird-events="{live}?seen={version}"' in page
    assert "every 3s" not in page  # nothing polls
    # Health writes its own section of the record, and only that one.
    assert page.count("<textarea") == 1 and 'id="text-info_health"' in page


def test_the_recorder_gets_boxes_that_save_as_they_type(client, started_ird, recorder):
    client.force_login(recorder)
    page = client.get(reverse("ird:record", args=[started_ird.pk])).content.decode()
    assert page.count('hx-trigger="input changed delay:3s, blur"') == len(RecordSection.Key.values)
    assert 'hx-sync="closest form:queue last"' in page
    # The Content-Security-Policy allows no inline code or styles.
    assert "hx-on" not in page and "style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_the_signed_record_stops_polling_and_shows_no_boxes(client, signed_ird, recorder):
    client.force_login(recorder)
    page = client.get(reverse("ird:record", args=[signed_ird.pk])).content.decode()
    assert "<textarea" in page  # only the addendum form
    assert 'name="text"' not in page.split('id="addendum-text"')[0].split("Add an addendum")[0]
    assert "hx-trigger" not in page
    assert "read-only" in page


# --- Addenda, circulation, printing ---------------------------------------------------------


def test_after_sign_off_addenda_carry_author_time_and_reason(signed_ird, health_participant):
    addendum = services.addendum_add(
        ird=signed_ird, by=health_participant, reason="Medical result arrived.", text="No fracture."
    )
    assert addendum.author == health_participant and addendum.created_at is not None
    assert signed_ird.revisions.filter(key="addendum", author=health_participant).exists()
    with pytest.raises(IrdRefused):
        services.addendum_add(ird=signed_ird, by=health_participant, reason="", text="x")


def test_no_addendum_before_sign_off(concluded_ird, chair):
    with pytest.raises(NotPermitted):
        services.addendum_add(ird=concluded_ird, by=chair, reason="r", text="t")


def test_no_addendum_from_outside_the_ird(signed_ird, team_manager):
    with pytest.raises(NotPermitted):
        services.addendum_add(ird=signed_ird, by=team_manager, reason="r", text="t")


def test_circulating_notifies_participants_and_logs_every_copy(
    signed_ird, recorder, health_participant, django_capture_on_commit_callbacks, team_manager
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.record_circulate(
            ird=signed_ird,
            by=recorder,
            recipients=[health_participant],
            other_recipient="Named person, Elgin Academy",
            other_method="secure_email",
        )

    log = list(Circulation.objects.filter(ird=signed_ird).values_list("recipient_label", "method"))
    assert (str(health_participant), "application") in log
    assert ("Named person, Elgin Academy", "secure_email") in log
    assert Notification.objects.filter(
        recipient=health_participant, url=reverse("ird:print", args=[signed_ird.pk])
    ).exists()
    assert [m.to for m in mail.outbox] == [[health_participant.email]]
    child = signed_ird.referral.children.get()
    assert child.last_name not in mail.outbox[0].body  # no personal details by e-mail
    with pytest.raises(IrdRefused, match="only to the IRD's participants"):
        services.record_circulate(ird=signed_ird, by=recorder, recipients=[team_manager])


def test_the_printable_record_is_audited_as_an_export(client, signed_ird, health_participant):
    services.addendum_add(
        ird=signed_ird, by=health_participant, reason="Result.", text="No fracture."
    )
    client.force_login(health_participant)
    mark = last_audit_id()

    response = client.get(reverse("ird:print", args=[signed_ird.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "No fracture." in page and "data-ird-print" in page
    assert "ird/ird.css" in page
    assert list(AuditEntry.objects.filter(id__gt=mark).values_list("action", flat=True)) == [
        "export"
    ]


def test_revision_history_lists_each_save(client, started_ird, recorder, chair):
    services.section_save(
        ird=started_ird, key="discussion", text="First words.", by=recorder, based_on=0
    )
    client.force_login(chair)
    page = client.get(reverse("ird:revisions", args=[started_ird.pk])).content.decode()
    assert "First words." in page and recorder.get_full_name() in page


def test_each_circulated_copy_records_the_lawful_basis_in_force(
    client, signed_ird, recorder, health_participant
):
    """Issue 10: the route's basis as set in the admin when the record went, on the circulation
    log and the audit row; a later change of the route applies to later shares only."""
    services.record_circulate(ird=signed_ird, by=recorder, recipients=[health_participant])
    ShareRoute.objects.filter(route="ird_circulation").update(
        lawful_basis="legal_obligation", special_category_condition="art9_2f"
    )
    services.record_circulate(
        ird=signed_ird, by=recorder, recipients=[], other_recipient="Reporter", other_method="post"
    )

    log = list(
        Circulation.objects.filter(ird=signed_ird)
        .order_by("pk")
        .values_list("lawful_basis", "special_category_condition")
    )
    assert log == [("public_task", "art9_2g_sch1_18"), ("legal_obligation", "art9_2f")]
    rows = AuditEntry.objects.filter(object_id=str(signed_ird.pk), action="export").order_by("seq")
    assert [(r.detail["lawful_basis"], r.detail["condition"]) for r in rows] == log
    client.force_login(recorder)
    page = client.get(reverse("ird:detail", args=[signed_ird.pk])).content.decode()
    assert "Art 6(1)(e) public task" in page and "Art 6(1)(c) legal obligation" in page
