"""The practice hub in a real browser (DESIGN.md steps 4 and 7): a reviewer claims a referral
from the queue, scores it on the rubric and submits; the social worker who received it sees the
feedback on the referral page and acknowledges it; their team manager sees the team's feedback;
the committee reads the reports and opens an audit round; an auditor from the police grades a
record. Every hub page on the way is checked with axe-core."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hub import sampling, services
from hub.models import AuditAssignment, AuditPanelMember, HubSettings, Review
from referrals.models import ReferralFeedback, Role
from tests.browser.test_referral_journey import checked, fieldset, sign_in, sign_out
from tests.factories import StaffFactory, TeamFactory, make_referral

pytestmark = pytest.mark.django_db(transaction=True)


def nav(page, name: str):
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=name).click()


def test_review_feedback_acknowledgement_reports_and_audit(
    page,
    browser_problems,
    social_worker,
    team_manager,
    hub_reviewer,
    committee_member,
    police,
):
    services.reference_data_ensure()
    settings = HubSettings.current()
    settings.auditors_per_record = 1
    settings.save()
    auditor = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police))
    AuditPanelMember.objects.create(staff=auditor)
    # A referral from before this audit period, so that the round has a record to sample.
    period = sampling.audit_period_start(timezone.localdate(), settings.audit_every_months)
    make_referral(
        team=social_worker.team,
        received_by=social_worker,
        received_at=timezone.make_aware(datetime.combine(period - timedelta(days=10), time(11))),
    )
    referral = make_referral(
        team=social_worker.team, received_by=social_worker, immediate_risk=True
    )
    scanned: set[str] = set()

    # The reviewer claims the referral with immediate risk: it heads the queue.
    sign_in(page, hub_reviewer)
    nav(page, "Review queue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    first_row = page.locator("table tbody tr").first
    expect(first_row).to_contain_text(referral.reference)
    expect(first_row).to_contain_text("Immediate risk")
    checked(page, browser_problems, scanned, "queue")
    first_row.get_by_role("button", name=f"Claim review of {referral.reference}").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(referral.reference)
    expect(page.get_by_text("You are reviewing this until")).to_be_visible()
    checked(page, browser_problems, scanned, "review form")

    # Scores on the six-point scale, with what helped and what got in the way.
    rubric = Review.objects.get(referral=referral, kind="referral").rubric
    for number, criterion in enumerate(rubric.criteria.all()):
        grade = "4 Good" if number % 2 else "5 Very good"
        fieldset(page, criterion.label).get_by_label(grade, exact=True).check()
    page.get_by_label("Comments on the child's voice").fill("Quote what Ava said in her own words.")
    fieldset(page, "What supported the quality of this referral?").get_by_label(
        "Agency referral form or template used"
    ).check()
    fieldset(page, "What got in the way?").get_by_label("History not checked").check()
    fieldset(page, "Overall judgement").get_by_label("5 Very good", exact=True).check()
    page.get_by_label("Summary for the referrer and their manager").fill(
        "A clear, prompt referral. Check earlier concerns before calling."
    )
    page.get_by_role("button", name="Submit the review and send the feedback").click()

    expect(page.get_by_role("alert")).to_contain_text(
        f"Review of {referral.reference} submitted: the feedback has been sent."
    )
    expect(page.get_by_role("link", name=referral.reference)).to_have_count(0)  # reviewed
    feedback = ReferralFeedback.objects.get(referral=referral)
    assert feedback.scores[-1]["score"] == 5
    browser_problems.assert_none()
    sign_out(page)

    # The social worker who received it is told, opens it and acknowledges the feedback.
    sign_in(page, social_worker)
    nav(page, "Notifications")
    page.get_by_role("link", name=f"Open referral {referral.reference}").first.click()
    feedback_card = page.locator(".govuk-summary-card").filter(has_text="Reviewed")
    expect(page.get_by_role("heading", name="Practice hub feedback")).to_be_visible()
    expect(feedback_card).to_contain_text("Not yet acknowledged")
    expect(feedback_card).to_contain_text("Overall judgement")
    expect(feedback_card).to_contain_text("5 out of 6: very good")
    expect(feedback_card).to_contain_text("Quote what Ava said in her own words.")
    expect(feedback_card).to_contain_text("History not checked")
    checked(page, browser_problems, scanned, "referral with feedback")
    feedback_card.get_by_role("button", name="Acknowledge the feedback").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Practice hub feedback on {referral.reference} acknowledged."
    )
    expect(page.locator(".govuk-summary-card").filter(has_text="Reviewed")).to_contain_text(
        "Acknowledged"
    )
    expect(page.get_by_role("button", name="Acknowledge the feedback")).to_have_count(0)
    feedback.refresh_from_db()
    assert feedback.acknowledged_by_staff == social_worker
    browser_problems.assert_none()
    sign_out(page)

    # The team manager sees the team's feedback and its trend.
    sign_in(page, team_manager)
    nav(page, "Team feedback")
    expect(page.get_by_role("heading", level=1)).to_have_text(social_worker.team.name)
    expect(page.get_by_role("link", name=referral.reference)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Referral quality of"))).to_be_visible()
    checked(page, browser_problems, scanned, "team feedback")
    sign_out(page)

    # The committee reads the reports and opens this period's audit round.
    sign_in(page, committee_member)
    nav(page, "Reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Performance reports")
    checked(page, browser_problems, scanned, "reports")
    # An index; each table is a page of its own.
    page.get_by_role(
        "link", name="Neglect and cumulative harm: how well do we respond?", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Neglect and cumulative harm: how well do we respond?"
    )
    page.get_by_role("link", name="All reports").click()
    page.get_by_role(
        "link", name="Concerns by month, locality and source agency", exact=True
    ).click()
    expect(page.get_by_role("img", name="Concerns received each month")).to_be_visible()
    nav(page, "Practice audits")
    checked(page, browser_problems, scanned, "audit list")
    page.get_by_role("button", name="Open this period's round now").click()
    expect(page.get_by_role("alert")).to_contain_text("opened with 1 records")
    expect(page.get_by_text("gives the same records")).to_be_visible()
    checked(page, browser_problems, scanned, "audit round")
    sign_out(page)

    # The police auditor grades the record.
    sign_in(page, auditor)
    page.goto("/hub/audits/")
    page.get_by_role("link", name=re.compile(r"^Record 1: ")).click()
    expect(page.get_by_role("heading", name="Chronology")).to_be_visible()
    checked(page, browser_problems, scanned, "audit record")
    assignment = AuditAssignment.objects.get(auditor=auditor)
    for criterion in assignment.record.round.rubric.criteria.all():
        fieldset(page, criterion.label).get_by_label("3 Adequate", exact=True).check()
    page.get_by_label("Findings").fill("The chronology lists events without analysis.")
    page.get_by_role("button", name="Save my grades").click()
    expect(page.get_by_role("alert")).to_contain_text("Your grades for record 1")
    assignment.refresh_from_db()
    assert assignment.state == AuditAssignment.State.SUBMITTED
    browser_problems.assert_none()

    assert scanned == {
        "queue",
        "review form",
        "referral with feedback",
        "team feedback",
        "reports",
        "audit list",
        "audit round",
        "audit record",
    }
