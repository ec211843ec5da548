"""Pages for social workers, managers and quality staff. Thin: access, form, service, render."""

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from referrals import (
    access,
    audit,
    chronology,
    cumulative_harm,
    deadlines,
    extensions,
    matching,
    ratelimit,
    restrictions,
    selectors,
)
from referrals.errors import DomainError, EditConflict
from referrals.forms import (
    ChronologyEventForm,
    ChronologyFilterForm,
    CloseForm,
    MergeForm,
    RelationshipForm,
    ScreeningForm,
    ScreeningReviewForm,
    SearchForm,
)
from referrals.models import Notification
from referrals.services import emergency, screening
from referrals.services import feedback as feedback_services
from referrals.services import people as people_services


@login_required
@require_safe
def home(request):
    """Each role's own work: the steps they owe, then what the apps add for them (IRDs today,
    reviews to claim, audits to grade...), then a social worker's referral queues."""
    now = timezone.now()
    context = {
        "can_intake": access.can_intake(request.user),
        "now": now,
        "steps_owed": selectors.steps_owed(request.user, now=now, horizon=now + timedelta(days=7)),
        "sections": extensions.home_sections(request.user, now),
    }
    if access.is_social_work_staff(request.user):
        lists = context["lists"] = selectors.home_lists(request.user)
        # The queues name children: one read naming every referral and child shown.
        shown = {
            r.pk
            for rows in (lists.mine, lists.awaiting_screening, lists.awaiting_approval)
            for r in rows
        }
        audit.record(
            actor=request.user,
            action=audit.Action.VIEW,
            object_type="home",
            detail={
                "referrals": sorted(str(pk) for pk in shown),
                "people": sorted({str(flag.person_id) for flag in lists.harm_flags}),
            },
        )
    return render(request, "referrals/home.html", context)


def _load_referral(request, referral_id):
    return access.access_referral(
        request.user,
        referral_id,
        selectors.referral_detail(access.referrals_visible_to(request.user)),
    )


def _detail_context(request, referral, **forms):
    decision = referral.current_decision
    context = {
        "referral": referral,
        "decision": decision,
        "decisions": sorted(
            referral.screening_decisions.all(), key=lambda d: d.proposed_at, reverse=True
        ),
        "children": _with_register_status(list(referral.child_links.all())),
        "adults": list(referral.adult_links.all()),
        "flags": list(referral.harm_flags.all()),
        "measures": emergency.measures_of(referral),
        # What is due next, so nobody has to work it out: the referral's live deadlines.
        "due_steps": list(
            referral.deadlines.filter(state__in=deadlines.LIVE_STATES)
            .select_related("timescale", "owner")
            .order_by("due_at")
        ),
        # Records other apps keep about this referral (its IRDs), without importing them.
        "related_records": extensions.referral_links(request.user, referral),
        "related_actions": extensions.referral_actions(request.user, referral),
        # The practice hub's feedback, as the core keeps it (hub/ gives it through
        # referrals.services.feedback); the referrer or their team manager acknowledges it.
        "feedback": list(referral.feedback.select_related("given_by", "acknowledged_by_staff")),
        **access.referral_page_permissions(request.user, referral),
    }
    context.setdefault(
        "review_form", ScreeningReviewForm(initial={"version": referral.version}, prefix="review")
    )
    context.setdefault(
        "close_form", CloseForm(initial={"version": referral.version}, prefix="close")
    )
    context.update(forms)
    return context


def _with_register_status(links: list) -> list:
    """Each child's place on the child protection register, looked up once for the page."""
    found = extensions.register_status([link.person_id for link in links])
    for link in links:
        link.register_status = found.get(link.person_id)
    return links


@login_required
@require_safe
def referral_detail(request, referral_id):
    referral = _load_referral(request, referral_id)
    audit.record(actor=request.user, action=audit.Action.VIEW, subject=referral)
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral))


@login_required
@require_http_methods(["GET", "POST"])
def screening_new(request, referral_id):
    referral = _load_referral(request, referral_id)
    if not access.can_screen(request.user):
        raise PermissionDenied("Only social work staff can record a screening decision.")
    if not access.can_work_on(request.user, referral):
        raise PermissionDenied(access.not_your_team(referral))
    flags = cumulative_harm.open_flags_for(referral)
    form = ScreeningForm(request.POST or None, initial={"version": referral.version})
    conflict = False
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            screening.screening_propose(
                referral=referral, proposed_by=request.user, expected_version=version, **data
            )
        except EditConflict as error:
            conflict = True
            form.add_error(None, str(error))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Screening decision recorded and sent for approval.")
            return redirect("referral_detail", referral_id=referral.pk)
    status = 409 if conflict else 400 if form.errors else 200
    # The form shows the referral and its flags: a read like the referral page's.
    audit.record(
        actor=request.user, action=audit.Action.VIEW, subject=referral, detail={"page": "screening"}
    )
    return render(
        request,
        "referrals/screening_form.html",
        {
            "referral": referral,
            "form": form,
            "flags": flags,
            "conflict": conflict,
        },
        status=status,
    )


