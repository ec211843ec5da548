"""Forms for the social work pages. Validation here is about the shape of the input; rules of
practice (who may approve, what screening must address) live in services and come back as
DomainError messages."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone

from referrals import chi, intake_rules
from referrals.models import (
    Agency,
    ChronologyEntry,
    ConcernCategory,
    Person,
    Referral,
    Relationship,
)
from referrals.models import ScreeningDecision as Decision
from referrals.referrers import referrer_problems
from referrals.validation import BoundedDateField, BoundedDateTimeField

YES_NO = [("yes", "Yes"), ("no", "No")]
MAX_CHILDREN = 20
MAX_ADULTS = 20


def yes_no_field(label: str, required_message: str, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        error_messages={"required": required_message},
        **kwargs,
    )


DATE_ERRORS = {"invalid": "Enter a real date, for example 27 3 2016."}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def not_in_future(value, what: str):
    now = timezone.now()
    if value is None:
        return value
    if hasattr(value, "hour"):
        if value > now:
            raise ValidationError(f"The {what} cannot be in the future.")
    elif value > timezone.localdate(now):
        raise ValidationError(f"The {what} cannot be in the future.")
    return value


class ConcernForm(forms.Form):
    # One token per referral being entered, issued with the empty form and kept through every
    # step: a step posted again (Back, reload) or a second save finds the referral it made.
    intake_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    channel = forms.ChoiceField(
        label="How did the concern arrive?",
        widget=forms.RadioSelect,
        choices=[c for c in Referral.Channel.choices if c[0] != Referral.Channel.PARTNER_SYSTEM],
        error_messages={"required": "Select how the concern arrived."},
    )
    source_agency = forms.ModelChoiceField(
        label="Referrer's agency",
        queryset=Agency.objects.all(),
        empty_label="Choose an agency",
        error_messages={"required": "Select the referrer's agency."},
    )
    referrer_name = forms.CharField(
        label="Referrer's name",
        max_length=200,
        required=False,  # referrers.referrer_problems: optional for the public, none if anonymous
        help_text="Optional for a member of the public, the family or the child.",
    )
    referrer_role = forms.CharField(label="Referrer's role", max_length=200, required=False)
    referrer_phone = forms.CharField(label="Referrer's phone", max_length=40, required=False)
    referrer_email = forms.EmailField(
        label="Referrer's e-mail",
        required=False,
        help_text="The practice hub's feedback on the referral is sent here.",
    )
    referrer_manager_email = forms.EmailField(
        label="Referrer's manager's e-mail",
        required=False,
        help_text="For a referrer from another agency: their manager receives the feedback too.",
    )
    occurred_at = BoundedDateTimeField(
        label="When did it happen?",
        required=False,
        widget=DateTimeInput(),
        help_text="Leave blank if not known.",
    )
    summary = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text="What was seen, heard or disclosed, by whom, and the child's own words.",
        error_messages={"required": "Describe what happened."},
    )
    immediate_risk = yes_no_field(
        "Is any child at immediate risk?", "Select yes if any child is at immediate risk, or no."
    )
    ird_requested = forms.BooleanField(
        label="Police, health or social work ask for an IRD now",
        required=False,
        help_text="From police, health or social work, this (or immediate risk) opens an IRD "
        "request at once, before screening.",
    )
    categories = forms.ModelMultipleChoiceField(
        label="Concern categories",
        widget=forms.CheckboxSelectMultiple,
        queryset=ConcernCategory.objects.in_use(),
        error_messages={"required": "Choose at least one concern category."},
    )
    consent_sought = yes_no_field(
        "Was consent to share information sought?",
        "Select whether consent to share information was sought.",
    )
    consent_given = forms.ChoiceField(
        label="Was consent given?",
        required=False,
        widget=forms.RadioSelect,
        choices=YES_NO,
        help_text="Answer if consent was sought.",
    )
    reason_consent_not_sought = forms.CharField(
        label="Why was consent not sought?",
        required=False,
        max_length=500,
        help_text="For example: asking would place the child at greater risk.",
    )
    sharing_basis = forms.ChoiceField(
        label="Basis for sharing information",
        choices=Referral.SharingBasis.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the basis for sharing information."},
    )

    def clean_occurred_at(self):
        return not_in_future(self.cleaned_data.get("occurred_at"), "time it happened")

    def clean_summary(self):
        summary = self.cleaned_data["summary"].strip()
        if not summary:
            raise ValidationError("Describe what happened.")
        return summary

    def clean(self):
        data = super().clean()
        if data.get("source_agency") is not None:
            for name, message in referrer_problems(
                data["source_agency"],
                name=data.get("referrer_name", ""),
                phone=data.get("referrer_phone", ""),
                email=data.get("referrer_email", ""),
                manager_email=data.get("referrer_manager_email", ""),
            ).items():
                self.add_error(name, message)
        given = {"yes": True, "no": False}.get(data.get("consent_given") or "")
        consent_fields = {
            "given": "consent_given",
            "reason_not_sought": "reason_consent_not_sought",
        }
        for name, message in intake_rules.consent_problems(
            sought=data.get("consent_sought"),
            given=given,
            reason_not_sought=data.get("reason_consent_not_sought", ""),
        ).items():
            self.add_error(consent_fields[name], message)
        data["consent_given"] = given if data.get("consent_sought") else None
        return data


class ChildContactsForm(forms.Form):
    """The people around a child: school, named person and GP (intake and the edit page)."""

    school = forms.CharField(label="School or nursery", max_length=200, required=False)
    named_person = forms.CharField(
        label="Named person",
        max_length=200,
        required=False,
        help_text="Name, role and how to reach them (for example the health visitor or a "
        "guidance teacher).",
    )
    gp_practice = forms.CharField(label="GP practice", max_length=200, required=False)


class PersonFormBase(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=100,
        error_messages={"required": "Enter the first name."},
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=100,
        error_messages={"required": "Enter the last name."},
    )
    date_of_birth = BoundedDateField(
        label="Date of birth", required=False, widget=DateInput(), error_messages=DATE_ERRORS
    )

    def clean_date_of_birth(self):
        return not_in_future(self.cleaned_data.get("date_of_birth"), "date of birth")


class ChildForm(ChildContactsForm, PersonFormBase):
    unborn = forms.BooleanField(label="Unborn baby", required=False)
    expected_date_of_delivery = BoundedDateField(
        label="Expected date of delivery", required=False, widget=DateInput()
    )
    chi_number = forms.CharField(
        label="CHI number", max_length=14, required=False, help_text="10 digits, if known."
    )
    sex = forms.ChoiceField(
        label="Sex", choices=Person.Sex.choices, initial=Person.Sex.UNKNOWN, required=False
    )
    address_line1 = forms.CharField(label="Address line 1", max_length=200, required=False)
    address_line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    town = forms.CharField(label="Town", max_length=100, required=False)
    postcode = forms.CharField(label="Postcode", max_length=10, required=False)

    def clean_sex(self):
        return self.cleaned_data.get("sex") or Person.Sex.UNKNOWN

    def clean(self):
        data = super().clean()
        for name, message in intake_rules.child_problems(
            unborn=bool(data.get("unborn")),
            expected_date_of_delivery=data.get("expected_date_of_delivery"),
            date_of_birth=data.get("date_of_birth"),
            chi_number=data.get("chi_number", ""),
            today=timezone.localdate(),
        ).items():
            if name not in self.errors:  # a date already refused as a date says so itself
                self.add_error(name, message)
        if data.get("chi_number") and not self.has_error("chi_number"):
            try:
                data["chi_number"] = chi.validate_chi(data["chi_number"], data.get("date_of_birth"))
            except ValidationError as error:
                self.add_error("chi_number", error)
        return data


class AdultForm(PersonFormBase):
    relationship = forms.ChoiceField(
        label="Relationship to the child",
        required=False,
        choices=[("", "Not known")]
        + [
            c
            for c in Relationship.Kind.choices
            if c[0] not in {Relationship.Kind.SIBLING, Relationship.Kind.HALF_SIBLING}
        ],
    )


class NamedFormSet(forms.BaseFormSet):
    """Each form knows its place ("Child 2"), so the error summary can say whose error it is."""

    noun = "Person"

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.summary_label = f"{self.noun} {i + 1}"
        return form


class BaseAdultFormSet(NamedFormSet):
    noun = "Adult"


class BaseChildFormSet(NamedFormSet):
    noun = "Child"

    def clean(self):
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            chi_number = data.get("chi_number")
            if data.get("DELETE") or not chi_number:
                continue
            if chi_number in seen:
                form.add_error("chi_number", "Two children cannot have the same CHI number.")
            seen.add(chi_number)


ChildFormSet = formset_factory(
    ChildForm,
    formset=BaseChildFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_CHILDREN,
    validate_max=True,
    can_delete=True,
)
AdultFormSet = formset_factory(
    AdultForm,
    formset=BaseAdultFormSet,
    extra=0,
    max_num=MAX_ADULTS,
    validate_max=True,
    can_delete=True,
)


class ScreeningForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Screening decision",
        choices=Decision.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a screening decision."},
    )
    reasons = forms.CharField(
        label="Reasons for the decision",
        widget=forms.Textarea,
        max_length=10000,
        error_messages={"required": "Enter the reasons for the decision."},
    )
    risk_analysis = forms.CharField(
        label="Analysis of risk",
        widget=forms.Textarea,
        max_length=10000,
        error_messages={"required": "Enter your analysis of risk."},
    )
    needs_analysis = forms.CharField(
        label="Analysis of need",
        widget=forms.Textarea,
        max_length=10000,
        error_messages={"required": "Enter your analysis of need."},
    )
    cumulative_harm_analysis = forms.CharField(
        label="Analysis of cumulative harm",
        widget=forms.Textarea,
        required=False,
        max_length=10000,
        help_text="Required while a child is flagged: what the pattern of concerns tells you.",
    )
    advice_given = forms.CharField(
        label="Advice or signposting given",
        widget=forms.Textarea,
        required=False,
        max_length=5000,
        help_text="Required with no further action.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ScreeningReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Your decision",
        widget=forms.RadioSelect,
        choices=[("approve", "Approve"), ("return", "Return for more work")],
        error_messages={"required": "Select approve or return."},
    )
    comment = forms.CharField(
        label="Comment",
        widget=forms.Textarea,
        required=False,
        max_length=5000,
        help_text="Required when returning.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(forms.Form):
    reason = forms.CharField(
        label="Reason for closing",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={"required": "Enter the reason for closing the referral."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class SearchForm(forms.Form):
    query = forms.CharField(
        label="Name, CHI number or referral reference", max_length=200, required=False
    )
    date_of_birth = BoundedDateField(label="Date of birth", required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if not data.get("query", "").strip() and not data.get("date_of_birth"):
            raise ValidationError("Enter a name, CHI number, reference or date of birth.")
        return data


class MergeForm(forms.Form):
    duplicate = forms.UUIDField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label="I have checked that both records are the same person",
        error_messages={"required": "Confirm that both records are the same person."},
    )


class RelationshipForm(forms.Form):
    """Records how someone already named alongside the person is related to them."""

    relative = forms.ModelChoiceField(
        label="Who",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        error_messages={"required": "Select the person."},
    )
    kind = forms.ChoiceField(
        label="Is this person's",
        choices=Relationship.Kind.choices,
        error_messages={"required": "Select the relationship."},
    )
    lives_with = forms.BooleanField(label="Lives in the same household", required=False)
    has_parental_responsibility = forms.BooleanField(
        label="Has parental responsibility", required=False
    )

    def __init__(self, *args, connected: list[Person], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relative"].queryset = Person.objects.filter(
            pk__in=[person.pk for person in connected]
        )
        self.fields["relative"].label_from_instance = lambda p: (
            f"{p.full_name} ({p.date_of_birth:%d/%m/%Y})" if p.date_of_birth else p.full_name
        )


class EmergencyMeasureForm(forms.Form):
    """The child is one of the referral's; the statutory clocks are checked by the service."""

    child = forms.ChoiceField(label="Child", error_messages={"required": "Choose the child."})
    kind = forms.ChoiceField(
        label="Measure",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the kind of emergency measure.",
            "invalid_choice": "Choose a kind of emergency measure in use now.",
        },
    )
    granted_at = BoundedDateTimeField(
        label="Granted (or the child removed) at",
        widget=DateTimeInput(),
        error_messages={"required": "Enter when it was granted or taken."},
    )
    starts_at = BoundedDateTimeField(
        label="In effect from",
        widget=DateTimeInput(),
        error_messages={"required": "Enter when it took effect."},
    )
    ends_at = BoundedDateTimeField(
        label="Ends",
        required=False,
        widget=DateTimeInput(),
        help_text="Required for a removal (24 hours at most), a child assessment order (3 days), "
        "a justice of the peace order (24 hours) and an exclusion order.",
    )
    reason = forms.CharField(
        label="Why it was needed",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why the measure was needed."},
    )

    def __init__(self, *args, children=(), kinds=(), **kwargs):
        """`kinds`: the (code, label) in use today (emergency.kinds_offered)."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)
        self.fields["child"].choices = [(str(p.pk), p.full_name) for p in children]
        if len(children) == 1:
            self.fields["child"].initial = str(children[0].pk)


class PersonEditForm(ChildContactsForm):
    """Correcting a person's details; the rules are the service's (people.person_update)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    known_as = forms.CharField(label="Known as", max_length=100, required=False)
    date_of_birth = BoundedDateField(
        label="Date of birth",
        required=False,
        widget=DateInput(),
        help_text="For a baby recorded before birth, entering the date of birth records the birth.",
    )
    unborn = forms.BooleanField(label="Unborn baby", required=False)
    expected_date_of_delivery = BoundedDateField(
        label="Expected date of delivery", required=False, widget=DateInput()
    )
    chi_number = forms.CharField(label="CHI number", max_length=14, required=False)
    sex = forms.ChoiceField(label="Sex", choices=Person.Sex.choices)
    address_line1 = forms.CharField(label="Address line 1", max_length=200, required=False)
    address_line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    town = forms.CharField(label="Town", max_length=100, required=False)
    postcode = forms.CharField(label="Postcode", max_length=10, required=False)


class ChronologyEventForm(forms.Form):
    """A significant event written into a child's chronology by hand."""

    occurred_on = BoundedDateField(
        label="When it happened",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the date it happened.", "invalid": "Enter a date."},
    )
    category = forms.ChoiceField(
        label="What it is about",
        choices=[("", "Choose"), *ChronologyEntry.Category.choices],
        error_messages={"required": "Choose what the event is about."},
    )
    significance = forms.ChoiceField(
        label="How significant",
        choices=ChronologyEntry.Significance.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how significant the event is."},
    )
    source_agency = forms.ModelChoiceField(
        label="Where the information came from",
        queryset=Agency.objects.exclude(kind=Agency.Kind.SOCIAL_WORK).order_by("name"),
        required=False,
        empty_label="Social work (this service)",
    )
    summary = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": "Say what happened."},
    )


class ChronologyFilterForm(forms.Form):
    """Narrows the chronology shown (and printed) to one kind of entry and/or one agency."""

    kind = forms.ChoiceField(
        label="Kind", choices=[("", "All kinds"), *ChronologyEntry.Kind.choices], required=False
    )
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.order_by("name"),
        required=False,
        empty_label="All agencies",
    )
