"""IRD pages. Thin: load through ird.access (404 outside scope), check the action (403),
validate the form, call the service, render. Every page showing a child's IRD writes one audit
row; the live fragment writes one only when it returns something new."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ird import access, calendar, forms, live, selectors, services
from ird.errors import SectionConflict, SignOffRefused
from ird.models import (
    Attendance,
    CalendarMessage,
    FollowUpItem,
    Ird,
    IrdAction,
    IrdChild,
    IrdDecision,
    ProcedureVersion,
    RecordSection,
)
from referrals import access as referral_access
from referrals import audit, deadlines, ratelimit
from referrals.access import can_read_case_records, can_work_on
from referrals.errors import DomainError, EditConflict
from referrals.services import emergency
from referrals.validation import parse_version

Status = Ird.Status
IRD_KINDS = ("ird_held", "ird_full", "ird_record")


def _load(request, ird_id, *, full: bool = True) -> tuple[Ird, access.Viewer]:
    visible = access.irds_visible_to(request.user)
    ird = access.access_ird(
        request.user,
        ird_id,
        selectors.ird_page(visible) if full else visible.select_related("referral"),
    )
    return ird, access.viewer(request.user, ird)


def _refuse(message: str):
    raise PermissionDenied(message)


def _invited_staff(ird: Ird):
    return selectors.invited_staff(ird)


def _audit_view(request, ird: Ird, page: str, action: str = audit.Action.VIEW) -> None:
    audit.record(
        actor=request.user,
        action=action,
        subject=ird,
        detail={"referral": str(ird.referral_id), "page": page},
    )


# --- Lists and the overview ----------------------------------------------------------------


@login_required
@require_safe
def ird_list(request):
    if not access.takes_part(request.user):
        _refuse("IRDs are not part of your role.")
    return render(
        request,
        "ird/list.html",
        {
            "lists": selectors.ird_lists(request.user),
            "is_coordinator": access.is_coordinator(request.user),
            "is_quality": access.is_quality_staff(request.user),
        },
    )


def _detail_context(request, ird: Ird, viewer: access.Viewer, **forms_in) -> dict:
    children = list(ird.children.all())
    live = deadlines.live_deadlines(subject_type="referral", subject_id=str(ird.referral_id))
    context = {
        "ird": ird,
        "viewer": viewer,
        "invitations": list(ird.invitations.all()),
        "children": children,
        "actions": list(ird.actions.all()),
        "follow_up": list(ird.follow_up.all()),
        "circulation": list(ird.circulation.all()),
        "quality_reviews": list(ird.quality_reviews.all()),
        "reviewed_by_me": any(
            review.reviewer_id == request.user.pk for review in ird.quality_reviews.all()
        ),
        "deadlines": list(live.filter(timescale__kind__in=IRD_KINDS).select_related("timescale")),
        "cancel_form": forms.CancelForm(prefix="cancel", initial={"version": ird.version}),
        "start_form": forms.StartForm(
            prefix="start",
            initial={"version": ird.version, "reason": ird.reason or _default_reason(ird)},
        ),
        "can_read_referral": can_read_case_records(request.user),
        "follow_ons": list(ird.follow_ons.order_by("requested_at")),
        # The referral's emergency measures, recorded from here too by its team and by those
        # invited while the IRD is under way.
        "referral": ird.referral,
        "measures": emergency.measures_of(ird.referral),
        "can_record_measures": viewer.can_record_emergency_measure
        or can_work_on(request.user, ird.referral),
        "return_to": request.path,
    }
    if viewer.can_record_initial_discussion and ird.initial_discussion_at is None:
        context["initial_form"] = forms.InitialDiscussionForm(
            prefix="initial",
            initial={"held_at": timezone.localtime().replace(second=0, microsecond=0)},
        )
    if viewer.can_request_repeat:
        context["repeat_form"] = forms.RepeatForm(prefix="repeat")
    for child in children:
        child.decision_form = None
        if viewer.can_decide_children and child.source != IrdChild.Source.REFERRAL:
            child.decision_form = forms_in.pop(f"child_form_{child.pk}", None) or (
                forms.ChildDecisionForm(
                    prefix=f"child-{child.pk}",
                    initial={
                        "version": ird.version,
                        "include": None
                        if child.included is None
                        else ("yes" if child.included else "no"),
                        "reason": child.reason_not_included,
                    },
                )
            )
    for item in context["follow_up"]:
        item.can_tick = viewer.can_tick_follow_up and item.done_at is None
    for action in context["actions"]:
        action.can_update = viewer.can_update_action(action)
    context.update(forms_in)
    return context


def _default_reason(ird: Ird) -> str:
    decision = ird.requested_by_decision
    if decision is None:
        return ""
    return (
        f"Child protection concern: screening decision approved "
        f"{timezone.localtime(decision.reviewed_at):%d %b %Y %H:%M}"
        if decision.reviewed_at
        else "Child protection concern."
    )


@login_required
@require_safe
def ird_detail(request, ird_id):
    ird, viewer = _load(request, ird_id)
    _audit_view(request, ird, "detail")
    return render(request, "ird/detail.html", _detail_context(request, ird, viewer))


def _detail_with_errors(request, ird_id, status: int = 400, **forms_in):
    ird, viewer = _load(request, ird_id)
    return render(
        request, "ird/detail.html", _detail_context(request, ird, viewer, **forms_in), status=status
    )


def _detail_form_post(request, ird_id, *, allowed, refusal, form_class, prefix, call, success):
    """A form on the IRD's overview page: the service call and back, or the page with errors
    (400) and nothing saved."""
    ird, viewer = _load(request, ird_id, full=False)
    if not allowed(viewer):
        _refuse(refusal)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            target = call(ird, form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
            return _detail_with_errors(
                request, ird_id, error.status_code, **{f"{prefix}_form": form}
            )
        messages.success(request, success(target))
        return redirect("ird:detail", ird_id=target.pk)
    return _detail_with_errors(request, ird_id, **{f"{prefix}_form": form})


@login_required
@require_POST
def initial_discussion(request, ird_id):
    return _detail_form_post(
        request,
        ird_id,
        allowed=lambda viewer: viewer.can_record_initial_discussion,
        refusal="A coordinator, or police, health or social work staff invited to the IRD, "
        "record the initial discussion before it.",
        form_class=forms.InitialDiscussionForm,
        prefix="initial",
        call=lambda ird, data: services.initial_discussion_record(
            ird=ird, by=request.user, held_at=data["held_at"], summary=data["summary"]
        ),
        success=lambda ird: (
            "Initial discussion recorded. The full IRD is due the next working day."
        ),
    )


@login_required
@require_POST
def repeat_request(request, ird_id):
    return _detail_form_post(
        request,
        ird_id,
        allowed=lambda viewer: viewer.can_request_repeat,
        refusal="A coordinator, or police, health or social work staff invited to the IRD, "
        "ask for a repeat IRD.",
        form_class=forms.RepeatForm,
        prefix="repeat",
        call=lambda ird, data: services.ird_follow_on(
            ird=ird, by=request.user, reason=data["reason"]
        ),
        success=lambda ird: (
            f"Repeat IRD {ird.reference} requested. The coordinators have been told."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def convene(request, referral_id):
    """Convene an IRD from a concern without waiting for screening (NG2021 3.18)."""
    referral = referral_access.access_referral(request.user, referral_id)
    if not access.may_convene(request.user, referral):
        _refuse("Social work staff convene an IRD from an open concern.")
    form = forms.ConveneForm(request.POST or None, prefix="convene")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ird = services.ird_convene(
                    referral=referral, by=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status_code
            else:
                messages.success(
                    request,
                    f"IRD {ird.reference} asked for. The coordinators have been told; its "
                    "clock has started.",
                )
                return redirect("referral_detail", referral_id=referral.pk)
        else:
            status = 400
    else:
        audit.record(
            actor=request.user,
            action=audit.Action.VIEW,
            subject=referral,
            detail={"page": "convene_ird"},
        )
    return render(request, "ird/convene.html", {"referral": referral, "form": form}, status=status)


# --- Scheduling -------------------------------------------------------------------------------


def _schedule_initial(ird: Ird) -> dict:
    initial = {"version": ird.version, "duration_minutes": ird.duration_minutes}
    if ird.status == Status.SCHEDULED:
        initial.update(
            {
                "scheduled_for": timezone.localtime(ird.scheduled_for).replace(tzinfo=None),
                "chair": ird.chair_id,
                "recorder": ird.recorder_id,
                "participants": [invitation.staff_id for invitation in ird.invitations.all()],
                "dial_in": ird.dial_in,
                "meeting_id": ird.meeting_id,
                "pin": ird.pin,
            }
        )
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def ird_schedule(request, ird_id):
    ird, viewer = _load(request, ird_id)
    if not viewer.can_schedule:
        _refuse("Only a social work manager schedules this IRD, before it starts.")
    form = forms.ScheduleForm(request.POST or None, initial=_schedule_initial(ird))
    status, conflict = 200, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            plan = services.Schedule(
                scheduled_for=data["scheduled_for"],
                duration_minutes=data["duration_minutes"],
                chair=data["chair"],
                recorder=data["recorder"],
                participants=list(data["participants"]),
                dial_in=data["dial_in"],
                meeting_id=data["meeting_id"],
                pin=data["pin"],
            )
            first = ird.status == Status.REQUESTED
            try:
                services.ird_schedule(
                    ird=ird, by=request.user, plan=plan, expected_version=data["version"]
                )
            except EditConflict as error:
                # The form keeps what was typed; submitting again saves it over the change.
                form.add_error(None, str(error))
                status, conflict = 409, True
                ird = Ird.objects.get(pk=ird.pk)
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status_code
            else:
                messages.success(
                    request,
                    "IRD scheduled: the invitations are on their way."
                    if first
                    else "IRD rescheduled: everyone invited gets the update.",
                )
                return redirect("ird:detail", ird_id=ird.pk)
    if request.method == "GET":
        _audit_view(request, ird, "schedule")
    return render(
        request,
        "ird/schedule.html",
        {"ird": ird, "viewer": viewer, "form": form, "conflict": conflict},
        status=status,
    )


@login_required
@require_POST
def ird_cancel(request, ird_id):
    ird, viewer = _load(request, ird_id, full=False)
    if not viewer.can_cancel:
        _refuse("Only a social work manager cancels this IRD, before it starts.")
    form = forms.CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            services.ird_cancel(
                ird=ird,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return _detail_with_errors(request, ird_id, error.status_code, cancel_form=form)
        messages.success(request, f"{ird.reference} cancelled.")
        return redirect("ird:detail", ird_id=ird.pk)
    return _detail_with_errors(request, ird_id, cancel_form=form)


@login_required
@require_POST
def ird_child(request, ird_id, child_id):
    ird, viewer = _load(request, ird_id, full=False)
    child = get_object_or_404(IrdChild.objects.select_related("person"), pk=child_id, ird=ird)
    if not viewer.can_decide_children:
        _refuse("Only the IRD's coordinator decides which children it covers.")
    prefix = f"child-{child.pk}"
    form = forms.ChildDecisionForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            services.child_decide(
                child=child,
                by=request.user,
                include=form.cleaned_data["include"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return _detail_with_errors(
                request, ird_id, error.status_code, **{f"child_form_{child.pk}": form}
            )
        messages.success(request, f"Decision recorded for {child.person.full_name}.")
        return redirect(reverse("ird:detail", args=[ird.pk]) + "#children")
    return _detail_with_errors(request, ird_id, **{f"child_form_{child.pk}": form})


@login_required
@require_POST
def ird_start(request, ird_id):
    ird, viewer = _load(request, ird_id, full=False)
    if not (viewer.is_chair or viewer.is_recorder):
        _refuse("Only the chair or the recorder starts the IRD.")
    form = forms.StartForm(request.POST, prefix="start")
    if form.is_valid():
        try:
            services.ird_start(
                ird=ird,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return _detail_with_errors(request, ird_id, error.status_code, start_form=form)
        messages.success(request, "IRD started: the record is open.")
        return redirect("ird:record", ird_id=ird.pk)
    return _detail_with_errors(request, ird_id, start_form=form)


@login_required
@require_safe
def ird_calendar(request, ird_id):
    """The invitation as an .ics file, for the invited (the same event as the e-mail)."""
    ird, viewer = _load(request, ird_id, full=False)
    if not viewer.invited or ird.scheduled_for is None:
        _refuse("The calendar entry is for the people invited.")
    method = (
        CalendarMessage.Method.CANCEL
        if ird.status == Status.CANCELLED
        else CalendarMessage.Method.REQUEST
    )
    ics = calendar.invitation_ics(
        ird=ird, method=method, attendees=list(_invited_staff(ird)), stamp=timezone.now()
    )
    _audit_view(request, ird, "calendar", audit.Action.EXPORT)  # it names the children
    response = HttpResponse(ics, content_type=f"text/calendar; method={method}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ird.reference}.ics"'
    return response


# --- The record -------------------------------------------------------------------------------


def _record_context(request, ird: Ird, viewer: access.Viewer, **forms_in) -> dict:
    context = {
        **selectors.record_parts(ird),
        "viewer": viewer,
        "problems": services.sign_off_problems(ird)
        if viewer.is_chair and ird.status in access.RECORDING
        else [],
        "version_form": forms.VersionForm(initial={"version": ird.version}),
        "sign_off_form": forms.SignOffForm(initial={"version": ird.version}),
    }
    if viewer.can_record:
        invited = _invited_staff(ird)
        context.update(
            {
                "attendance_form": forms.AttendanceForm(prefix="attendance", invited=invited),
                "absence_form": forms.AbsenceForm(prefix="absence"),
                "details_form": forms.RecordDetailsForm(
                    prefix="details",
                    initial={
                        "mode": ird.mode,
                        "chronology_considered": ird.chronology_considered_at is not None,
                    },
                ),
                "lead_form": forms.LeadProfessionalForm(
                    prefix="lead", initial={"lead": ird.lead_professional_id}
                ),
                "decision_form": forms.DecisionForm(prefix="decision"),
                "action_form": forms.ActionForm(prefix="action", invited=invited),
            }
        )
    if viewer.can_add_addendum:
        context["addendum_form"] = forms.AddendumForm(prefix="addendum")
    if viewer.can_circulate:
        invited = _invited_staff(ird)
        context["circulate_form"] = forms.CirculateForm(
            prefix="circulate",
            invited=invited,
            initial={"recipients": [staff.pk for staff in invited]},
        )
    context.update(forms_in)
    context["error_forms"] = [form for form in forms_in.values() if getattr(form, "errors", None)]
    return context


def _can_see_record(viewer: access.Viewer) -> None:
    if not viewer.can_see_record:
        _refuse("The record is for the people invited to the IRD.")


@login_required
@require_safe
def ird_record(request, ird_id):
    ird, viewer = _load(request, ird_id)
    _can_see_record(viewer)
    _audit_view(request, ird, "record")
    return render(request, "ird/record.html", _record_context(request, ird, viewer))


def _record_with_errors(request, ird_id, status: int = 400, **forms_in):
    ird, viewer = _load(request, ird_id)
    return render(
        request, "ird/record.html", _record_context(request, ird, viewer, **forms_in), status=status
    )


@login_required
@require_safe
def record_live(request, ird_id):
    """The record pushed to everyone invited as it changes (server-sent events, ird/live.py).
    Opening the stream is one audited read; the browser reopens it every minute or so, which
    checks access again. `Last-Event-ID` (or `seen`) is the record version the browser has."""
    ird, viewer = _load(request, ird_id, full=False)
    _can_see_record(viewer)
    _audit_view(request, ird, "live")
    seen = request.headers.get("Last-Event-ID") or request.GET.get("seen", "")
    seen = parse_version(seen)
    if not connection.in_atomic_block:
        connection.close()  # the stream holds a thread, not a database connection
    response = StreamingHttpResponse(live.stream(ird.pk, seen), content_type="text/event-stream")
    response["X-Accel-Buffering"] = "no"  # a proxy must pass each event on at once
    return response


@login_required
@require_POST
def section_save(request, ird_id, key):
    """Autosave of one section (htmx: answers a fragment) or its Save button (no JavaScript:
    back to the page)."""
    ird, viewer = _load(request, ird_id, full=False)
    if key not in RecordSection.Key.values:
        raise Http404("No such section.")
    if not (viewer.is_recorder or key in viewer.writable_sections):
        _refuse("You write your own agency's information in the record; the recorder the rest.")
    form = forms.SectionForm(request.POST)
    if not form.is_valid():
        message = "; ".join(error for errors in form.errors.values() for error in errors)
        return _section_answer(request, ird, key, status=400, message=message)
    try:
        section = services.section_save(
            ird=ird,
            key=key,
            text=form.cleaned_data["text"],
            by=request.user,
            based_on=form.cleaned_data["version"],
        )
    except SectionConflict as conflict:
        return _section_answer(
            request,
            ird,
            key,
            status=409,
            message=str(conflict),
            theirs=conflict.section,
            mine=form.cleaned_data["text"],
        )
    except DomainError as error:
        return _section_answer(request, ird, key, status=error.status_code, message=str(error))
    if request.htmx:
        return render(
            request, "ird/_section_saved.html", {"ird": ird, "section": section, "oob": True}
        )
    messages.success(request, f"{section.get_key_display()} saved.")
    return redirect(reverse("ird:record", args=[ird.pk]) + f"#section-{key}")


def _section_answer(request, ird, key, *, status, message, theirs=None, mine=""):
    if request.htmx:
        return render(
            request,
            "ird/_section_problem.html",
            {
                "ird": ird,
                "key": key,
                "message": message,
                "theirs": theirs,
                "mine": mine,
            },
            status=status,
        )
    ird, viewer = _load(request, ird.pk)
    context = _record_context(request, ird, viewer)
    context.update(
        {"section_problem": {"key": key, "message": message, "theirs": theirs, "mine": mine}}
    )
    return render(request, "ird/record.html", context, status=status)


def _record_form_view(
    request, ird_id, *, form_class, prefix: str, anchor: str, success: str, call, form_kwargs=None
):
    """A recorder's form on the record page: service call on success, the page with errors
    otherwise."""
    ird, viewer = _load(request, ird_id, full=False)
    if not viewer.is_recorder:
        _refuse("Only the recorder edits the IRD record.")
    kwargs = form_kwargs(ird) if form_kwargs else {}
    form = form_class(request.POST, prefix=prefix, **kwargs)
    if form.is_valid():
        try:
            call(ird, form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
            return _record_with_errors(
                request, ird_id, error.status_code, **{f"{prefix}_form": form}
            )
        messages.success(request, success)
        return redirect(reverse("ird:record", args=[ird.pk]) + f"#{anchor}")
    return _record_with_errors(request, ird_id, **{f"{prefix}_form": form})


def _invited_kwargs(ird: Ird) -> dict:
    return {"invited": selectors.invited_staff(ird, current_only=True)}


@login_required
@require_POST
def attendance_add(request, ird_id):
    def call(ird, data):
        person = data["person"]
        services.attendance_add(
            ird=ird,
            by=request.user,
            staff=person,
            name=person.get_full_name() if person else data["name"],
            agency=person.agency if person else data["agency"],
            role=data["role"] or (person.job_title if person else ""),
            seniority=data["seniority"],
            joined_at=data["joined_at"],
            left_at=data["left_at"],
        )

    return _record_form_view(
        request,
        ird_id,
        form_class=forms.AttendanceForm,
        prefix="attendance",
        anchor="attendance",
        success="Attendance recorded.",
        call=call,
        form_kwargs=_invited_kwargs,
    )


@login_required
@require_POST
def attendance_left(request, ird_id, attendance_id):
    ird, viewer = _load(request, ird_id, full=False)
    attendance = get_object_or_404(Attendance, pk=attendance_id, ird=ird)
    if not viewer.is_recorder:
        _refuse("Only the recorder edits the IRD record.")
    form = forms.LeftForm(request.POST, prefix=f"left-{attendance.pk}")
    if form.is_valid():
        try:
            services.attendance_left(
                attendance=attendance, by=request.user, left_at=form.cleaned_data["left_at"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{attendance.name} left.")
    else:
        messages.error(request, "Enter when they left, as a date and time.")
    return redirect(reverse("ird:record", args=[ird.pk]) + "#attendance")


@login_required
@require_POST
def absence_record(request, ird_id):
    return _record_form_view(
        request,
        ird_id,
        form_class=forms.AbsenceForm,
        prefix="absence",
        anchor="attendance",
        success="Reason for absence recorded.",
        call=lambda ird, data: services.absence_reason_record(
            ird=ird, by=request.user, agency_kind=data["agency_kind"], reason=data["reason"]
        ),
    )


@login_required
@require_POST
def record_details(request, ird_id):
    return _record_form_view(
        request,
        ird_id,
        form_class=forms.RecordDetailsForm,
        prefix="details",
        anchor="details",
        success="How the IRD was held recorded.",
        call=lambda ird, data: services.record_details_save(
            ird=ird,
            by=request.user,
            mode=data["mode"],
            chronology_considered=data["chronology_considered"],
        ),
    )


@login_required
@require_POST
def lead_professional(request, ird_id):
    return _record_form_view(
        request,
        ird_id,
        form_class=forms.LeadProfessionalForm,
        prefix="lead",
        anchor="lead",
        success="Lead professional named.",
        call=lambda ird, data: services.lead_professional_name(
            ird=ird, by=request.user, lead=data["lead"]
        ),
    )


@login_required
@require_POST
def decision_add(request, ird_id):
    return _record_form_view(
        request,
        ird_id,
        form_class=forms.DecisionForm,
        prefix="decision",
        anchor="decisions",
        success="Decision recorded.",
        call=lambda ird, data: services.decision_add(
            ird=ird, by=request.user, code=data["code"], rationale=data["rationale"]
        ),
    )


@login_required
@require_POST
def decision_remove(request, ird_id, decision_id):
    ird, viewer = _load(request, ird_id, full=False)
    decision = get_object_or_404(
        IrdDecision.objects.select_related("code"), pk=decision_id, ird=ird
    )
    if not viewer.is_recorder:
        _refuse("Only the recorder edits the IRD record.")
    try:
        services.decision_remove(decision=decision, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Decision removed: {decision.code.label}.")
    return redirect(reverse("ird:record", args=[ird.pk]) + "#decisions")


@login_required
@require_POST
def action_add(request, ird_id):
    return _record_form_view(
        request,
        ird_id,
        form_class=forms.ActionForm,
        prefix="action",
        anchor="actions",
        success="Action recorded.",
        form_kwargs=_invited_kwargs,
        call=lambda ird, data: services.action_add(
            ird=ird,
            by=request.user,
            description=data["description"],
            owner_agency=data["owner_agency"],
            owner=data["owner"],
            due_date=data["due_date"],
            holds_cppm=data["holds_cppm"],
        ),
    )


def _lifecycle_post(
    request, ird_id, *, allowed, refusal: str, call, success: str, form_class=forms.VersionForm
):
    ird, viewer = _load(request, ird_id, full=False)
    if not allowed(viewer):
        _refuse(refusal)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "The form was incomplete: try again.")
        return redirect("ird:record", ird_id=ird.pk)
    try:
        call(ird, form.cleaned_data)
    except SignOffRefused as refusal_error:
        ird, viewer = _load(request, ird_id)
        context = _record_context(request, ird, viewer)
        context["lifecycle_errors"] = refusal_error.problems
        return render(request, "ird/record.html", context, status=400)
    except DomainError as error:
        ird, viewer = _load(request, ird_id)
        context = _record_context(request, ird, viewer)
        context["lifecycle_errors"] = [str(error)]
        return render(request, "ird/record.html", context, status=error.status_code)
    messages.success(request, success)
    return redirect("ird:record", ird_id=ird.pk)


@login_required
@require_POST
def ird_conclude(request, ird_id):
    return _lifecycle_post(
        request,
        ird_id,
        allowed=lambda viewer: viewer.is_chair or viewer.is_recorder,
        refusal="Only the chair or the recorder concludes the IRD.",
        call=lambda ird, data: services.ird_conclude(
            ird=ird, by=request.user, expected_version=data["version"]
        ),
        success="IRD concluded. The recorder completes the record; the chair signs it off.",
    )


@login_required
@require_POST
def ird_sign_off(request, ird_id):
    return _lifecycle_post(
        request,
        ird_id,
        allowed=lambda viewer: viewer.is_chair,
        refusal="Only the chair signs the IRD record off.",
        form_class=forms.SignOffForm,
        call=lambda ird, data: services.ird_sign_off(
            ird=ird, by=request.user, confirmed=data["confirm"], expected_version=data["version"]
        ),
        success="Record signed off. It can now change only by addenda.",
    )


# --- After sign-off --------------------------------------------------------------------------


@login_required
@require_POST
def addendum_add(request, ird_id):
    ird, viewer = _load(request, ird_id, full=False)
    if not viewer.can_add_addendum:
        _refuse("Addenda are added by the IRD's participants once it is signed off.")
    form = forms.AddendumForm(request.POST, prefix="addendum")
    if form.is_valid():
        try:
            services.addendum_add(ird=ird, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
            return _record_with_errors(request, ird_id, error.status_code, addendum_form=form)
        messages.success(request, "Addendum added.")
        return redirect(reverse("ird:record", args=[ird.pk]) + "#addenda")
    return _record_with_errors(request, ird_id, addendum_form=form)


@login_required
@require_POST
def record_circulate(request, ird_id):
    ird, viewer = _load(request, ird_id, full=False)
    if not viewer.can_circulate:
        _refuse("The chair or the recorder circulates the signed record.")
    form = forms.CirculateForm(request.POST, prefix="circulate", **_invited_kwargs(ird))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_circulate(
                ird=ird,
                by=request.user,
                recipients=list(data["recipients"]),
                other_recipient=data["other_recipient"],
                other_method=data["other_method"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return _record_with_errors(request, ird_id, error.status_code, circulate_form=form)
        messages.success(request, "Record circulated; see the circulation log.")
        return redirect(reverse("ird:detail", args=[ird.pk]) + "#circulation")
    return _record_with_errors(request, ird_id, circulate_form=form)


@login_required
@require_safe
@ratelimit.per_user("print", "print")
def record_print(request, ird_id):
    ird, viewer = _load(request, ird_id)
    _can_see_record(viewer)
    _audit_view(request, ird, "print", action=audit.Action.EXPORT)
    context = _record_context(request, ird, viewer)
    context["follow_up"] = list(ird.follow_up.all())
    context["circulation"] = list(ird.circulation.all())
    return render(request, "ird/print.html", context)


@login_required
@require_safe
def record_revisions(request, ird_id):
    ird, viewer = _load(request, ird_id, full=False)
    _can_see_record(viewer)
    _audit_view(request, ird, "revisions")
    return render(
        request,
        "ird/revisions.html",
        {
            "ird": ird,
            "viewer": viewer,
            "revisions": list(selectors.revisions_of(ird)[:500]),
            "labels": dict(RecordSection.Key.choices),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_update(request, ird_id, action_id):
    ird, viewer = _load(request, ird_id, full=False)
    action = get_object_or_404(
        IrdAction.objects.select_related("owner", "owner_agency"), pk=action_id, ird=ird
    )
    if not viewer.can_update_action(action):
        _refuse("Only the agency that owns this action updates it, while it is open.")
    form = forms.ActionUpdateForm(
        request.POST or None,
        initial={
            "version": action.version,
            "status": action.status,
            "completion_note": action.completion_note,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.action_update(
                    action=action,
                    by=request.user,
                    status=data["status"],
                    completion_note=data["completion_note"],
                    expected_version=data["version"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status_code
            else:
                messages.success(request, "Action updated.")
                return redirect(reverse("ird:detail", args=[ird.pk]) + "#actions")
    else:
        _audit_view(request, ird, "action")
    return render(
        request, "ird/action_form.html", {"ird": ird, "action": action, "form": form}, status=status
    )


@login_required
@require_POST
def follow_up_done(request, ird_id, item_id):
    ird, viewer = _load(request, ird_id, full=False)
    item = get_object_or_404(FollowUpItem, pk=item_id, ird=ird)
    if not viewer.can_tick_follow_up:
        _refuse("The chair, recorder, lead professional or coordinator ticks off follow-up.")
    form = forms.FollowUpForm(request.POST, prefix=f"follow-{item.pk}")
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.follow_up_done(item=item, by=request.user, note=note)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Done: {item.get_code_display()}.")
    return redirect(reverse("ird:detail", args=[ird.pk]) + "#follow-up")


@login_required
@require_http_methods(["GET", "POST"])
def quality_review(request, ird_id):
    ird, viewer = _load(request, ird_id)
    if not viewer.can_review_quality:
        _refuse("IRDs are quality-reviewed by the QA team once signed off.")
    form = forms.QualityReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.quality_review_record(ird=ird, by=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status_code
            else:
                messages.success(request, "Quality review recorded.")
                return redirect(reverse("ird:detail", args=[ird.pk]) + "#quality")
    else:
        _audit_view(request, ird, "quality")
    context = _record_context(request, ird, viewer)
    context["form"] = form
    return render(request, "ird/quality_review.html", context, status=status)


# --- The IRD procedure ---------------------------------------------------------------------


def _procedure_reader(request) -> None:
    if not access.takes_part(request.user):
        _refuse("The IRD procedure pages are for the people who take part in IRDs.")


@login_required
@require_http_methods(["GET", "POST"])
def procedure_list(request):
    _procedure_reader(request)
    can_manage = access.is_quality_staff(request.user)
    if request.method == "POST" and not can_manage:
        _refuse("IRD procedures are managed by the child protection committee.")
    form = forms.ProcedureForm(request.POST or None) if can_manage else None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                procedure = services.procedure_start(by=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    f"Version {procedure.version} started its trial "
                    f"until {procedure.trial_ends_on:%d %B %Y}.",
                )
                return redirect("ird:procedure_detail", procedure_id=procedure.pk)
    return render(
        request,
        "ird/procedures.html",
        {
            "procedures": list(selectors.procedures()),
            "form": form,
            "can_manage": can_manage,
        },
        status=status,
    )


def _procedure_page(request, procedure, form, status=200):
    return render(
        request,
        "ird/procedure_detail.html",
        {
            "procedure": procedure,
            "reviews": list(procedure.reviews.select_related("reviewed_by", "next_version")),
            "form": form,
            "can_review": access.is_quality_staff(request.user)
            and procedure.status == ProcedureVersion.Status.TRIAL,
        },
        status=status,
    )


@login_required
@require_safe
def procedure_detail(request, procedure_id):
    _procedure_reader(request)
    procedure = get_object_or_404(selectors.procedures(), pk=procedure_id)
    return _procedure_page(request, procedure, forms.ProcedureReviewForm(prefix="review"))


@login_required
@require_POST
def procedure_review(request, procedure_id):
    _procedure_reader(request)
    procedure = get_object_or_404(selectors.procedures(), pk=procedure_id)
    if not access.is_quality_staff(request.user):
        _refuse("IRD procedures are reviewed by the child protection committee.")
    form = forms.ProcedureReviewForm(request.POST, prefix="review")
    if form.is_valid():
        data = form.cleaned_data
        next_version = None
        if data["outcome"] == "amend" and data["next_version"]:
            next_version = {
                "title": procedure.title,
                "version": data["next_version"],
                "effective_from": data["next_effective_from"],
                "text": data["next_text"],
                "trial_months": procedure.trial_months,
            }
        try:
            services.procedure_review(
                procedure=procedure,
                by=request.user,
                outcome=data["outcome"],
                notes=data["notes"],
                extended_until=data["extended_until"],
                next_version=next_version,
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return _procedure_page(request, procedure, form, status=error.status_code)
        messages.success(request, "Review recorded.")
        return redirect("ird:procedure_detail", procedure_id=procedure.pk)
    return _procedure_page(request, procedure, form, status=400)
