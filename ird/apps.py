from django.apps import AppConfig


class IrdConfig(AppConfig):
    name = "ird"
    verbose_name = "Inter-agency referral discussions"

    def ready(self):
        # referrals/ never imports ird/: ird answers the core's hooks, all in hooks.py.
        from django.db.backends.signals import connection_created  # noqa: PLC0415

        from ird import hooks, statistics  # noqa: PLC0415 - app registry must be ready
        from referrals import seam  # noqa: PLC0415

        hooks.register(seam.registry)
        connection_created.connect(
            statistics.register_sqlite_functions, dispatch_uid="ird.sqlite_median"
        )
