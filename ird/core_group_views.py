"""The core group page (members, meetings, the child's plan) and its forms. Thin, as the CPPM
pages: load through ird.access (404 outside scope), check the action (403), validate the form,
call ird.core_group, redirect; a refusal shows its message on the page (400, or 409 for a
version conflict) with nothing saved. Every page naming the child writes one audit row."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from ird import access, core_group, forms, selectors
from ird.models import CoreGroup, PlanAction
from referrals import audit, extensions
from referrals.errors import DomainError, EditConflict

MANAGE = "The lead professional or a social work manager of the referral's team does this."


def _load(request, group_id) -> tuple[CoreGroup, access.CoreGroupViewer]:
    visible = access.core_groups_visible_to(request.user)
    found = access.access_core_group(request.user, group_id, selectors.core_group_page(visible))
    return found, access.core_group_viewer(request.user, found)


def _update_form(action: PlanAction, version: int, data=None):
    return forms.PlanActionUpdateForm(
        data,
        prefix=f"update-{action.pk}",
        initial={"version": version, "status": action.status},
    )


def _current(group: CoreGroup) -> list:
    """Members now: those who left stay on the page but get no new meetings."""
    return [member for member in group.members.all() if member.left_at is None]


def _leavers(group: CoreGroup) -> list:
    """Who may be recorded as leaving: anyone current but the lead professional."""
    return [
        member
        for member in _current(group)
        if member.kind != member.Kind.LEAD_PROFESSIONAL
        and member.staff_id != group.lead_professional_id
    ]


def _context(group: CoreGroup, viewer: access.CoreGroupViewer, **forms_in) -> dict:
    members = list(group.members.all())
    actions = list(group.plan_actions.all())
    person = group.registration.person
    action_deadlines = core_group.live_action_deadlines(actions)
    left = core_group.left_staff_ids(group, members)
    today = timezone.localdate()
    for action in actions:
        action.deadline = action_deadlines.get(str(action.pk))
        action.needs_owner = action.status == PlanAction.Status.OPEN and action.owner_id in left
        action.overdue = action.status == PlanAction.Status.OPEN and action.due_date < today
        if viewer.can_update_action(action):
            action.update_form = forms_in.pop(f"update_{action.pk}", None) or _update_form(
                action, group.version
            )
    context = {
        "group": group,
        "viewer": viewer,
        "person": person,
        "register": extensions.register_status([person.pk]).get(person.pk),
        "members": members,
        "meetings": list(group.meetings.all()),
        "actions": actions,
        "deadlines": core_group.live_group_deadlines(group),
        "today": today,
    }
    if viewer.can_manage:
        context["meeting_form"] = forms.CoreGroupMeetingForm(
            prefix="meeting", members=_current(group), initial={"version": group.version}
        )
        if leavers := _leavers(group):
            context["leave_form"] = forms.CoreGroupLeaveForm(
                prefix="leave", members=leavers, initial={"version": group.version}
            )
        context["member_form"] = forms.CoreGroupMemberForm(
            prefix="member", initial={"version": group.version}
        )
        context["action_form"] = forms.PlanActionForm(
            prefix="action", initial={"version": group.version}
        )
    context.update(forms_in)
    context["error_forms"] = [
        form
        for form in [*forms_in.values(), *(getattr(a, "update_form", None) for a in actions)]
        if getattr(form, "errors", None)
    ]
    return context


@login_required
@require_safe
def core_group_detail(request, group_id):
    group, viewer = _load(request, group_id)
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        subject=group,
        object_type="core_group",
        detail={"page": "core_group"},
    )
    return render(request, "ird/core_group.html", _context(group, viewer))


def _page_again(request, group_id, key: str, form, status: int = 400):
    group, viewer = _load(request, group_id)
    context = _context(group, viewer, **{key: form})
    return render(request, "ird/core_group.html", context, status=status)


def _refused(request, group_id, form, error: DomainError, key: str):
    """The page again with the refusal on the form; after a conflict the form is based on
    the version that won, what was typed kept."""
    form.add_error(None, str(error))
    if isinstance(error, EditConflict):
        form.data = form.data.copy()
        current = CoreGroup.objects.values_list("version", flat=True).get(pk=group_id)
        form.data[form.add_prefix("version")] = str(current)
    return _page_again(request, group_id, key, form, error.status_code)


def _manage(request, group_id, form_class, prefix: str, change, done: str, members=None):
    """A change by the lead professional or a coordinator: the form's fields are the service's
    arguments (`members` picks the members the form offers); a refusal is shown on the
    page with nothing saved."""
    group, viewer = _load(request, group_id)
    if not viewer.can_manage:
        raise PermissionDenied(MANAGE)
    extra = {"members": members(group)} if members else {}
    form = form_class(request.POST, prefix=prefix, **extra)
    key = f"{prefix}_form"
    if not form.is_valid():
        return _page_again(request, group_id, key, form)
    data = dict(form.cleaned_data)
    try:
        change(group=group, by=request.user, expected_version=data.pop("version"), **data)
    except DomainError as error:
        return _refused(request, group_id, form, error, key)
    messages.success(request, done)
    return redirect("ird:core_group", group_id=group.pk)


@login_required
@require_POST
def meeting_record(request, group_id):
    return _manage(
        request,
        group_id,
        forms.CoreGroupMeetingForm,
        "meeting",
        core_group.meeting_record,
        "Meeting recorded: the next one is chased to its date.",
        members=_current,
    )


@login_required
@require_POST
def member_add(request, group_id):
    return _manage(
        request,
        group_id,
        forms.CoreGroupMemberForm,
        "member",
        core_group.member_add,
        "Member added to the core group.",
    )


@login_required
@require_POST
def member_leave(request, group_id):
    return _manage(
        request,
        group_id,
        forms.CoreGroupLeaveForm,
        "leave",
        core_group.member_leave,
        "Recorded that the member left the core group.",
        members=_leavers,
    )


@login_required
@require_POST
def plan_action_add(request, group_id):
    return _manage(
        request,
        group_id,
        forms.PlanActionForm,
        "action",
        core_group.plan_action_add,
        "Action added to the child's plan.",
    )


@login_required
@require_POST
def plan_action_update(request, group_id, action_id):
    group, viewer = _load(request, group_id)
    action = next((a for a in group.plan_actions.all() if a.pk == action_id), None)
    if action is None:
        raise Http404("No such action in this child's plan.")
    if not viewer.can_update_action(action):
        raise PermissionDenied(
            "The owner, a member from the owning agency, the lead professional or a manager "
            "updates this action, while it is open."
        )
    form = _update_form(action, group.version, request.POST)
    key = f"update_{action.pk}"
    if not form.is_valid():
        return _page_again(request, group_id, key, form)
    data = form.cleaned_data
    try:
        core_group.plan_action_update(
            action=action,
            by=request.user,
            expected_version=data["version"],
            status=data["status"],
            note=data["note"],
            due_date=data["due_date"],
        )
    except DomainError as error:
        return _refused(request, group_id, form, error, key)
    messages.success(request, "The child's plan is updated.")
    return redirect("ird:core_group", group_id=group.pk)