@login_required
@require_POST
def screening_review(request, referral_id):
    referral = _load_referral(request, referral_id)
    decision = referral.current_decision
    if decision is None or not access.can_approve(request.user, referral):
        raise PermissionDenied("Only a manager of the referral's team can review its screening.")
    form = ScreeningReviewForm(request.POST, prefix="review")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["verdict"] == "approve":
                screening.screening_approve(
                    decision=decision,
                    approved_by=request.user,
                    comment=data["comment"],
                    expected_version=data["version"],
                )
                messages.success(request, "Screening decision approved.")
            else:
                screening.screening_return(
                    decision=decision,
                    returned_by=request.user,
                    comment=data["comment"],
                    expected_version=data["version"],
                )
                messages.success(request, "Screening decision returned to the social worker.")
            return redirect("referral_detail", referral_id=referral.pk)
        except DomainError as error:
            form.add_error(None, str(error))
    referral = _load_referral(request, referral_id)
    return render(
        request,
        "referrals/referral_detail.html",
        _detail_context(request, referral, review_form=form),
        status=400,
    )


@login_required
@require_POST
def referral_close(request, referral_id):
    referral = _load_referral(request, referral_id)
    if not access.can_screen(request.user):
        raise PermissionDenied("Only social work staff can close a referral.")
    if not access.can_work_on(request.user, referral):
        raise PermissionDenied(access.not_your_team(referral))
    form = CloseForm(request.POST, prefix="close")
    if form.is_valid():
        try:
            screening.referral_close(
                referral=referral,
                closed_by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, f"Referral {referral.reference} closed.")
            return redirect("referral_detail", referral_id=referral.pk)
        except DomainError as error:
            form.add_error(None, str(error))
    referral = _load_referral(request, referral_id)
    return render(
        request,
        "referrals/referral_detail.html",
        _detail_context(request, referral, close_form=form),
        status=400,
    )


@login_required
@require_POST
def feedback_acknowledge(request, referral_id, feedback_id):
    referral = _load_referral(request, referral_id)
    feedback = referral.feedback.filter(pk=feedback_id).first()
    if feedback is None:
        raise Http404("No feedback found.")
    if not access.can_acknowledge_feedback(request.user, referral):
        raise PermissionDenied(
            "Only the member of staff who received the referral, or their "
            "team manager, acknowledges its feedback."
        )
    feedback_services.feedback_acknowledge(feedback=feedback, by=request.user)
    messages.success(request, f"Practice hub feedback on {referral.reference} acknowledged.")
    return redirect("referral_detail", referral_id=referral.pk)


@login_required
@require_safe
def person_detail(request, person_id):
    person = access.access_person(
        request.user, person_id, selectors.person_page(access.people_visible_to(request.user))
    )
    return person_page(request, person)


def chronology_filter(request, person) -> tuple[ChronologyFilterForm, list, dict]:
    """The chronology as the page's filters narrow it (kind, agency: bad values are ignored),
    and the filters applied, for the audit row."""
    form = ChronologyFilterForm(request.GET or None)
    narrowed = form.cleaned_data if form.is_bound and form.is_valid() else {}
    kind, agency = narrowed.get("kind", ""), narrowed.get("agency")
    entries = list(chronology.chronology_of(person, kind=kind, agency=agency))
    applied = {name: str(getattr(value, "pk", value)) for name, value in narrowed.items() if value}
    return form, entries, applied


def person_page(request, person, *, relationship_form=None, event_form=None, status=200):
    """The person and their chronology (a read, audited once), with the forms this user may use."""
    filters, entries, applied = chronology_filter(request, person)
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        subject=person,
        detail={"page": "chronology", **({"filters": applied} if applied else {})},
    )
    can_record = access.can_screen(request.user) and person.merged_into_id is None
    if can_record and relationship_form is None:
        relationship_form = RelationshipForm(
            connected=selectors.people_connected_to(person), prefix="relationship"
        )
    if can_record and event_form is None:
        event_form = ChronologyEventForm(prefix="event")
    return render(
        request,
        "referrals/person_detail.html",
        {
            "person": person,
            "entries": entries,
            "filters": filters,
            "filtered": bool(applied),
            "can_merge": access.can_merge_people(request.user),
            "relationship_form": relationship_form if can_record else None,
            "event_form": event_form if can_record else None,
            # Whether the child is on the child protection register (ird/ keeps it).
            "register_status": extensions.register_status([person.pk]).get(person.pk),
        },
        status=status,
    )


