from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from django.db.models.signals import pre_save  # noqa: PLC0415 - app registry ready

        from referrals import metrics, request_log, sessions  # noqa: PLC0415, F401
        from referrals.models import Staff  # noqa: PLC0415

        # However an account is disabled (admin, shell, a script), its sessions end with it,
        # so that enabling it again does not bring an old session back.
        pre_save.connect(sessions.end_on_disable, sender=Staff, dispatch_uid="end_on_disable")
        # Sign-in failures and lockouts counted for /metrics; importing request_log connects
        # the Celery signals that log each task and carry the request id into it.
        metrics.connect()
