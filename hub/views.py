"""The practice hub's pages. Thin: access, form, service, render."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hub import access, charts, reports, selectors, services
from hub.forms import (
    AuditGradeForm,
    AuditSummaryForm,
    ReportFilterForm,
    ReviewForm,
    TeamChoiceForm,
)
from hub.models import AuditAssignment, AuditRound, Review
from referrals import audit, extensions, ratelimit, restrictions, sharing
from referrals.csv_export import csv_response
from referrals.errors import DomainError
from referrals.grades import GRADE_MEANINGS, Grade

# --- The review queue -------------------------------------------------------------------------


@login_required
@require_safe
def queue(request):
    if not access.is_reviewer(request.user):
        raise PermissionDenied("The review queue is for practice hub reviewers.")
    kind = request.GET.get("type", Review.Kind.REFERRAL)
    if kind not in Review.Kind.values:
        kind = Review.Kind.REFERRAL
    now = timezone.now()
    counts = selectors.queue_counts()
    page = Paginator(
        selectors.review_queue(kind=kind, now=now), selectors.QUEUE_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "hub/queue.html",
        {
            "page_obj": page,
            "kind": kind,
            "now": now,
            "kinds": [(value, label, counts[value]) for value, label in Review.Kind.choices],
            "mine": selectors.claims_held_by(request.user),
            "querystring": f"type={kind}",
        },
    )


def _load_review(request, review_id) -> Review:
    return access.access_review(
        request.user, review_id, selectors.review_page(access.reviews_visible_to(request.user))
    )


def _review_page(request, review: Review, *, form=None, error: str = "", status: int = 200):
    claim = selectors.active_claim(review) if review.state == Review.State.QUEUED else None
    now = timezone.now()
    holds = claim is not None and claim.reviewer_id == request.user.pk
    if holds and form is None:
        form = ReviewForm(review.rubric)
    context = {
        "review": review,
        "referral": review.referral,
        "claim": claim,
        "holds": holds,
        "claim_lapsed": holds and claim.expires_at <= now,
        "held_by_other": claim is not None and not holds and claim.expires_at > now,
        "can_claim": access.is_reviewer(request.user)
        and review.state == Review.State.QUEUED
        and not holds
        and (claim is None or claim.expires_at <= now),
        "form": form if holds else None,
        "error": error,
        "grade_meanings": GRADE_MEANINGS,
        "children": list(review.referral.child_links.all()),
        "scores": list(review.scores.all()),
        "factors": list(review.factors.all()),
        "overall_label": Grade(review.overall).label if review.overall else "",
    }
    if review.kind == Review.Kind.DECISION:
        context["decision_context"] = selectors.decision_context(review.referral)
        # What other modules record about the referral (ird/: its IRDs and their outcome),
        # through the core's read-only extension point: hub/ never imports ird/.
        context["related"] = extensions.referral_links(request.user, review.referral)
    return render(request, "hub/review.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def review(request, review_id):
    """The review: the referral (or decision) to judge and, for the reviewer holding it, the
    rubric to score; for everyone else who may see it, its state or its result."""
    review = _load_review(request, review_id)
    if request.method == "GET":
        audit.record(
            actor=request.user,
            action=audit.Action.VIEW,
            subject=review.referral,
            detail={"page": "hub_review", "review": str(review.pk)},
        )
        return _review_page(request, review)
    if not access.is_reviewer(request.user):
        raise PermissionDenied("Only practice hub reviewers submit reviews.")
    claim = selectors.active_claim(review) if review.state == Review.State.QUEUED else None
    if claim is None or claim.reviewer_id != request.user.pk:
        return _review_page(
            request,
            review,
            status=409,
            error=(
                "Claim this review before submitting it: someone else holds it, or it has "
                "already been reviewed."
            ),
        )
    form = ReviewForm(review.rubric, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.review_submit(
                review=review,
                reviewer=request.user,
                scores=form.scores(),
                overall=data["overall"],
                overall_comment=data["overall_comment"],
                factor_ids=[*data["supports"], *data["barriers"]],
                supported_other=data["supported_other"],
                barriers_other=data["barriers_other"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return _review_page(request, review, form=form, status=error.status_code)
        if review.kind == Review.Kind.REFERRAL:
            messages.success(
                request,
                f"Review of {review.referral.reference} submitted: the feedback has been sent.",
            )
        else:
            messages.success(request, f"Decision review of {review.referral.reference} submitted.")
        return redirect(f"{reverse('hub:queue')}?type={review.kind}")
    return _review_page(request, review, form=form, status=400)


@login_required
@require_POST
def review_claim(request, review_id):
    review = _load_review(request, review_id)
    if not access.is_reviewer(request.user):
        raise PermissionDenied("Only practice hub reviewers claim reviews.")
    try:
        services.review_claim(review=review, reviewer=request.user)
    except DomainError as error:
        return _review_page(
            request, _load_review(request, review_id), error=str(error), status=error.status_code
        )
    return redirect("hub:review", review_id=review.pk)


@login_required
@require_POST
def review_release(request, review_id):
    review = _load_review(request, review_id)
    if not access.is_reviewer(request.user):
        raise PermissionDenied("Only practice hub reviewers release reviews.")
    try:
        services.review_release(review=review, reviewer=request.user)
    except DomainError as error:
        return _review_page(request, review, error=str(error), status=error.status_code)
    messages.success(
        request, f"You released the review of {review.referral.reference}: it is back in the queue."
    )
    return redirect(f"{reverse('hub:queue')}?type={review.kind}")


# --- Team feedback ------------------------------------------------------------------------------


@login_required
@require_safe
def team_feedback(request):
    """A frontline manager's view of the quality feedback on their team's referrals."""
    user = request.user
    if not access.can_see_team_feedback(user):
        raise PermissionDenied("This page is for team and service managers.")
    form = None
    if access.sees_every_team(user):
        form = TeamChoiceForm(request.GET or None, teams=selectors.social_work_teams())
        chosen = form.cleaned_data["team"] if form.is_bound and form.is_valid() else None
        team_ids = [chosen.pk] if chosen else None
        team_name = chosen.name if chosen else "All teams"
    else:
        team_ids, team_name = [user.team_id], user.team.name
    since = timezone.now() - timedelta(days=365)
    data = selectors.team_feedback(team_ids=team_ids, since=since)
    months = sorted({row["month"] for row in data.trend} | {r["month"] for r in data.overall_trend})
    chart = None
    if months:
        series = reports.criterion_series(data.trend, data.overall_trend, months)
        chart = charts.line_chart(
            chart_id="chart-team-trend",
            title=f"Referral quality of {team_name}, month by month",
            categories=[reports.short_month(m) for m in months],
            series=series,
        )
    return render(
        request,
        "hub/team_feedback.html",
        {
            "form": form,
            "team_name": team_name,
            "data": data,
            "chart": chart,
            "trend_rows": [
                [
                    reports.month_label(r["month"]),
                    r["label"],
                    r["reviews"],
                    reports.one_decimal(r["average"]),
                ]
                for r in data.trend
            ]
            + [
                [
                    reports.month_label(r["month"]),
                    "Overall judgement",
                    r["reviews"],
                    reports.one_decimal(r["average"]),
                ]
                for r in data.overall_trend
            ],
        },
    )


# --- Committee reports --------------------------------------------------------------------------


def _report_filters(request) -> tuple[ReportFilterForm, reports.Filters, bool]:
    today = timezone.localdate()
    default = reports.Filters.default(today)
    if not request.GET:
        form = ReportFilterForm(initial={"start": default.start, "end": default.end})
        return form, default, True
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return form, default, False
    data = form.cleaned_data
    return (
        form,
        reports.Filters(
            start=data["start"],
            end=data["end"],
            locality=data["locality"] or "",
            agency=data["agency"],
        ),
        True,
    )


@login_required
@require_safe
def report_page(request):
    if not access.can_read_reports(request.user):
        raise PermissionDenied(
            "Reports are for the child protection committee and service managers."
        )
    form, filters, valid = _report_filters(request)
    # An index, one page per table (a single page of every table ran to 30,000 pixels); the
    # work that is overdue now comes first, as the one table to act on.
    keys = ["overdue", *(key for key in reports.Report.TABLES if key != "overdue")]
    return render(
        request,
        "hub/reports.html",
        {
            "form": form,
            "filters": filters,
            "index": [(key, reports.Report.TABLES[key]) for key in keys],
            "query": urlencode(filters.as_query()),
        },
        status=200 if valid else 400,
    )


@login_required
@require_safe
def report_table(request, table):
    if not access.can_read_reports(request.user):
        raise PermissionDenied(
            "Reports are for the child protection committee and service managers."
        )
    if table not in reports.Report.TABLES:
        raise Http404("No such report table.")
    form, filters, valid = _report_filters(request)
    return render(
        request,
        "hub/report_table.html",
        {
            "form": form,
            "filters": filters,
            "table": reports.Report(filters, timezone.now()).table(table) if valid else None,
            "title": reports.Report.TABLES[table],
            "key": table,
            "query": urlencode(filters.as_query()),
        },
        status=200 if valid else 400,
    )


@login_required
@require_safe
@ratelimit.per_user("export", "export")
def report_csv(request, table):
    if not access.can_read_reports(request.user):
        raise PermissionDenied(
            "Reports are for the child protection committee and service managers."
        )
    if table not in reports.Report.TABLES:
        raise Http404("No such report table.")
    form, filters, valid = _report_filters(request)
    if not valid:
        return render(
            request,
            "hub/reports.html",
            {"form": form, "filters": filters, "tables": []},
            status=400,
        )
    result = reports.Report(filters, timezone.now()).table(table)
    audit.record(
        actor=request.user,
        action=audit.Action.EXPORT,
        object_type="report",
        object_id=table,
        detail={**filters.describe(), **sharing.basis(sharing.Route.CSV_EXPORT)},
    )
    return csv_response(
        f"{table}-{filters.start}-to-{filters.end}.csv", result.columns, result.rows
    )


# --- Practice audits ----------------------------------------------------------------------------


@login_required
@require_safe
def audit_list(request):
    user = request.user
    if not access.can_see_audit_work(user):
        raise PermissionDenied("Practice audits are for the committee, the hub and auditors.")
    rounds = None
    if access.can_read_audit_rounds(user):
        rounds = Paginator(
            selectors.rounds_with_progress(access.rounds_visible_to(user)), 12
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "hub/audit_list.html",
        {
            "rounds": rounds,
            "page_obj": rounds,
            "assignments": selectors.assignments_of(user),
            "can_open": access.can_run_audits(user) and not selectors.current_round_open(),
            "hidden_people": restrictions.hidden_ids(user),
        },
    )


@login_required
@require_POST
def audit_open(request):
    if not access.can_run_audits(request.user):
        raise PermissionDenied("Only the child protection committee opens audit rounds.")
    audit_round, created = services.audit_round_open(opened_by=request.user)
    if created:
        messages.success(
            request,
            f"{audit_round} opened with {audit_round.records.count()} records in its sample.",
        )
    else:
        messages.info(request, f"{audit_round} is already open.")
    return redirect("hub:audit_round", round_id=audit_round.pk)


def _round_page(request, audit_round: AuditRound, summary_form=None, status=200):
    collation = selectors.round_collation(audit_round)
    can_summarise = access.can_run_audits(request.user) and audit_round.summary_sent_at is None
    if can_summarise and summary_form is None:
        summary_form = AuditSummaryForm()
    criteria = list(audit_round.rubric.criteria.all())
    return render(
        request,
        "hub/audit_round.html",
        {
            "round": audit_round,
            "collation": collation,
            "criteria": criteria,
            "summary_form": summary_form if can_summarise else None,
            "reproduces": services.audit_sample_reproduces(audit_round),
            "hidden_people": restrictions.hidden_ids(request.user),
            "record_rows": [
                (record, [collation.by_record.get(record.pk, {}).get(c.pk) for c in criteria])
                for record in collation.records
            ],
        },
        status=status,
    )


@login_required
@require_safe
def audit_round(request, round_id):
    audit_round = access.access_round(request.user, round_id)
    page = _round_page(request, audit_round)
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        subject=audit_round,
        detail={"people": [str(r.person_id) for r in audit_round.records.all()]},
    )
    return page


@login_required
@require_safe
@ratelimit.per_user("export", "export")
def audit_round_csv(request, round_id):
    audit_round = access.access_round(request.user, round_id)
    rows = []
    for record in selectors.round_collation(audit_round).records:
        for assignment in record.assignments.all():
            for grade in assignment.grades.all():
                rows.append(
                    [
                        record.position,
                        record.referral.reference,
                        record.source_agency.name,
                        assignment.auditor.agency.name if assignment.auditor.agency_id else "",
                        grade.criterion.label,
                        grade.score,
                    ]
                )
    audit.record(
        actor=request.user,
        action=audit.Action.EXPORT,
        subject=audit_round,
        detail={"table": "grades", **sharing.basis(sharing.Route.CSV_EXPORT)},
    )
    return csv_response(
        f"practice-audit-{audit_round.period_start:%Y-%m}-grades.csv",
        [
            "Record",
            "Referral",
            "Source agency",
            "Auditor's agency",
            "Quality indicator",
            "Grade (1 to 6)",
        ],
        rows,
    )


@login_required
@require_POST
def audit_summary(request, round_id):
    audit_round = access.access_round(request.user, round_id)
    if not access.can_run_audits(request.user):
        raise PermissionDenied("Only the child protection committee sends the summary.")
    form = AuditSummaryForm(request.POST)
    if form.is_valid():
        try:
            services.audit_summary_send(
                audit_round=audit_round, sent_by=request.user, summary=form.cleaned_data["summary"]
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"The learning summary of {audit_round} has been sent.")
            return redirect("hub:audit_round", round_id=audit_round.pk)
    audit_round.refresh_from_db()
    return _round_page(request, audit_round, summary_form=form, status=400)


@login_required
@require_safe
def audit_learning(request, round_id):
    audit_round = access.access_learning(request.user, round_id)
    collation = selectors.round_collation(audit_round)
    return render(
        request,
        "hub/audit_learning.html",
        {
            "round": audit_round,
            "indicators": [
                {
                    **row,
                    "average": reports.one_decimal(row["average"]),
                    "good_share": reports.percent(row["good"], row["grades"]),
                }
                for row in collation.indicators
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def audit_assignment(request, assignment_id):
    """An auditor reads one child's record and grades it on the quality indicators."""
    assignment = access.access_assignment(
        request.user,
        assignment_id,
        selectors.assignment_page(access.assignments_visible_to(request.user)),
    )
    record, audit_round = assignment.record, assignment.record.round
    is_open = audit_round.state == AuditRound.State.OPEN
    initial = {}
    if assignment.state == AuditAssignment.State.SUBMITTED:
        initial = {"findings": assignment.findings, "learning_points": assignment.learning_points}
        for grade in assignment.grades.all():
            initial[f"score_{grade.criterion_id}"] = grade.score
            initial[f"comment_{grade.criterion_id}"] = grade.comment
    form = AuditGradeForm(audit_round.rubric, request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.audit_assignment_submit(
                    assignment=assignment,
                    auditor=request.user,
                    grades=form.scores(),
                    findings=form.cleaned_data["findings"],
                    learning_points=form.cleaned_data["learning_points"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status_code
            else:
                messages.success(
                    request, f"Your grades for record {record.position} of {audit_round} are saved."
                )
                return redirect("hub:audit_list")
        else:
            status = 400
    else:
        audit.record(
            actor=request.user,
            action=audit.Action.VIEW,
            subject=record.person,
            detail={
                "page": "audit_record",
                "round": str(audit_round.pk),
                "referral": str(record.referral_id),
            },
        )
    return render(
        request,
        "hub/audit_assignment.html",
        {
            "assignment": assignment,
            "record": record,
            "round": audit_round,
            "form": form,
            "is_open": is_open,
            "chronology": selectors.chronology_of(record.person_id),
        },
        status=status,
    )
