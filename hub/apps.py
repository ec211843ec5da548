from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Practice hub"

    def ready(self) -> None:
        from hub import disposal, hooks, receivers
        from referrals import events, extensions

        events.referral_received.connect(
            receivers.referral_received, dispatch_uid="hub.referral_received"
        )
        events.screening_approved.connect(
            receivers.screening_approved, dispatch_uid="hub.screening_approved"
        )
        events.referral_disposing.connect(
            disposal.on_referral_disposing, dispatch_uid="hub.dispose_with_referral"
        )
        events.kept_apart_disposing.connect(
            disposal.on_kept_apart_disposing, dispatch_uid="hub.dispose_reviews_past_retention"
        )
        extensions.register_kept_apart(disposal.kept_apart)
        extensions.register_home_sections(hooks.home_sections)
        extensions.register_navigation(hooks.navigation)
        extensions.register_quality_scope(hooks.quality_scope)
