"""What the IRD record must hold (DOMAIN.md implication 5) and the strict sign-off rule: police,
health and social work attended (a reason for absence does not stand in for them), the analysis
of risk and need and the reasons for the decisions written, how the IRD was held and the
chronology considered recorded, and the chair confirming."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ird import services
from ird.errors import IrdRefused, SignOffRefused
from ird.models import Attendance, Ird, RecordSection
from referrals.errors import NotPermitted
from referrals.models import Agency, AuditEntry
from tests.ird.conftest import complete_record

pytestmark = pytest.mark.django_db


def test_a_new_ird_has_the_views_and_parental_responsibility_sections(requested_ird):
    keys = set(requested_ird.sections.values_list("key", flat=True))
    assert {"child_views", "parents_views", "parental_responsibility"} <= keys


def test_the_recorder_writes_the_childs_and_the_parents_views(started_ird, recorder):
    for key in ("child_views", "parents_views", "parental_responsibility"):
        services.section_save(
            ird=started_ird, key=key, text=f"Text for {key}", by=recorder, based_on=0
        )
    texts = dict(started_ird.sections.values_list("key", "text"))
    assert texts["child_views"] == "Text for child_views"
    assert texts["parents_views"] == "Text for parents_views"


def test_attendance_carries_agency_role_and_seniority(started_ird, recorder):
    attendance = services.attendance_add(
        ird=started_ird,
        by=recorder,
        agency=Agency.objects.get(kind="police"),
        name="DS Grant",
        role="Detective sergeant",
        seniority=Attendance.Seniority.FIRST_LINE_MANAGER,
        joined_at=timezone.now(),
    )
    assert attendance.seniority == "first_line_manager"
    assert "First-line manager" in started_ird.revisions.filter(key="attendance").first().text


def test_an_unknown_seniority_is_refused(started_ird, recorder):
    with pytest.raises(IrdRefused, match="seniority"):
        services.attendance_add(
            ird=started_ird,
            by=recorder,
            agency=Agency.objects.get(kind="police"),
            name="DS Grant",
            role="",
            seniority="chief",
            joined_at=timezone.now(),
        )
    assert not started_ird.attendance.exists()


def test_the_recorder_records_the_mode_and_the_chronology_considered(started_ird, recorder):
    ird = services.record_details_save(
        ird=started_ird, by=recorder, mode="video", chronology_considered=True
    )
    assert ird.mode == Ird.Mode.VIDEO
    assert ird.chronology_considered_by == recorder and ird.chronology_considered_at
    assert AuditEntry.objects.filter(object_id=str(ird.pk), detail__mode="video").exists()


def test_only_the_recorder_records_the_mode(started_ird, chair):
    with pytest.raises(NotPermitted):
        services.record_details_save(
            ird=started_ird, by=chair, mode="video", chronology_considered=True
        )


def test_an_unknown_mode_is_refused(started_ird, recorder):
    with pytest.raises(IrdRefused, match="how the IRD was held"):
        services.record_details_save(
            ird=started_ird, by=recorder, mode="carrier_pigeon", chronology_considered=True
        )
    started_ird.refresh_from_db()
    assert started_ird.mode == ""


def test_a_recorded_absence_reason_does_not_satisfy_sign_off(
    started_ird, recorder, chair, social_worker
):
    complete_record(started_ird, recorder=recorder, lead=social_worker, skip_kinds={"police"})
    services.absence_reason_record(
        ird=started_ird,
        by=recorder,
        agency_kind="police",
        reason="Officer called to an emergency; briefed after.",
    )
    ird = services.ird_conclude(ird=started_ird, by=recorder)

    with pytest.raises(SignOffRefused) as refusal:
        services.ird_sign_off(ird=ird, by=chair, confirmed=True)

    assert refusal.value.problems == [
        "No one from police is recorded as attending: police, health and social work must "
        "take part in an IRD."
    ]
    ird.refresh_from_db()
    assert ird.status == Ird.Status.CONCLUDED


@pytest.mark.parametrize(
    ("missing", "problem"),
    [
        ("risk_and_need", "Write the analysis of risk and need."),
        ("decision_reasons", "Write the reasons for the decisions."),
        ("mode", "Record how the IRD was held"),
        ("chronology", "Confirm the integrated chronology was considered."),
    ],
)
def test_sign_off_needs_the_analysis_the_reasons_the_mode_and_the_chronology(
    started_ird, recorder, chair, social_worker, missing, problem
):
    complete_record(started_ird, recorder=recorder, lead=social_worker, skip={missing})
    ird = services.ird_conclude(ird=started_ird, by=recorder)

    with pytest.raises(SignOffRefused) as refusal:
        services.ird_sign_off(ird=ird, by=chair, confirmed=True)

    assert len(refusal.value.problems) == 1 and refusal.value.problems[0].startswith(problem)


def test_whitespace_is_not_an_analysis(started_ird, recorder, chair, social_worker):
    complete_record(started_ird, recorder=recorder, lead=social_worker)
    section = started_ird.sections.get(key="risk_and_need")
    services.section_save(
        ird=started_ird, key="risk_and_need", text="  \n ", by=recorder, based_on=section.version
    )
    ird = services.ird_conclude(ird=started_ird, by=recorder)
    with pytest.raises(SignOffRefused):
        services.ird_sign_off(ird=ird, by=chair, confirmed=True)


def test_sign_off_asks_for_confirmation(concluded_ird, chair):
    with pytest.raises(SignOffRefused) as refusal:
        services.ird_sign_off(ird=concluded_ird, by=chair)
    assert refusal.value.problems == [
        "Confirm that the record is accurate and complete before signing it off."
    ]
    concluded_ird.refresh_from_db()
    assert concluded_ird.status == Ird.Status.CONCLUDED


def test_the_sign_off_page_needs_the_confirmation_box(client, concluded_ird, chair):
    client.force_login(chair)
    url = reverse("ird:sign_off", args=[concluded_ird.pk])
    page = client.get(reverse("ird:record", args=[concluded_ird.pk])).content.decode()
    assert 'name="confirm"' in page

    refused = client.post(url, {"version": concluded_ird.version})

    assert refused.status_code == 400
    assert "Confirm that the record is accurate and complete" in refused.content.decode()
    assert Ird.objects.get(pk=concluded_ird.pk).status == Ird.Status.CONCLUDED

    signed = client.post(url, {"version": concluded_ird.version, "confirm": "on"})

    assert signed.status_code == 302
    assert Ird.objects.get(pk=concluded_ird.pk).status == Ird.Status.SIGNED_OFF


def test_the_details_form_saves_mode_and_chronology(client, started_ird, recorder):
    client.force_login(recorder)
    response = client.post(
        reverse("ird:details", args=[started_ird.pk]),
        {"details-mode": "in_person", "details-chronology_considered": "on"},
    )
    assert response.status_code == 302
    started_ird.refresh_from_db()
    assert started_ird.mode == "in_person" and started_ird.chronology_considered_at


def test_the_details_form_refuses_a_bad_mode_and_saves_nothing(client, started_ird, recorder):
    client.force_login(recorder)
    response = client.post(reverse("ird:details", args=[started_ird.pk]), {"details-mode": "fax"})
    assert response.status_code == 400
    assert "Choose how the IRD was held" in response.content.decode()
    started_ird.refresh_from_db()
    assert started_ird.mode == ""


def test_the_details_form_is_for_the_recorder_only(client, started_ird, chair):
    client.force_login(chair)
    response = client.post(reverse("ird:details", args=[started_ird.pk]), {"details-mode": "video"})
    assert response.status_code == 403
    started_ird.refresh_from_db()
    assert started_ird.mode == ""


def test_the_record_shows_mode_seniority_and_the_views(client, signed_ird, chair):
    client.force_login(chair)
    page = client.get(reverse("ird:record", args=[signed_ird.pk])).content.decode()
    assert "Teleconference" in page
    assert "Practitioner" in page
    assert "The child&#x27;s views" in page and "The parents&#x27; views" in page
    assert "Adults with parental responsibility" in page
    assert "Integrated chronology considered" in page


def test_existing_irds_would_get_the_new_sections(started_ird):
    """The data migration's function adds only what is missing."""
    import importlib

    migration = importlib.import_module("ird.migrations.0003_record_content")
    RecordSection.objects.filter(ird=started_ird, key="child_views").delete()
    from django.apps import apps

    migration.add_new_sections(apps, None)
    migration.add_new_sections(apps, None)
    assert started_ird.sections.filter(key="child_views").count() == 1
    assert started_ird.sections.count() == len(RecordSection.Key.values)


def test_each_absent_agency_is_listed_despite_its_reason(
    started_ird, recorder, chair, social_worker
):
    complete_record(
        started_ird, recorder=recorder, lead=social_worker, skip_kinds={"health", "social_work"}
    )
    for kind in ("health", "social_work"):
        services.absence_reason_record(
            ird=started_ird, by=recorder, agency_kind=kind, reason="Not available."
        )
    ird = services.ird_conclude(ird=started_ird, by=recorder)
    with pytest.raises(SignOffRefused) as refusal:
        services.ird_sign_off(ird=ird, by=chair, confirmed=True)
    assert [problem.split(" is recorded")[0] for problem in refusal.value.problems] == [
        "No one from health",
        "No one from social work",
    ]
