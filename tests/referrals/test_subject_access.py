"""Subject access requests (issue 10): opened with who asks and on whose behalf, due in one
calendar month on the timescales engine, every record gathered, each item disclosed, redacted or
withheld with a reason, approved by a second officer, and a pack whose redactions are burnt in."""

import datetime
import io
import zipfile

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from referrals import disclosure_pack, governance
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    Deadline,
    DisclosureItem,
    Role,
    SubjectAccessRequest,
)
from referrals.services import intake, subject_access
from referrals.working_days import LONDON
from tests.conftest import SignedInClient
from tests.factories import StaffFactory, make_referral

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 1, 31, 10, tzinfo=LONDON)
THIRD_PARTY = "Gordon Strachan-Reid"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def officer(social_work):
    return StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)


@pytest.fixture
def second_officer(social_work):
    return StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)


@pytest.fixture
def child(duty_team, social_worker):
    referral = make_referral(
        team=duty_team,
        received_by=social_worker,
        received_at=NOW - datetime.timedelta(hours=2),
        children=[
            intake.PersonFields(
                first_name="Eilidh",
                last_name="Munro",
                date_of_birth=datetime.date(2013, 6, 1),
                chi_number="0106131234",
            )
        ],
    )
    referral.summary = f"Eilidh says her mother's partner {THIRD_PARTY} shouts at her at night."
    referral.save(update_fields=["summary"])
    return referral.child_links.get().person


def opened(person, officer, **overrides) -> SubjectAccessRequest:
    values = {
        "requester_name": "Eilidh Munro",
        "capacity": SubjectAccessRequest.Capacity.SELF,
        "received_on": datetime.date(2027, 1, 31),
        "identity_evidence": "Seen in person with her Young Scot card",
    }
    values.update(overrides)
    return subject_access.open_request(person=person, by=officer, **values)


def decide_all(sar, officer) -> None:
    """The referral redacted for the third party; everything else disclosed."""
    for item in sar.items.all():
        if item.source_type == "referral":
            subject_access.decide_item(
                item=item,
                by=officer,
                decision="redact",
                reason="third_party",
                redactions=[THIRD_PARTY],
            )
        else:
            subject_access.decide_item(item=item, by=officer, decision="disclose")


def approved(child, officer, second_officer) -> SubjectAccessRequest:
    sar = opened(child, officer)
    decide_all(sar, officer)
    subject_access.submit(request=sar, by=officer)
    return subject_access.approve(request=sar, by=second_officer)


# --- Opening ------------------------------------------------------------------------------


def test_a_request_is_due_one_calendar_month_after_receipt_on_the_timescales_engine(child, officer):
    sar = opened(child, officer)

    assert sar.due_on == datetime.date(2027, 2, 28)  # 31 January + a month: February's end
    deadline = Deadline.objects.get(subject_type="subjectaccessrequest", subject_id=str(sar.pk))
    assert deadline.timescale.kind == "subject_access" and deadline.owner == officer
    assert deadline.due_at.astimezone(LONDON).date() == datetime.date(2027, 2, 28)
    assert AuditEntry.objects.filter(
        object_type="subjectaccessrequest", object_id=str(sar.pk), action="create"
    ).exists()


def test_every_record_about_the_person_is_gathered(child, officer, duty_team, social_worker):
    ChronologyEntry.objects.create(
        person=child, occurred_at=NOW, kind=ChronologyEntry.Kind.NOTE, summary="Seen at school."
    )
    second = make_referral(
        team=duty_team,
        received_by=social_worker,
        children=[child],
        received_at=NOW - datetime.timedelta(hours=1),
    )

    sar = opened(child, officer)

    items = list(sar.items.all())
    assert [i.source_type for i in items] == ["person", "referral", "referral", "chronologyentry"]
    assert "0106131234" in items[0].text and "Eilidh Munro" in items[0].text
    assert THIRD_PARTY in items[1].text
    assert items[2].source_id == str(second.pk)
    assert {i.decision for i in items} == {DisclosureItem.Decision.UNDECIDED}


