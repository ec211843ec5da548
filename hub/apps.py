from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Practice hub"

    def ready(self) -> None:
        from hub import receivers
        from referrals import events

        events.referral_received.connect(
            receivers.referral_received, dispatch_uid="hub.referral_received"
        )
        events.screening_approved.connect(
            receivers.screening_approved, dispatch_uid="hub.screening_approved"
        )
