"""Forms for the IRD pages. They check the shape of the input; the rules of practice (who may,
what sign-off needs) live in services and come back as DomainError messages."""

from django import forms
from django.utils import timezone

from ird import selectors
from ird.models import (
    Attendance,
    Circulation,
    CoreGroupMember,
    Cppm,
    Ird,
    IrdAction,
    PlanAction,
    ProcedureReview,
)
from referrals.forms import DATE_ERRORS, DateInput, DateTimeInput
from referrals.grades import Grade
from referrals.models import Agency, ConcernCategory, Person
from referrals.validation import BoundedDateField, BoundedDateTimeField

DATETIME_ERRORS = {"invalid": "Enter a real date and time, for example 27 3 2026 10:30."}
DURATIONS = [
    (30, "30 minutes"),
    (45, "45 minutes"),
    (60, "1 hour"),
    (90, "1 hour 30 minutes"),
    (120, "2 hours"),
]


def staff_label(staff) -> str:
    title = staff.job_title or staff.get_role_display()
    return f"{staff.get_full_name() or staff.username} – {staff.agency.name}, {title}"


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return staff_label(obj)


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return staff_label(obj)


def text_field(
    label: str,
    required_message: str = "",
    *,
    required: bool = True,
    max_length: int = 4000,
    rows: int = 4,
    help_text: str = "",
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": required_message} if required_message else {},
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ScheduleForm(VersionForm):
    scheduled_for = BoundedDateTimeField(
        label="Date and time",
        widget=DateTimeInput(),
        error_messages={**DATETIME_ERRORS, "required": "Enter the date and time of the IRD."},
    )
    duration_minutes = forms.TypedChoiceField(
        label="Length", choices=DURATIONS, coerce=int, initial=60
    )
    chair = StaffChoiceField(
        label="Chair",
        queryset=selectors.invitable_staff(),
        empty_label="Choose the chair",
        error_messages={"required": "Choose who chairs the IRD."},
    )
    recorder = StaffChoiceField(
        label="Recorder",
        queryset=selectors.invitable_staff(),
        empty_label="Choose the recorder",
        help_text="Records the IRD live. Agreed at the start (National Guidance 2021 3.19).",
        error_messages={"required": "Choose who records the IRD."},
    )
    participants = StaffMultipleChoiceField(
        label="Invite",
        queryset=selectors.invitable_staff(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Police, health and social work must take part; invite education where "
        "they are essential. The chair and recorder are invited too.",
    )
    dial_in = forms.CharField(label="Dial-in number", max_length=40, required=False)
    meeting_id = forms.CharField(label="Meeting ID", max_length=40, required=False)
    pin = forms.CharField(label="PIN", max_length=20, required=False)


class CancelForm(VersionForm):
    reason = text_field("Why is the IRD cancelled?", "Give the reason for cancelling the IRD.")


class ChildDecisionForm(VersionForm):
    include = forms.TypedChoiceField(
        label="Include this child in the IRD?",
        widget=forms.RadioSelect,
        choices=[("yes", "Yes, include"), ("no", "No")],
        coerce=lambda value: value == "yes",
        error_messages={"required": "Say whether the child is included."},
    )
    reason = text_field("If not, why not?", required=False, max_length=2000, rows=2)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("include") is False and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Record why the child is not included.")
        return cleaned


class StartForm(VersionForm):
    reason = text_field(
        "Why is the IRD being held?",
        "Record why the IRD is being held.",
        help_text="What brought the agencies together (National Guidance 2021 "
        "3.40: the record shows when and why it started).",
    )


class SectionForm(forms.Form):
    text = forms.CharField(required=False, max_length=50000, widget=forms.Textarea)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class AttendanceForm(forms.Form):
    person = StaffChoiceField(
        label="Invited person",
        queryset=selectors.invitable_staff(),
        required=False,
        empty_label="Someone not invited (type below)",
    )
    name = forms.CharField(label="Name (if not invited)", max_length=200, required=False)
    agency = forms.ModelChoiceField(
        label="Agency (if not invited)",
        queryset=Agency.objects.all(),
        required=False,
        empty_label="Choose an agency",
    )
    role = forms.CharField(label="Role", max_length=120, required=False)
    seniority = forms.ChoiceField(
        label="Seniority",
        choices=[("", "Choose their seniority"), *Attendance.Seniority.choices],
        required=False,
        error_messages={"invalid_choice": "Choose practitioner, first-line or senior manager."},
    )
    joined_at = BoundedDateTimeField(
        label="Joined",
        widget=DateTimeInput(),
        error_messages={**DATETIME_ERRORS, "required": "Enter when they joined."},
    )
    left_at = BoundedDateTimeField(
        label="Left", widget=DateTimeInput(), required=False, error_messages=DATETIME_ERRORS
    )

    def __init__(self, *args, invited=None, **kwargs):
        super().__init__(*args, **kwargs)
        if invited is not None:
            self.fields["person"].queryset = invited
        self.fields["joined_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        cleaned = super().clean()
        person = cleaned.get("person")
        if person is None:
            if not (cleaned.get("name") or "").strip():
                self.add_error("name", "Choose an invited person or enter a name.")
            if cleaned.get("agency") is None:
                self.add_error("agency", "Choose the agency they attend for.")
        return cleaned


class LeftForm(forms.Form):
    left_at = BoundedDateTimeField(
        label="Left at",
        widget=DateTimeInput(),
        error_messages={**DATETIME_ERRORS, "required": "Enter when they left."},
    )


class AbsenceForm(forms.Form):
    agency_kind = forms.ChoiceField(
        label="Agency",
        choices=[
            (kind, Agency.Kind(kind).label)
            for kind in (Agency.Kind.POLICE, Agency.Kind.HEALTH, Agency.Kind.SOCIAL_WORK)
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the agency."},
    )
    reason = text_field(
        "Why did they not take part?",
        "Record why the agency did not take part.",
        max_length=2000,
        rows=2,
    )


class RecordDetailsForm(forms.Form):
    mode = forms.ChoiceField(
        label="How was the IRD held?",
        choices=Ird.Mode.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how the IRD was held.",
            "invalid_choice": "Choose how the IRD was held.",
        },
    )
    chronology_considered = forms.BooleanField(
        label="The integrated chronology was considered at this IRD",
        required=False,
    )


class SignOffForm(VersionForm):
    confirm = forms.BooleanField(
        label="I confirm this record is accurate and complete",
        required=False,
    )


class LeadProfessionalForm(forms.Form):
    lead = forms.ModelChoiceField(
        label="Lead professional",
        queryset=selectors.lead_professional_choices(),
        empty_label="Choose a social worker",
        error_messages={"required": "Choose the lead professional."},
    )


class DecisionForm(forms.Form):
    code = forms.ModelChoiceField(
        label="Decision",
        queryset=selectors.decision_codes_in_use(),
        empty_label="Choose a decision",
        error_messages={"required": "Choose the decision."},
    )
    rationale = text_field("Reasons", "Give the reasons for the decision.", rows=3)


class ActionFields(forms.Form):
    """What every agreed action records, at an IRD or in a child's plan: what, whose, by when."""

    description = text_field("Action", "Describe the action.", max_length=2000, rows=2)
    owner_agency = forms.ModelChoiceField(
        label="Agency responsible",
        queryset=Agency.objects.all(),
        empty_label="Choose an agency",
        error_messages={"required": "Choose the agency."},
    )
    owner = StaffChoiceField(
        label="Person responsible",
        queryset=selectors.invitable_staff(),
        required=False,
        empty_label="Not named yet",
    )
    due_date = BoundedDateField(
        label="Due date",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Enter the due date."},
    )


class ActionForm(ActionFields):
    holds_cppm = forms.BooleanField(
        label="This action is the child protection planning meeting", required=False
    )

    def __init__(self, *args, invited=None, **kwargs):
        super().__init__(*args, **kwargs)
        if invited is not None:
            self.fields["owner"].queryset = invited


class ActionUpdateForm(VersionForm):
    status = forms.ChoiceField(
        label="Status",
        widget=forms.RadioSelect,
        choices=IrdAction.Status.choices,
        error_messages={"required": "Choose the status."},
    )
    completion_note = text_field("What was done", required=False, rows=3)


class AddendumForm(forms.Form):
    reason = text_field(
        "Why is this addendum needed?", "Give the reason for the addendum.", max_length=2000, rows=2
    )
    text = text_field("Addendum", "Write the addendum.", max_length=20000, rows=5)


class CirculateForm(forms.Form):
    recipients = StaffMultipleChoiceField(
        label="Send to",
        queryset=selectors.invitable_staff(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_recipient = forms.CharField(
        label="Also sent to (outside the application)",
        max_length=200,
        required=False,
        help_text="For example the named person. Record a copy sent another way.",
    )
    other_method = forms.ChoiceField(
        label="How",
        required=False,
        choices=[("", "Choose how")]
        + [c for c in Circulation.Method.choices if c[0] != Circulation.Method.APPLICATION],
    )

    def __init__(self, *args, invited=None, **kwargs):
        super().__init__(*args, **kwargs)
        if invited is not None:
            self.fields["recipients"].queryset = invited


class FollowUpForm(forms.Form):
    note = forms.CharField(label="Note", max_length=2000, required=False)


def grade_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=Grade.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": f"Grade the {label.lower()}."},
    )


class QualityReviewForm(forms.Form):
    timeliness = grade_field("Timeliness")
    timeliness_comment = text_field("Comments on timeliness", required=False, rows=2)
    attendance = grade_field("Attendance of the agencies that should have taken part")
    attendance_comment = text_field("Comments on attendance", required=False, rows=2)
    completeness = grade_field("Completeness of the record")
    completeness_comment = text_field("Comments on completeness", required=False, rows=2)
    rationale = grade_field("Rationale for the decisions")
    rationale_comment = text_field("Comments on the rationale", required=False, rows=2)
    comments = text_field("Overall comments", required=False, rows=3)


class ProcedureForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=200, error_messages={"required": "Enter the procedure's title."}
    )
    version = forms.CharField(
        label="Version", max_length=20, error_messages={"required": "Enter the version number."}
    )
    effective_from = BoundedDateField(
        label="Effective from",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Enter the date the version takes effect."},
    )
    trial_months = forms.IntegerField(
        label="Trial period in months", min_value=1, max_value=24, initial=3
    )
    text = text_field("Procedure text", required=False, max_length=100000, rows=8)
    document_reference = forms.CharField(
        label="Document reference",
        max_length=300,
        required=False,
        help_text="Where the approved document is kept, if it is not pasted above.",
    )


class ProcedureReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome of the review",
        widget=forms.RadioSelect,
        choices=ProcedureReview.Outcome.choices,
        error_messages={"required": "Choose the outcome."},
    )
    notes = text_field(
        "What the review found", "Record what the review found.", max_length=10000, rows=5
    )
    extended_until = BoundedDateField(
        label="Extend the trial until",
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
    )
    next_version = forms.CharField(
        label="Next version number (to start it now)", max_length=20, required=False
    )
    next_effective_from = BoundedDateField(
        label="Next version effective from",
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
    )
    next_text = text_field("Next version's text", required=False, max_length=100000, rows=5)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == ProcedureReview.Outcome.EXTEND and not cleaned.get(
            "extended_until"
        ):
            self.add_error("extended_until", "Enter the new end of the trial.")
        if cleaned.get("next_version") and not cleaned.get("next_effective_from"):
            self.add_error("next_effective_from", "Enter when the next version takes effect.")
        return cleaned


class ConveneForm(forms.Form):
    reason = text_field(
        "Why is an IRD needed now?",
        "Say why an IRD is needed now.",
        help_text="What police, health or social work know that means the agencies must "
        "discuss this child now.",
    )


class InitialDiscussionForm(forms.Form):
    held_at = BoundedDateTimeField(
        label="When was the initial discussion held?",
        widget=DateTimeInput(),
        error_messages={**DATETIME_ERRORS, "required": "Enter when it was held."},
    )
    summary = text_field(
        "What was discussed and agreed for the child's immediate safety",
        "Record what was discussed and agreed for the child's immediate safety.",
        max_length=10000,
    )


class RepeatForm(forms.Form):
    reason = text_field(
        "Why is a further IRD needed?",
        "Say why a further IRD is needed.",
        help_text="For example new information, a change in the child's circumstances, or "
        "what further enquiries found.",
    )


# --- Child protection planning meetings and the register -----------------------------------


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


class CppmScheduleForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of CPPM",
        widget=forms.RadioSelect,
        choices=Cppm.Kind.choices,
        error_messages={
            "required": "Choose the kind of CPPM.",
            "invalid_choice": "That kind of CPPM is not in use now: choose another.",
        },
    )
    scheduled_for = BoundedDateTimeField(
        label="Date and time",
        widget=DateTimeInput(),
        help_text="Invitees get 5 days' notice where possible.",
        error_messages={**DATETIME_ERRORS, "required": "Enter the date and time of the CPPM."},
    )
    duration_minutes = forms.TypedChoiceField(
        label="Length", choices=[*DURATIONS, (150, "2 hours 30 minutes")], coerce=int, initial=90
    )
    place = forms.CharField(label="Place", max_length=200, required=False)
    dial_in = forms.CharField(label="Dial-in number or video link", max_length=200, required=False)
    chair = StaffChoiceField(
        label="Chair",
        queryset=selectors.cppm_chairs(),
        empty_label="Choose the chair",
        error_messages={"required": "Choose who chairs the CPPM."},
    )
    invitees = StaffMultipleChoiceField(
        label="Invite",
        queryset=selectors.invitable_staff(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Police, health and social work take part; the chair is invited too.",
    )
    short_notice_reason = text_field(
        "If less than 5 days' notice, why?", required=False, max_length=2000, rows=2
    )
    extension_reasons = text_field(
        "If later than the CPPM is due: the reasons for the extension",
        required=False,
        rows=3,
        help_text="Only a service manager, as the accountable senior manager, extends the 28 "
        "days (National Guidance 2021 para 3.38).",
    )
    interim_safety_plan = text_field(
        "If later than the CPPM is due: the interim safety plan",
        required=False,
        max_length=10000,
        rows=4,
    )

    def __init__(self, *args, carried_on: str | None = None, **kwargs):
        """The kinds in use today (the dated lookup); `carried_on`: the kind of the inquorate
        CPPM being reconvened, offered even if retired since."""
        super().__init__(*args, **kwargs)
        types = list(selectors.cppm_types_in_use().values_list("kind", "label"))
        if carried_on and carried_on not in {kind for kind, _ in types}:
            types.append((carried_on, Cppm.Kind(carried_on).label))
        self.fields["kind"].choices = types

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("place") or "").strip() and not (cleaned.get("dial_in") or "").strip():
            self.add_error("place", "Give the place, or a dial-in number or video link.")
        return cleaned


class CppmRescheduleForm(VersionForm):
    scheduled_for = BoundedDateTimeField(
        label="New date and time",
        widget=DateTimeInput(),
        help_text="Everyone invited gets the updated calendar entry.",
        error_messages={**DATETIME_ERRORS, "required": "Enter the new date and time of the CPPM."},
    )
    reason = text_field(
        "Why is the CPPM moved?", "Give the reason for moving the CPPM.", max_length=2000, rows=2
    )
    short_notice_reason = CppmScheduleForm.base_fields["short_notice_reason"]
    extension_reasons = CppmScheduleForm.base_fields["extension_reasons"]
    interim_safety_plan = CppmScheduleForm.base_fields["interim_safety_plan"]


class CppmCancelForm(VersionForm):
    reason = text_field(
        "Why is the CPPM cancelled?",
        "Give the reason for cancelling the CPPM.",
        max_length=2000,
        rows=2,
        help_text="The CPPM is still due: schedule another one.",
    )


YES_NO = [("yes", "Yes"), ("no", "No")]


def yes_no(label: str, message: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        widget=forms.RadioSelect,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        error_messages={"required": message},
    )


class CppmOutcomeForm(VersionForm):
    quorate = yes_no("Was the meeting quorate?", "Say whether the meeting was quorate.")
    held_at = BoundedDateTimeField(
        label="When was it held?",
        widget=DateTimeInput(),
        error_messages={**DATETIME_ERRORS, "required": "Enter when the meeting was held."},
    )
    register = PersonChoiceField(
        label="Place on the child protection register",
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A child who needs a child protection plan is registered (para 3.133).",
    )
    deregister = PersonChoiceField(
        label="Remove from the child protection register",
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only a review CPPM removes a child from the register.",
    )
    categories = forms.ModelMultipleChoiceField(
        label="Categories of concern",
        queryset=ConcernCategory.objects.in_use(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    lead_professional = StaffChoiceField(
        label="Lead professional",
        queryset=selectors.lead_professional_choices().select_related("agency"),
        required=False,
        empty_label="Choose the lead professional",
    )
    reporter_referral = forms.TypedChoiceField(
        label="Referral to the Principal Reporter",
        widget=forms.RadioSelect,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        required=False,
        empty_value=None,
    )
    reporter_note = text_field(
        "Why (or why not) refer to the Principal Reporter", required=False, rows=3
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        ids = [child.pk for child in children]
        self.fields["register"].queryset = Person.objects.filter(pk__in=ids)
        self.fields["deregister"].queryset = Person.objects.filter(pk__in=ids)


class CppmRecordForm(forms.Form):
    text = text_field("Record of the meeting", required=False, max_length=50000, rows=12)
    based_on = forms.IntegerField(widget=forms.HiddenInput)
    issue = forms.BooleanField(label="Issue the record to everyone invited", required=False)


class TemporaryRegistrationForm(forms.Form):
    child = forms.ModelChoiceField(
        label="Child",
        queryset=Person.objects.none(),
        empty_label="Choose the child",
        error_messages={"required": "Choose the child."},
    )
    from_authority = forms.CharField(
        label="Authority whose register the child is on",
        max_length=200,
        error_messages={"required": "Name the authority whose register the child is on."},
    )
    registered_on = BoundedDateField(
        label="Registered here from",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Enter the date of the registration."},
    )
    categories = forms.ModelMultipleChoiceField(
        label="Categories of concern",
        queryset=ConcernCategory.objects.in_use(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the categories of concern."},
    )
    moved_here = forms.BooleanField(
        label="The child has moved here to live: a transfer CPPM is due within 21 working days",
        required=False,
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = Person.objects.filter(pk__in=[c.pk for c in children])
        self.fields["child"].label_from_instance = lambda person: person.full_name


# --- The core group and the child's plan -----------------------------------------------------


class MemberLabel:
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.role or obj.get_kind_display()})"


class MemberChoiceField(MemberLabel, forms.ModelMultipleChoiceField):
    pass


class CoreGroupMeetingForm(VersionForm):
    held_on = BoundedDateField(
        label="Date of the meeting",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Enter the date of the meeting."},
    )
    attended = MemberChoiceField(
        label="Who attended",
        queryset=CoreGroupMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Record who attended the meeting."},
    )
    notes = text_field(
        "Notes", "Record what the meeting discussed and agreed.", max_length=20000, rows=6
    )
    next_meeting_on = BoundedDateField(
        label="Date of the next meeting",
        widget=DateInput(),
        help_text="As the child's plan says: the next meeting is chased to this date.",
        error_messages={**DATE_ERRORS, "required": "Enter the date of the next meeting."},
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].queryset = CoreGroupMember.objects.filter(
            pk__in=[member.pk for member in members]
        ).select_related("staff")

    def clean(self):
        cleaned = super().clean()
        held_on, next_on = cleaned.get("held_on"), cleaned.get("next_meeting_on")
        if held_on and next_on and next_on <= held_on:
            self.add_error("next_meeting_on", "The next meeting is after this one.")
        return cleaned


class LeavingMemberField(MemberLabel, forms.ModelChoiceField):
    pass


class CoreGroupLeaveForm(VersionForm):
    member = LeavingMemberField(
        label="Member",
        queryset=CoreGroupMember.objects.none(),
        empty_label="Choose the member",
        error_messages={"required": "Choose the member who is leaving."},
    )
    reason = text_field(
        "Why are they leaving?",
        "Say why the member is leaving the core group.",
        max_length=2000,
        rows=2,
        help_text="Their open actions are shown as needing a new owner.",
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = CoreGroupMember.objects.filter(
            pk__in=[member.pk for member in members]
        ).select_related("staff")


class CoreGroupMemberForm(VersionForm):
    staff = StaffChoiceField(
        label="Practitioner",
        queryset=selectors.invitable_staff(),
        required=False,
        empty_label="Not a practitioner: a parent or carer",
    )
    name = forms.CharField(label="Name of the parent or carer", max_length=200, required=False)
    role = forms.CharField(
        label="Role",
        max_length=120,
        required=False,
        help_text="For a parent or carer, who they are to the child: mother, kinship carer.",
    )

    def clean(self):
        cleaned = super().clean()
        staff, name = cleaned.get("staff"), (cleaned.get("name") or "").strip()
        if staff is None and not name:
            self.add_error("staff", "Choose a practitioner, or give a parent's or carer's name.")
        elif staff is not None and name:
            self.add_error("name", "Leave the name empty when you choose a practitioner.")
        return cleaned


class PlanActionForm(ActionFields, VersionForm):
    """A child's plan action, at the core group's version."""


class PlanActionUpdateForm(VersionForm):
    status = forms.ChoiceField(
        label="Status",
        widget=forms.RadioSelect,
        choices=PlanAction.Status.choices,
        error_messages={"required": "Choose the status."},
    )
    note = text_field(
        "What was done, or why it is no longer needed", required=False, max_length=4000, rows=2
    )
    due_date = BoundedDateField(
        label="New due date (if still open)",
        widget=DateInput(),
        required=False,
        error_messages=DATE_ERRORS,
    )


# --- Statistics for the child protection committee -------------------------------------------


class StatisticsPeriodForm(forms.Form):
    start = BoundedDateField(
        label="From",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Enter the first day of the period."},
    )
    end = BoundedDateField(
        label="To",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Enter the last day of the period."},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start >= end:
            self.add_error("end", "The end of the period must be after its start.")
        return cleaned