def test_a_child_of_twelve_or_over_is_presumed_able_to_ask_for_themself(child, officer):
    """DOMAIN.md: at 12 a child is presumed to have the capacity; a parent asking for her
    must record her view."""
    with pytest.raises(ValidationError) as refused:
        opened(child, officer, requester_name="Ann Munro", capacity="parent")
    assert "childs_view" in refused.value.message_dict

    sar = opened(
        child,
        officer,
        requester_name="Ann Munro",
        capacity="parent",
        childs_view="Eilidh agrees her mother may ask; signed consent on file.",
    )
    assert (sar.requester_name, sar.capacity) == ("Ann Munro", "parent")


def test_identity_and_a_real_date_are_needed(child, officer):
    with pytest.raises(ValidationError) as refused:
        opened(child, officer, identity_evidence=" ", received_on=datetime.date(2027, 2, 1))
    assert set(refused.value.message_dict) == {"identity_evidence", "received_on"}


def test_only_information_governance_handles_requests(child, social_worker, team_manager):
    for user in (social_worker, team_manager):
        with pytest.raises(PermissionDenied):
            opened(child, user)


# --- Decisions, extension and approval ---------------------------------------------------


def test_a_redaction_needs_a_reason_and_a_passage_that_is_there(child, officer):
    sar = opened(child, officer)
    referral_item = sar.items.get(source_type="referral")

    with pytest.raises(ValidationError, match="reason"):
        subject_access.decide_item(
            item=referral_item, by=officer, decision="redact", redactions=[THIRD_PARTY]
        )
    with pytest.raises(ValidationError, match="Not in this item"):
        subject_access.decide_item(
            item=referral_item,
            by=officer,
            decision="redact",
            reason="third_party",
            redactions=["Someone Else"],
        )
    with pytest.raises(ValidationError, match="reason"):
        subject_access.decide_item(item=referral_item, by=officer, decision="withhold")


def test_the_month_is_extended_once_by_up_to_two_months_before_it_is_up(child, officer):
    sar = opened(child, officer)
    with pytest.raises(ValidationError):
        subject_access.extend(request=sar, by=officer, months=3, reason="Many records")
    with pytest.raises(ValidationError):
        subject_access.extend(request=sar, by=officer, months=2, reason=" ")

    sar = subject_access.extend(request=sar, by=officer, months=2, reason="Many records")

    assert sar.extended_to == datetime.date(2027, 4, 28)
    deadline = Deadline.objects.get(subject_id=str(sar.pk))
    assert deadline.due_at.astimezone(LONDON).date() == datetime.date(2027, 4, 28)
    with pytest.raises(ValidationError, match="already"):
        subject_access.extend(request=sar, by=officer, months=1, reason="More")


def test_a_late_extension_is_refused(child, officer):
    sar = opened(child, officer)
    with time_machine.travel(datetime.datetime(2027, 3, 1, 9, tzinfo=LONDON)):
        with pytest.raises(ValidationError, match="month is up"):
            subject_access.extend(request=sar, by=officer, months=1, reason="Late")


def test_every_item_is_decided_and_a_second_officer_approves(child, officer, second_officer):
    sar = opened(child, officer)
    with pytest.raises(ValidationError, match="Decide every item"):
        subject_access.submit(request=sar, by=officer)
    decide_all(sar, officer)
    subject_access.submit(request=sar, by=officer)

    with pytest.raises(ValidationError, match="second officer"):
        subject_access.approve(request=sar, by=officer)
    sar = subject_access.approve(request=sar, by=second_officer)

    assert sar.state == SubjectAccessRequest.State.APPROVED
    assert Deadline.objects.get(subject_id=str(sar.pk)).state == Deadline.State.MET
    events = set(
        AuditEntry.objects.filter(object_id=str(sar.pk)).values_list("detail__event", flat=True)
    )
    assert {
        "subject_access_opened",
        "disclosure_decided",
        "subject_access_submitted",
        "subject_access_approved",
    } <= events


# --- The pack ----------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """The text layer, lines joined (the PDF wraps where it likes)."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_the_pack_is_made_only_once_approved(child, officer):
    sar = opened(child, officer)
    with pytest.raises(disclosure_pack.NotReleasable):
        disclosure_pack.pdf(sar)


def test_a_redacted_third_party_s_name_is_absent_from_the_pdf_text_layer(
    child, officer, second_officer
):
    sar = approved(child, officer, second_officer)

    content = disclosure_pack.pdf(sar)

    text = pdf_text(content)
    assert "shouts at her at night" in text and "REDACTED" in text
    for part in ("Gordon", "Strachan"):
        assert part not in text
        assert part.encode() not in content