@login_required
@require_POST
def relationship_new(request, person_id):
    person = access.access_person(
        request.user, person_id, selectors.person_page(access.people_visible_to(request.user))
    )
    if not access.can_screen(request.user):
        raise PermissionDenied("Only social work staff can record relationships.")
    form = RelationshipForm(
        request.POST, connected=selectors.people_connected_to(person), prefix="relationship"
    )
    if form.is_valid():
        people_services.relationship_record(
            person=person, recorded_by=request.user, **form.cleaned_data
        )
        messages.success(request, "Relationship recorded.")
        return redirect("person_detail", person_id=person.pk)
    return person_page(request, person, relationship_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def person_merge(request, person_id):
    person = access.access_person(request.user, person_id)
    if not access.can_merge_people(request.user):
        raise PermissionDenied("Only a team manager or service manager can merge records.")
    candidates = [
        c for c in matching.candidates_for(person.as_match_details()) if c.person.pk != person.pk
    ]
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed = {c.person.pk: c.person for c in candidates}
        duplicate = allowed.get(form.cleaned_data["duplicate"])
        if duplicate is None:
            form.add_error(None, "Choose one of the possible duplicates listed.")
        else:
            try:
                people_services.person_merge(
                    keep=person, duplicate=duplicate, merged_by=request.user
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Records merged.")
                return redirect("person_detail", person_id=person.pk)
    # The page shows this person and each possible duplicate: one read naming them all.
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        subject=person,
        detail={"page": "merge", "shown": [str(c.person.pk) for c in candidates]},
    )
    return render(
        request,
        "referrals/person_merge.html",
        {
            "person": person,
            "candidates": candidates,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit.per_user("search", "search", methods=("POST",))
def search(request):
    """POST, so names, dates of birth and CHI numbers never appear in URLs or server logs."""
    if not access.can_read_case_records(request.user):
        raise PermissionDenied("Searching children's records is not part of your role.")
    form = SearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        results = selectors.search(
            people=access.people_visible_to(request.user),
            referrals=access.referrals_visible_to(request.user),
            query=form.cleaned_data["query"],
            date_of_birth=form.cleaned_data["date_of_birth"],
        )
        hidden = set(restrictions.hidden_people(request.user).values_list("person_id", flat=True))
        results = selectors.withhold_restricted(results, hidden)
        audit.record(
            actor=request.user,
            action=audit.Action.SEARCH,
            object_type="person",
            detail={
                "results": [str(p.pk) for p in results.people]
                + [str(r.pk) for r in results.referrals]
            },
        )
    return render(
        request,
        "referrals/search.html",
        {"form": form, "results": results},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def team_work(request):
    """A manager's view of the team's overdue and due-soon work."""
    if not (
        access.is_social_work_staff(request.user) and request.user.role in access.MANAGER_ROLES
    ):
        raise PermissionDenied("This page is for team and service managers.")
    now = timezone.now()
    work = selectors.team_work(request.user, now=now, soon=now + timedelta(days=2))
    return render(request, "referrals/team_work.html", {"work": work, "now": now})


NOTIFICATIONS_PER_PAGE = 25


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request):
    """Newest first, 25 a page, unread only or all; "mark all read" reaches every page."""
    mine = Notification.objects.filter(recipient=request.user)
    show = "all" if request.GET.get("show", request.POST.get("show")) == "all" else "unread"
    if request.method == "POST":
        marked = mine.filter(read_at__isnull=True)
        if "notification" in request.POST:
            try:
                marked = marked.filter(pk=uuid.UUID(request.POST["notification"]))
            except ValueError:
                marked = marked.none()
        marked.update(read_at=timezone.now())
        return redirect(f"{reverse('notifications')}?show={show}")
    unread = mine.filter(read_at__isnull=True)
    listed = (unread if show == "unread" else mine).select_related("referral", "person")
    page = Paginator(listed.order_by("-created_at", "-pk"), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "referrals/notifications.html",
        {
            "notifications": page,
            "page_obj": page,
            "show": show,
            "querystring": f"show={show}",
            "all_count": mine.count(),
        },
    )
