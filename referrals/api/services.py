"""Every write the partner API causes: clients and their tokens (for administrators), and
concerns submitted by partner systems (recorded through intake.referral_receive)."""

import dataclasses
import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from referrals import audit, matching, name_matching
from referrals.api.errors import DuplicateConcern, NoIntakeTeam, TokenRefused
from referrals.api.models import (
    MAX_ACTIVE_TOKENS,
    TOKEN_LIFETIME,
    ApiClient,
    ApiToken,
    SubmittedConcern,
)
from referrals.models import Agency, EmergencyMeasure, Person, Referral, Team
from referrals.services import emergency, intake

# A token is "cwr_" and 76 lower-case hex digits: 12 of prefix (stored, to find the row) and
# 64 of secret. Only the SHA-256 of the whole token is stored.
TOKEN_MARK = "cwr_"  # noqa: S105 - a public marker, not a secret
PREFIX_LENGTH = 12
SECRET_BYTES = 32
TOKEN_LENGTH = len(TOKEN_MARK) + PREFIX_LENGTH + 2 * SECRET_BYTES

# A possible match this strong (but short of a shared CHI number) is recorded for a social
# worker to confirm; a new person record is made meanwhile. Uncertain matches never auto-link.
TO_CONFIRM_SCORE = 75


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def token_prefix(raw: str) -> str:
    return raw[len(TOKEN_MARK) : len(TOKEN_MARK) + PREFIX_LENGTH]


def token_matches(token: ApiToken, raw: str) -> bool:
    return hmac.compare_digest(token.key_hash, token_hash(raw))


@transaction.atomic
def client_create(
    *, name: str, agency: Agency, webhook_url: str = "", created_by=None
) -> ApiClient:
    client = ApiClient.objects.create(name=name, agency=agency, webhook_url=webhook_url)
    audit.record(
        actor=created_by, action=audit.Action.CREATE, subject=client, detail={"agency": agency.code}
    )
    return client


@transaction.atomic
def token_issue(
    *, client: ApiClient, issued_by=None, lifetime: timedelta = TOKEN_LIFETIME
) -> tuple[ApiToken, str]:
    """A new token for `client`; the raw token is returned once and never stored. A client may
    hold two active tokens (old and new, while it rotates); a third is refused."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    now = timezone.now()
    active = client.tokens.filter(revoked_at__isnull=True, expires_at__gt=now).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise TokenRefused(
            f"{client.name} already has {active} active tokens: revoke them before issuing another."
        )
    while True:
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    raw = f"{TOKEN_MARK}{prefix}{secrets.token_hex(SECRET_BYTES)}"
    token = ApiToken.objects.create(
        client=client, prefix=prefix, key_hash=token_hash(raw), expires_at=now + lifetime
    )
    audit.record(
        actor=issued_by,
        action=audit.Action.CREATE,
        subject=token,
        detail={"client": str(client.pk)},
    )
    return token, raw


@transaction.atomic
def tokens_revoke(*, client: ApiClient, revoked_by=None, tokens=None) -> int:
    """Revoke `tokens` (default: all the client's live tokens). Effective on the next request."""
    live = client.tokens.filter(revoked_at__isnull=True)
    if tokens is not None:
        live = live.filter(pk__in=[token.pk for token in tokens])
    ids = list(live.values_list("pk", flat=True))
    live.filter(pk__in=ids).update(revoked_at=timezone.now())
    for token_id in ids:
        audit.record(
            actor=revoked_by,
            action=audit.Action.CHANGE,
            object_type="apitoken",
            object_id=str(token_id),
            detail={"revoked": True},
        )
    return len(ids)


@transaction.atomic
def client_disable(*, client: ApiClient, disabled_by=None) -> int:
    """A disabled client loses its tokens for good, so enabling it again needs a new token
    rather than bringing back one that may have leaked with the system it was disabled for."""
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    client.is_active = False
    audit.record(
        actor=disabled_by, action=audit.Action.CHANGE, subject=client, detail={"disabled": True}
    )
    return tokens_revoke(client=client, revoked_by=disabled_by)


@transaction.atomic
def webhook_secret_generate(*, client: ApiClient, changed_by=None) -> str:
    """A new signing secret, returned once (shown to the administrator, then never again)."""
    secret = f"whsec_{secrets.token_hex(32)}"
    ApiClient.objects.filter(pk=client.pk).update(webhook_secret=secret)
    client.webhook_secret = secret
    audit.record(
        actor=changed_by,
        action=audit.Action.CHANGE,
        subject=client,
        detail={"webhook_secret": "regenerated"},
    )
    return secret


def token_mark_used(token: ApiToken) -> None:
    """At most one write a minute per token (none while the row just read is recent), and
    never a lost race: a filtered UPDATE."""
    now = timezone.now()
    if token.last_used_at is not None and token.last_used_at >= now - timedelta(minutes=1):
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1))
    ).update(last_used_at=now)


# --- Concerns -----------------------------------------------------------------------------


def intake_team() -> Team:
    team = intake.partner_concern_team()
    if team is None:
        raise NoIntakeTeam(
            "The council has not set up a team to receive partner concerns yet: try again later."
        )
    return team


