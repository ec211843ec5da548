"""Forms for the hub's pages. They check the shape of the input; the rules (who holds a claim,
whether a round is still open) live in services and come back as DomainError messages."""

from datetime import timedelta

from django import forms

from hub.models import Factor, Rubric
from hub.services import FREE_TEXT_MAX, Score
from referrals.forms import DATE_ERRORS, DateInput
from referrals.grades import Grade
from referrals.models import Agency, Team
from referrals.validation import BoundedDateField

GRADE_CHOICES = [(grade.value, grade.label) for grade in Grade]
SCALE_HINT = "6 excellent, 5 very good, 4 good, 3 adequate, 2 weak, 1 unsatisfactory."
COMMENT_MAX = 4000
MAX_REPORT_DAYS = 366 * 5


def grade_field(label: str, hint: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=GRADE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=hint,
        error_messages={"required": f"Score {label[0].lower()}{label[1:]}."},
    )


def comment_field(
    label: str, required: bool = False, hint: str = "", max_length: int = COMMENT_MAX
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=hint,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}.",
            "max_length": f"{label} must be {max_length} characters or fewer.",
        },
    )


class ScoredForm(forms.Form):
    """A score and a comment for each criterion of a rubric, built from the rubric."""

    def __init__(self, rubric: Rubric, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(rubric.criteria.all())
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = grade_field(criterion.label, criterion.guidance)
            self.fields[f"comment_{criterion.pk}"] = comment_field(
                f"Comments on {criterion.label[0].lower()}{criterion.label[1:]}"
            )

    def criterion_fields(self):
        """(score field, comment field) for each criterion, in the rubric's order."""
        return [(self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict[int, Score]:
        return {
            c.pk: Score(self.cleaned_data[f"score_{c.pk}"], self.cleaned_data[f"comment_{c.pk}"])
            for c in self.criteria
        }


class ReviewForm(ScoredForm):
    def __init__(self, rubric: Rubric, *args, **kwargs):
        super().__init__(rubric, *args, **kwargs)
        factors = list(rubric.factors.all())
        what = "referral" if rubric.kind == Rubric.Kind.REFERRAL else "decision and response"
        self.fields["supports"] = forms.TypedMultipleChoiceField(
            label=f"What supported the quality of this {what}?",
            required=False,
            coerce=int,
            widget=forms.CheckboxSelectMultiple,
            help_text="Select all that apply.",
            choices=[(f.pk, f.label) for f in factors if f.kind == Factor.Kind.SUPPORT],
        )
        self.fields["supported_other"] = comment_field(
            "Anything else that supported quality", max_length=FREE_TEXT_MAX
        )
        self.fields["barriers"] = forms.TypedMultipleChoiceField(
            label="What got in the way?",
            required=False,
            coerce=int,
            widget=forms.CheckboxSelectMultiple,
            help_text="Select all that apply.",
            choices=[(f.pk, f.label) for f in factors if f.kind == Factor.Kind.BARRIER],
        )
        self.fields["barriers_other"] = comment_field(
            "Anything else that got in the way", max_length=FREE_TEXT_MAX
        )
        self.fields["overall"] = grade_field("Overall judgement", SCALE_HINT)
        self.fields["overall_comment"] = comment_field(
            "Summary for the referrer and their manager"
            if rubric.kind == Rubric.Kind.REFERRAL
            else "Summary for the social worker and manager",
            hint="What was done well and what would make the next one better.",
        )


class AuditGradeForm(ScoredForm):
    findings = comment_field(
        "Findings", required=True, hint="What the record shows about practice with this child."
    )
    learning_points = comment_field(
        "Learning points", hint="What the teams concerned could learn from it."
    )


class AuditSummaryForm(forms.Form):
    summary = forms.CharField(
        label="Learning summary",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="It goes to every member of the teams whose referrals were read, and to "
        "the auditors. Write no names or other personal details.",
        error_messages={"required": "Write the learning summary."},
    )


class ReportFilterForm(forms.Form):
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
    locality = forms.ChoiceField(label="Locality", required=False)
    agency = forms.ModelChoiceField(
        label="Source agency",
        required=False,
        queryset=Agency.objects.all(),
        empty_label="All agencies",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        localities = (
            Team.objects.exclude(locality="")
            .order_by("locality")
            .values_list("locality", flat=True)
            .distinct()
        )
        self.fields["locality"].choices = [("", "All localities")] + [
            (name, name) for name in localities
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", "The end of the period must be on or after its start.")
            elif end - start > timedelta(days=MAX_REPORT_DAYS):
                self.add_error("end", "Choose a period of five years or less.")
        return data


class TeamChoiceForm(forms.Form):
    team = forms.ModelChoiceField(
        label="Team", required=False, empty_label="All teams", queryset=Team.objects.none()
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
