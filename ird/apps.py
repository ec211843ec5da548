from django.apps import AppConfig


class IrdConfig(AppConfig):
    name = "ird"
    verbose_name = "Inter-agency referral discussions"

    def ready(self):
        # referrals/ never imports ird/: ird connects to the core's events and fills in the
        # core's extension points here.
        from django.db.backends.signals import connection_created  # noqa: PLC0415

        from ird import (  # noqa: PLC0415 - app registry must be ready
            disposal,
            hooks,
            services,
            statistics,
        )
        from referrals import events, extensions  # noqa: PLC0415

        events.screening_approved.connect(
            services.on_screening_approved, dispatch_uid="ird.open_request_on_approval"
        )
        events.referral_received.connect(
            services.on_referral_received, dispatch_uid="ird.open_request_on_arrival"
        )
        events.referral_disposing.connect(
            disposal.on_referral_disposing, dispatch_uid="ird.dispose_with_referral"
        )
        extensions.register_referral_links(hooks.referral_links)
        extensions.register_referral_actions(hooks.referral_actions)
        extensions.register_concern_irds(hooks.concern_irds)
        extensions.register_ird_decisions(hooks.ird_decisions)
        extensions.register_home_sections(hooks.home_sections)
        extensions.register_referral_summaries(hooks.referral_summaries)
        extensions.register_navigation(hooks.navigation)
        extensions.register_records_about(hooks.records_about)
        extensions.register_subject_records(hooks.subject_records)
        extensions.register_kept_with(disposal.kept_with)
        extensions.register_referral_links(hooks.referral_cppm_links)
        extensions.register_referral_actions(hooks.referral_cppm_actions)
        extensions.register_navigation(hooks.register_navigation)
        extensions.register_register_status(hooks.register_status)
        extensions.register_referral_links(hooks.referral_core_group_links)
        extensions.register_navigation(hooks.statistics_navigation)
        extensions.register_records_about(hooks.core_group_records_about)
        extensions.register_emergency_measure_recorders(hooks.may_record_emergency_measure)
        connection_created.connect(
            statistics.register_sqlite_functions, dispatch_uid="ird.sqlite_median"
        )