def _person_fields(child: dict) -> intake.PersonFields:
    address = child.get("address") or {}
    return intake.PersonFields(
        first_name=child["first_name"],
        last_name=child["last_name"],
        date_of_birth=child.get("date_of_birth"),
        unborn=child.get("unborn", False),
        expected_date_of_delivery=child.get("expected_date_of_delivery"),
        chi_number=child.get("chi_number", ""),
        sex=child.get("sex") or Person.Sex.UNKNOWN,
        address_line1=address.get("line1", ""),
        address_line2=address.get("line2", ""),
        town=address.get("town", ""),
        postcode=address.get("postcode", ""),
        school=child.get("school", ""),
        named_person=child.get("named_person", ""),
        gp_practice=child.get("gp_practice", ""),
    )


def child_match(child: dict) -> intake.ChildIntake:
    """A CHI number shared with an existing record links to it; a strong but uncertain match is
    recorded for a social worker to confirm, with a new record meanwhile; else a new record."""
    details = _person_fields(child)
    if details.unborn:
        return intake.ChildIntake(details=details)
    wanted = name_matching.PersonDetails(
        first_name=details.first_name,
        last_name=details.last_name,
        date_of_birth=details.date_of_birth,
        postcode=details.postcode,
        chi_number=details.chi_number,
    )
    if details.chi_number:
        existing = Person.objects.filter(
            chi_number=details.chi_number, merged_into__isnull=True
        ).first()
        if existing is not None:
            # The same CHI number links only when the name agrees (name_matching.score_match):
            # otherwise a person confirms it, and the concern waits on a new record.
            result = name_matching.score_match(wanted, existing.as_match_details())
            if result.certain:
                return intake.ChildIntake(details=details, existing=existing, match_score=100)
            return intake.ChildIntake(
                # One record per CHI number: the new record waits without it.
                details=dataclasses.replace(details, chi_number=""),
                match_score=result.score,
                to_confirm=existing,
            )
    candidates = matching.candidates_for(wanted)
    strong = [c for c in candidates if not c.certain and c.score >= TO_CONFIRM_SCORE]
    if strong:
        return intake.ChildIntake(
            details=details, match_score=strong[0].score, to_confirm=strong[0].person
        )
    return intake.ChildIntake(details=details)


def _adult_intake(adult: dict) -> intake.AdultIntake:
    return intake.AdultIntake(
        details=intake.PersonFields(
            first_name=adult["first_name"],
            last_name=adult["last_name"],
            date_of_birth=adult.get("date_of_birth"),
        ),
        relationship=adult.get("relationship", ""),
    )


def existing_concern(*, client: ApiClient, external_reference: str) -> SubmittedConcern | None:
    return SubmittedConcern.objects.filter(
        client=client, external_reference=external_reference
    ).first()


def duplicate_error(existing: SubmittedConcern) -> DuplicateConcern:
    return DuplicateConcern(
        f"A concern with external_reference {existing.external_reference!r} was already "
        f"submitted by this client: {existing.referral_id}.",
        concern_id=existing.referral_id,
    )


@transaction.atomic(savepoint=False)  # the view's transaction retries it whole
def concern_submit(*, client: ApiClient, data: dict, submitted: dict) -> Referral:
    """Record a partner's concern. `data` is the validated input (Python values); `submitted`
    the same in JSON form, kept so the partner reads back what it sent."""
    existing = existing_concern(client=client, external_reference=data["external_reference"])
    if existing is not None:
        raise duplicate_error(existing)
    referrer = data["referrer"]
    consent = data.get("consent") or {}
    concern = intake.Concern(
        channel=Referral.Channel.PARTNER_SYSTEM,
        source_agency=client.agency,
        referrer_name=referrer["name"],
        referrer_role=referrer.get("role", ""),
        referrer_phone=referrer.get("phone", ""),
        referrer_email=referrer.get("email", ""),
        summary=data["summary"],
        immediate_risk=data["immediate_risk"],
        ird_requested=data.get("ird_requested", False),
        categories=data["categories"],
        sharing_basis=data.get("sharing_basis") or Referral.SharingBasis.SAFEGUARDING,
        occurred_at=data.get("occurred_at"),
        consent_sought=consent.get("sought", False),
        consent_given=consent.get("given"),
        reason_consent_not_sought=consent.get("reason_not_sought", ""),
        external_reference=data["external_reference"],
        children=[child_match(child) for child in data["children"]],
        adults=[_adult_intake(adult) for adult in data.get("adults", [])],
    )
    referral = intake.referral_receive(
        concern=concern, team=intake_team(), received_by=None, actor=client
    )
    # The links in submission order, as the intake recorded them (no read back).
    ordered = [child.link.pk for child in concern.children]
    SubmittedConcern.objects.create(
        referral=referral,
        client=client,
        external_reference=data["external_reference"],
        submitted=submitted,
        child_link_ids=[str(pk) for pk in ordered],
    )
    return referral


# --- Emergency measures ------------------------------------------------------------------


def measure_record(*, client: ApiClient, referral: Referral, data: dict) -> EmergencyMeasure:
    """A measure on a concern the client's agency sent, for the child the partner knows by its
    `id` in the concern; the rules are emergency.measure_record's."""
    link = referral.child_links.filter(pk=data["child"]).select_related("person").first()
    if link is None:
        raise ValidationError({"child": "Give the `id` of one of this concern's children."})
    return emergency.measure_record(
        referral=referral,
        child=link.person,
        by=client,
        kind=data["kind"],
        granted_at=data["granted_at"],
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        reason=data["reason"],
    )