def test_a_withheld_item_is_counted_never_reproduced(child, officer, second_officer):
    sar = opened(child, officer)
    for item in sar.items.all():
        decision = "withhold" if item.source_type == "referral" else "disclose"
        subject_access.decide_item(item=item, by=officer, decision=decision, reason="serious_harm")
    subject_access.submit(request=sar, by=officer)
    sar = subject_access.approve(request=sar, by=second_officer)

    text = pdf_text(disclosure_pack.pdf(sar))

    assert "shouts" not in text and "withheld under an exemption: 1" in text


def test_the_zip_holds_the_pdf_and_each_item_redacted(child, officer, second_officer):
    sar = approved(child, officer, second_officer)

    bundle = zipfile.ZipFile(io.BytesIO(disclosure_pack.archive(sar)))

    names = bundle.namelist()
    assert "subject-access-pack.pdf" in names and "index.txt" in names
    referral_text = bundle.read("items/002-referral.txt").decode()
    assert "[REDACTED: information about a third party]" in referral_text
    assert THIRD_PARTY not in referral_text
    assert all(THIRD_PARTY.encode() not in bundle.read(name) for name in names)


def test_redactions_catch_every_occurrence_in_any_case():
    runs = disclosure_pack.segments("Tom met TOM and tomas", ["tom"])
    assert [hidden for _, hidden in runs] == [True, False, True, False, True, False]


# --- The pages ----------------------------------------------------------------------------


def test_a_request_from_finding_the_child_to_the_downloaded_pack(child, officer, second_officer):
    first, second = SignedInClient(), SignedInClient()
    first.force_login(officer)
    second.force_login(second_officer)

    found = first.post(reverse("subject_access_list"), {"record": "010 613 1234"})
    assert found["Location"] == reverse("subject_access_new", args=[child.pk])
    response = first.post(
        found["Location"],
        {
            "requester_name": "Eilidh Munro",
            "capacity": "self",
            "received_on": "2027-01-31",
            "identity_evidence": "Young Scot card",
        },
    )
    sar = SubjectAccessRequest.objects.get()
    assert response["Location"] == reverse("subject_access_detail", args=[sar.pk])
    page = first.get(response["Location"]).content.decode()
    assert "Answer by" in page and "28 February 2027" in page
    for item in sar.items.all():
        body = {"decision": "disclose"}
        if item.source_type == "referral":
            body = {"decision": "redact", "reason": "third_party", "redactions": THIRD_PARTY}
        first.post(reverse("subject_access_item", args=[sar.pk, item.position]), body)
    first.post(reverse("subject_access_submit", args=[sar.pk]))
    second.post(reverse("subject_access_approve", args=[sar.pk]), {"outcome": "approve"})

    pack = second.get(reverse("subject_access_pack", args=[sar.pk, "pdf"]))

    assert pack.status_code == 200 and pack["Content-Type"] == "application/pdf"
    assert THIRD_PARTY.split()[0] not in pdf_text(pack.content)
    # Reading the gathered records and taking the pack are reads of the child's records.
    seen = governance.who_saw(child).values_list("action", "detail__page")
    assert ("export", "subject_access_pack") in seen and ("view", "subject_access") in seen


def test_a_bad_decision_on_the_page_is_told_and_changes_nothing(child, officer):
    client = SignedInClient()
    client.force_login(officer)
    sar = opened(child, officer)
    item = sar.items.get(source_type="referral")

    response = client.post(
        reverse("subject_access_item", args=[sar.pk, item.position]),
        {"decision": "redact", "reason": "third_party", "redactions": "Not There"},
        follow=True,
    )

    assert "Not in this item" in response.content.decode()
    item.refresh_from_db()
    assert item.decision == DisclosureItem.Decision.UNDECIDED


def test_the_pages_are_refused_to_other_staff(child, officer, social_worker, service_manager):
    sar = opened(child, officer)
    for user in (social_worker, service_manager):
        client = SignedInClient()
        client.force_login(user)
        assert client.get(reverse("subject_access_list")).status_code == 403
        assert client.get(reverse("subject_access_detail", args=[sar.pk])).status_code == 403
        assert client.get(reverse("subject_access_pack", args=[sar.pk, "pdf"])).status_code == 403
