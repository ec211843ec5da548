"""Rubric versions (admin actions): a new version is a draft copied from the last; publishing it
retires the one in use, so every review is scored against exactly one published version."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hub.models import (
    Criterion,
    Factor,
    Rubric,
)
from hub.services.common import ReviewRefused
from referrals import audit


@transaction.atomic
def rubric_new_version(*, rubric: Rubric, by) -> Rubric:
    """A draft copy of `rubric` with the next version number, to change and then publish."""
    latest = Rubric.objects.filter(kind=rubric.kind).aggregate(latest=Max("version"))["latest"]
    draft = Rubric.objects.create(
        kind=rubric.kind,
        version=(latest or 0) + 1,
        name=rubric.name,
        description=rubric.description,
    )
    Criterion.objects.bulk_create(
        Criterion(
            rubric=draft, code=c.code, label=c.label, guidance=c.guidance, position=c.position
        )
        for c in rubric.criteria.all()
    )
    Factor.objects.bulk_create(
        Factor(rubric=draft, kind=f.kind, label=f.label, position=f.position)
        for f in rubric.factors.all()
    )
    audit.record(
        actor=by, action=audit.Action.CREATE, subject=draft, detail={"copied_from": rubric.pk}
    )
    return draft


@transaction.atomic
def rubric_publish(*, rubric: Rubric, by) -> Rubric:
    """Put a draft in use; the version it replaces is retired. Reviews already scored keep
    theirs, and so do reviews already claimed."""
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.state != Rubric.State.DRAFT:
        raise ReviewRefused("Only a draft rubric can be published.")
    if not rubric.criteria.exists():
        raise ReviewRefused("A rubric needs at least one criterion.")
    Rubric.objects.filter(kind=rubric.kind, state=Rubric.State.PUBLISHED).update(
        state=Rubric.State.RETIRED
    )
    rubric.state = Rubric.State.PUBLISHED
    rubric.published_at = timezone.now()
    rubric.save(update_fields=["state", "published_at"])
    audit.record(
        actor=by, action=audit.Action.CHANGE, subject=rubric, detail={"state": rubric.state}
    )
    return rubric
