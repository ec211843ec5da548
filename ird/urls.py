"""IRD pages, mounted under /ird/ (config/urls.py)."""

from django.urls import path

from ird import core_group_views, cppm_views, statistics_views, views

app_name = "ird"

urlpatterns = [
    path("", views.ird_list, name="list"),
    path("procedures/", views.procedure_list, name="procedures"),
    path("procedures/<uuid:procedure_id>/", views.procedure_detail, name="procedure_detail"),
    path("procedures/<uuid:procedure_id>/review/", views.procedure_review, name="procedure_review"),
    path("convene/<uuid:referral_id>/", views.convene, name="convene"),
    path("<uuid:ird_id>/", views.ird_detail, name="detail"),
    path("<uuid:ird_id>/initial-discussion/", views.initial_discussion, name="initial_discussion"),
    path("<uuid:ird_id>/repeat/", views.repeat_request, name="repeat"),
    path("<uuid:ird_id>/schedule/", views.ird_schedule, name="schedule"),
    path("<uuid:ird_id>/cancel/", views.ird_cancel, name="cancel"),
    path("<uuid:ird_id>/children/<uuid:child_id>/", views.ird_child, name="child"),
    path("<uuid:ird_id>/start/", views.ird_start, name="start"),
    path("<uuid:ird_id>/calendar.ics", views.ird_calendar, name="calendar"),
    path("<uuid:ird_id>/record/", views.ird_record, name="record"),
    path("<uuid:ird_id>/record/live/", views.record_live, name="live"),
    path("<uuid:ird_id>/record/sections/<slug:key>/", views.section_save, name="section"),
    path("<uuid:ird_id>/record/attendance/", views.attendance_add, name="attendance"),
    path(
        "<uuid:ird_id>/record/attendance/<uuid:attendance_id>/left/",
        views.attendance_left,
        name="attendance_left",
    ),
    path("<uuid:ird_id>/record/absence/", views.absence_record, name="absence"),
    path("<uuid:ird_id>/record/details/", views.record_details, name="details"),
    path("<uuid:ird_id>/record/lead-professional/", views.lead_professional, name="lead"),
    path("<uuid:ird_id>/record/decisions/", views.decision_add, name="decision"),
    path(
        "<uuid:ird_id>/record/decisions/<int:decision_id>/remove/",
        views.decision_remove,
        name="decision_remove",
    ),
    path("<uuid:ird_id>/record/actions/", views.action_add, name="action_add"),
    path("<uuid:ird_id>/record/conclude/", views.ird_conclude, name="conclude"),
    path("<uuid:ird_id>/record/sign-off/", views.ird_sign_off, name="sign_off"),
    path("<uuid:ird_id>/record/addenda/", views.addendum_add, name="addendum"),
    path("<uuid:ird_id>/record/circulate/", views.record_circulate, name="circulate"),
    path("<uuid:ird_id>/record/print/", views.record_print, name="print"),
    path("<uuid:ird_id>/record/revisions/", views.record_revisions, name="revisions"),
    path("<uuid:ird_id>/actions/<uuid:action_id>/", views.action_update, name="action"),
    path("<uuid:ird_id>/follow-up/<uuid:item_id>/", views.follow_up_done, name="follow_up"),
    path("<uuid:ird_id>/quality/", views.quality_review, name="quality"),
    # Child protection planning meetings and the register.
    path("cppm/new/<uuid:referral_id>/", cppm_views.cppm_new, name="cppm_new"),
    path("cppm/<uuid:cppm_id>/", cppm_views.cppm_detail, name="cppm_detail"),
    path("cppm/<uuid:cppm_id>/outcome/", cppm_views.cppm_outcome, name="cppm_outcome"),
    path("cppm/<uuid:cppm_id>/record/", cppm_views.cppm_record, name="cppm_record"),
    path("cppm/<uuid:cppm_id>/reschedule/", cppm_views.cppm_reschedule, name="cppm_reschedule"),
    path("cppm/<uuid:cppm_id>/cancel/", cppm_views.cppm_cancel, name="cppm_cancel"),
    path("cppm/<uuid:cppm_id>/calendar.ics", cppm_views.cppm_calendar, name="cppm_calendar"),
    path("cppm/due/", cppm_views.cppms_due, name="cppms_due"),
    path("register/", cppm_views.register, name="register"),
    path(
        "register/temporary/<uuid:referral_id>/",
        cppm_views.register_temporary,
        name="register_temporary",
    ),
    # The core group and the child's plan.
    path("core-group/<uuid:group_id>/", core_group_views.core_group_detail, name="core_group"),
    path(
        "core-group/<uuid:group_id>/meetings/",
        core_group_views.meeting_record,
        name="core_group_meeting",
    ),
    path(
        "core-group/<uuid:group_id>/members/", core_group_views.member_add, name="core_group_member"
    ),
    path(
        "core-group/<uuid:group_id>/members/leave/",
        core_group_views.member_leave,
        name="core_group_member_leave",
    ),
    path(
        "core-group/<uuid:group_id>/plan/", core_group_views.plan_action_add, name="plan_action_add"
    ),
    path(
        "core-group/<uuid:group_id>/plan/<uuid:action_id>/",
        core_group_views.plan_action_update,
        name="plan_action",
    ),
    # Statistics for the child protection committee.
    path("statistics/", statistics_views.statistics_page, name="statistics"),
    path("statistics.csv", statistics_views.statistics_csv, name="statistics_csv"),
]
