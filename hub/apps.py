from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Practice hub"

    def ready(self) -> None:
        # referrals/ never imports hub/: the hub answers the core's hooks, all in hooks.py.
        from hub import hooks  # noqa: PLC0415 - app registry must be ready
        from referrals import seam  # noqa: PLC0415

        hooks.register(seam.registry)
