"""Pages for child protection planning meetings and the register. Thin, as the IRD pages: load
through ird.access (404 outside scope), check the action (403), validate the form, call
ird.cppm, render; a refusal shows its message on the page (400, or 409 for a conflict) with
nothing saved. Every page naming a child writes one audit row."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ird import access, calendar, cppm, forms, selectors
from ird.models import CalendarMessage, Cppm
from referrals import access as referral_access
from referrals import audit, deadlines, extensions, restrictions
from referrals.errors import DomainError, EditConflict

CPPM_KINDS = ("cppm_reconvene", "cppm_record")


def _load(request, cppm_id) -> tuple[Cppm, access.CppmViewer]:
    visible = access.cppms_visible_to(request.user)
    found = access.access_cppm(request.user, cppm_id, selectors.cppm_page(visible))
    return found, access.cppm_viewer(request.user, found)


def _audit(request, subject, page: str, action: str = audit.Action.VIEW) -> None:
    audit.record(actor=request.user, action=action, subject=subject, detail={"page": page})


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


# --- Scheduling -------------------------------------------------------------------------------


def _reconvening(request, referral):
    """The inquorate CPPM named by ?reconvene=, which the user must be able to see."""
    wanted = request.GET.get("reconvene") or request.POST.get("reconvene")
    if not wanted:
        return None
    try:
        found = access.access_cppm(request.user, UUID(wanted))
    except ValueError:
        raise Http404("No CPPM found.") from None
    if found.referral_id != referral.pk:
        raise Http404("No CPPM found.")
    return found


@login_required
@require_http_methods(["GET", "POST"])
def cppm_new(request, referral_id):
    referral = referral_access.access_referral(request.user, referral_id)
    if not access.may_coordinate(request.user, referral):
        raise PermissionDenied("A social work manager of the referral's team schedules CPPMs.")
    previous = _reconvening(request, referral)
    initial = {"kind": previous.kind if previous else Cppm.Kind.INITIAL, "duration_minutes": 90}
    form = forms.CppmScheduleForm(
        request.POST or None, initial=initial, carried_on=previous.kind if previous else None
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            plan = cppm.CppmPlan(
                kind=data["kind"],
                scheduled_for=data["scheduled_for"],
                chair=data["chair"],
                invitees=list(data["invitees"]),
                duration_minutes=data["duration_minutes"],
                place=data["place"],
                dial_in=data["dial_in"],
                short_notice_reason=data["short_notice_reason"],
                extension_reasons=data["extension_reasons"],
                interim_safety_plan=data["interim_safety_plan"],
            )
            try:
                meeting = cppm.cppm_schedule(
                    referral=referral, by=request.user, plan=plan, previous=previous
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status_code
            else:
                messages.success(
                    request, f"{meeting.reference} scheduled: the invitations are on their way."
                )
                return redirect("ird:cppm_detail", cppm_id=meeting.pk)
    else:
        _audit(request, referral, "schedule_cppm")
    ird = cppm.signed_off_ird(referral)
    due = deadlines.live_deadlines(
        subject_type="referral", subject_id=str(referral.pk), kind="cppm"
    ).first()
    return render(
        request,
        "ird/cppm_schedule.html",
        {
            "referral": referral,
            "ird": ird,
            "needed": ird is not None and cppm.ird_decided_cppm(ird),
            "due": due,
            "previous": previous,
            "form": form,
        },
        status=status,
    )


# --- The meeting ----------------------------------------------------------------------------


def _detail_context(request, meeting: Cppm, viewer: access.CppmViewer, **forms_in) -> dict:
    children = list(meeting.children.all())
    context = {
        "cppm": meeting,
        "viewer": viewer,
        "children": children,
        "register": extensions.register_status([child.pk for child in children]),
        "invitations": list(meeting.invitations.all()),
        "categories": list(meeting.categories.all()),
        "registered": list(meeting.registrations.all()),
        "deregistered": list(meeting.deregistrations.all()),
        "deadlines": list(
            deadlines.live_deadlines(subject_type="cppm", subject_id=str(meeting.pk))
            .filter(timescale__kind__in=CPPM_KINDS)
            .select_related("timescale")
        ),
        "reconvened": Cppm.objects.filter(previous=meeting).first(),
        "core_groups": list(
            access.core_groups_visible_to(request.user)
            .filter(formed_at=meeting)
            .select_related("registration__person")
        ),
    }
    for child in children:
        child.register_status = context["register"].get(child.pk)
    if viewer.can_record_outcome:
        context["outcome_form"] = forms.CppmOutcomeForm(
            prefix="outcome",
            children=children,
            initial={
                "version": meeting.version,
                "held_at": _local(meeting.scheduled_for),
                "lead_professional": meeting.ird.lead_professional_id if meeting.ird else None,
            },
        )
    if viewer.can_reschedule:
        context["reschedule_form"] = forms.CppmRescheduleForm(
            prefix="reschedule", initial={"version": meeting.version}
        )
        context["cancel_form"] = forms.CppmCancelForm(
            prefix="cancel", initial={"version": meeting.version}
        )
    if viewer.can_write_record:
        context["record_form"] = forms.CppmRecordForm(
            prefix="record", initial={"text": meeting.record, "based_on": meeting.version}
        )
    context.update(forms_in)
    context["error_forms"] = [form for form in forms_in.values() if getattr(form, "errors", None)]
    return context


@login_required
@require_safe
def cppm_detail(request, cppm_id):
    meeting, viewer = _load(request, cppm_id)
    _audit(request, meeting, "cppm")
    return render(request, "ird/cppm_detail.html", _detail_context(request, meeting, viewer))


def _with_errors(request, cppm_id, status: int, **forms_in):
    meeting, viewer = _load(request, cppm_id)
    context = _detail_context(request, meeting, viewer, **forms_in)
    return render(request, "ird/cppm_detail.html", context, status=status)


@login_required
@require_POST
def cppm_outcome(request, cppm_id):
    meeting, viewer = _load(request, cppm_id)
    if not viewer.is_chair:
        raise PermissionDenied("Only the chair records the CPPM's outcome.")
    form = forms.CppmOutcomeForm(request.POST, prefix="outcome", children=meeting.children.all())
    if not form.is_valid():
        return _with_errors(request, cppm_id, 400, outcome_form=form)
    data = form.cleaned_data
    outcome = cppm.Outcome(
        quorate=data["quorate"],
        held_at=data["held_at"],
        register=list(data["register"]),
        deregister=list(data["deregister"]),
        categories=list(data["categories"]),
        lead_professional=data["lead_professional"],
        reporter_referral=data["reporter_referral"],
        reporter_note=data["reporter_note"],
    )
    try:
        cppm.cppm_outcome_record(
            cppm=meeting, by=request.user, outcome=outcome, expected_version=data["version"]
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return _with_errors(request, cppm_id, error.status_code, outcome_form=form)
    messages.success(
        request,
        "Outcome recorded." if outcome.quorate else "Recorded as inquorate: reconvene it.",
    )
    return redirect("ird:cppm_detail", cppm_id=meeting.pk)


@login_required
@require_POST
def cppm_record(request, cppm_id):
    meeting, viewer = _load(request, cppm_id)
    if not (viewer.is_chair or viewer.coordinator):
        raise PermissionDenied("The chair or a coordinator writes the CPPM record.")
    form = forms.CppmRecordForm(request.POST, prefix="record")
    if not form.is_valid():
        return _with_errors(request, cppm_id, 400, record_form=form)
    data = form.cleaned_data
    try:
        cppm.cppm_record_save(
            cppm=meeting,
            by=request.user,
            text=data["text"],
            based_on=data["based_on"],
            issue=data["issue"],
        )
    except EditConflict as error:
        form.add_error(None, str(error))
        # What was typed stays; the next save is based on the version that won.
        meeting.refresh_from_db(fields=["version"])
        form.data = form.data.copy()
        form.data["record-based_on"] = str(meeting.version)
        return _with_errors(request, cppm_id, error.status_code, record_form=form)
    except DomainError as error:
        form.add_error(None, str(error))
        return _with_errors(request, cppm_id, error.status_code, record_form=form)
    messages.success(request, "Record issued." if data["issue"] else "Record saved.")
    return redirect("ird:cppm_detail", cppm_id=meeting.pk)


def _change_scheduled(request, cppm_id, form_class, prefix: str, change, done: str):
    """Move or cancel: who may schedule the CPPM does it; the form's fields are the service's
    arguments; a refusal is shown on the CPPM page with nothing saved."""
    meeting, viewer = _load(request, cppm_id)
    if not viewer.coordinator:
        raise PermissionDenied("A social work manager of the referral's team moves its CPPMs.")
    form = form_class(request.POST, prefix=prefix)
    key = f"{prefix}_form"
    if not form.is_valid():
        return _with_errors(request, cppm_id, 400, **{key: form})
    data = dict(form.cleaned_data)
    try:
        change(cppm=meeting, by=request.user, expected_version=data.pop("version"), **data)
    except DomainError as error:
        form.add_error(None, str(error))
        return _with_errors(request, cppm_id, error.status_code, **{key: form})
    messages.success(request, f"{meeting.reference} {done}: everyone invited is told.")
    return redirect("ird:cppm_detail", cppm_id=meeting.pk)


@login_required
@require_POST
def cppm_reschedule(request, cppm_id):
    return _change_scheduled(
        request, cppm_id, forms.CppmRescheduleForm, "reschedule", cppm.cppm_reschedule, "moved"
    )


@login_required
@require_POST
def cppm_cancel(request, cppm_id):
    return _change_scheduled(
        request, cppm_id, forms.CppmCancelForm, "cancel", cppm.cppm_cancel, "cancelled"
    )


@login_required
@require_safe
def cppm_calendar(request, cppm_id):
    """The invitation as an .ics file, for the invited (the same event as the e-mail)."""
    meeting, viewer = _load(request, cppm_id)
    if not viewer.invited:
        raise PermissionDenied("The calendar entry is for the people invited.")
    invited = [invitation.staff for invitation in meeting.invitations.all()]
    ics = calendar.cppm_ics(
        cppm=meeting,
        method=CalendarMessage.Method.REQUEST,
        attendees=invited,
        stamp=timezone.now(),
    )
    _audit(request, meeting, "calendar", audit.Action.EXPORT)
    response = HttpResponse(ics, content_type="text/calendar; method=REQUEST; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{meeting.reference}.ics"'
    return response


# --- CPPMs due -----------------------------------------------------------------------------


@login_required
@require_safe
def cppms_due(request):
    """A team manager's scheduled CPPMs (a service manager's: every team's), the ones whose
    time has passed without an outcome marked overdue: one query however many."""
    if not access.is_coordinator(request.user):
        raise PermissionDenied("The CPPMs due are for social work team and service managers.")
    rows = list(selectors.cppms_due(access.cppms_visible_to(request.user)))
    now = timezone.now()
    for row in rows:
        row.overdue = row.scheduled_for < now
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        object_type="cppm_list",
        detail={"cppms": [str(row.pk) for row in rows]},
    )
    return render(
        request,
        "ird/cppms_due.html",
        {"upcoming": [r for r in rows if not r.overdue], "overdue": [r for r in rows if r.overdue]},
    )


# --- The register -----------------------------------------------------------------------


@login_required
@require_safe
def register(request):
    """Children on the child protection register now, for managers and the committee: a
    fixed number of queries whatever the number of children."""
    if not access.can_see_register(request.user):
        raise PermissionDenied("The register is for managers and the child protection committee.")
    rows = list(selectors.register_rows())
    hidden = restrictions.hidden_ids(request.user)
    groups = dict(
        access.core_groups_visible_to(request.user)
        .filter(registration_id__in=[row.pk for row in rows])
        .values_list("registration_id", "pk")
    )
    for row in rows:
        row.hidden = row.person_id in hidden
        row.core_group_id = groups.get(row.pk)
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        object_type="cp_register",
        detail={"people": sorted(str(row.person_id) for row in rows if not row.hidden)},
    )
    return render(
        request,
        "ird/register.html",
        {"rows": rows, "today": timezone.localdate()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def register_temporary(request, referral_id):
    referral = referral_access.access_referral(request.user, referral_id)
    if not access.may_coordinate(request.user, referral):
        raise PermissionDenied("A social work manager of the referral's team records this.")
    children = list(referral.children.all())
    form = forms.TemporaryRegistrationForm(
        request.POST or None,
        children=children,
        initial={"registered_on": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                cppm.registration_temporary_record(
                    referral=referral,
                    person=data["child"],
                    by=request.user,
                    from_authority=data["from_authority"],
                    registered_on=data["registered_on"],
                    categories=list(data["categories"]),
                    moved_here=data["moved_here"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = error.status_code
            else:
                messages.success(
                    request, f"{data['child'].full_name} is registered here temporarily."
                )
                return redirect("referral_detail", referral_id=referral.pk)
    else:
        _audit(request, referral, "temporary_registration")
    return render(
        request,
        "ird/register_temporary.html",
        {"referral": referral, "form": form},
        status=status,
    )
