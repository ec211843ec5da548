"""Ending someone's sessions: when their second factor is reset or their account disabled.
Sessions are rows in the database; each names its user only inside its encoded data, so the
live ones are read and those of this user deleted (an administrator's action, rarely taken)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def end_sessions(user) -> int:
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def end_on_disable(sender, instance, **kwargs) -> None:
    """pre_save of Staff: an active account being disabled has its sessions ended with it (in
    the same transaction: should the change fail, signing in again is all it costs)."""
    if instance._state.adding or instance.is_active:
        return
    if sender.objects.filter(pk=instance.pk, is_active=True).exists():
        end_sessions(instance)
