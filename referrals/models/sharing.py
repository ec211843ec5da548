"""The lawful basis of each route by which child data leaves the council's hands (UK GDPR Art 6,
and for special category data the Art 9 condition with its DPA 2018 Schedule 1 paragraph), set
by information governance in the admin. Every share records what was in force when it happened
(referrals/sharing.py)."""

from django.db import models


class ShareRoute(models.Model):
    class Route(models.TextChoices):
        IRD_CIRCULATION = "ird_circulation", "IRD record circulated to those who took part"
        HUB_FEEDBACK = "hub_feedback", "Practice hub feedback to an external referrer"
        API_READ = "api_read", "Partner systems reading concerns through the API"
        API_WEBHOOK = "api_webhook", "Webhooks sent to partner systems"
        CSV_EXPORT = "csv_export", "CSV exports of reports and audit grades"

    class LawfulBasis(models.TextChoices):
        CONSENT = "consent", "Art 6(1)(a) consent"
        LEGAL_OBLIGATION = "legal_obligation", "Art 6(1)(c) legal obligation"
        VITAL_INTERESTS = "vital_interests", "Art 6(1)(d) vital interests"
        PUBLIC_TASK = "public_task", "Art 6(1)(e) public task"

    class Condition(models.TextChoices):
        NONE = "none", "No special category data shared"
        SAFEGUARDING = (
            "art9_2g_sch1_18",
            "Art 9(2)(g) substantial public interest: DPA 2018 Sch 1 para 18, safeguarding of "
            "children and individuals at risk",
        )
        HEALTH_SOCIAL_CARE = (
            "art9_2h_sch1_2",
            "Art 9(2)(h) health or social care: DPA 2018 Sch 1 para 2",
        )
        VITAL_INTERESTS = "art9_2c", "Art 9(2)(c) vital interests"
        LEGAL_CLAIMS = "art9_2f", "Art 9(2)(f) legal claims and courts"
        EXPLICIT_CONSENT = "art9_2a", "Art 9(2)(a) explicit consent"

    route = models.CharField(max_length=30, choices=Route.choices, unique=True)
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    special_category_condition = models.CharField(
        "special category condition",
        max_length=30,
        choices=Condition.choices,
        help_text="For special category data (health, for instance): the Art 9 condition and, "
        "where it needs one, its DPA 2018 Schedule 1 paragraph.",
    )
    legislation = models.CharField(
        max_length=300,
        help_text="The statutory gateway or guidance relied on, e.g. Children (Scotland) Act "
        "1995 s.53; National Guidance for Child Protection in Scotland 2021.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["route"]

    def __str__(self) -> str:
        return f"{self.get_route_display()}: {self.get_lawful_basis_display()}"
