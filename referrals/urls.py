from django.urls import path

from referrals.views import (
    chronology,
    emergency,
    governance,
    intake,
    ops,
    pages,
    person_edit,
    referrer,
    restricted,
    subject_access,
)

urlpatterns = [
    path("", pages.home, name="home"),
    path("referrals/new/", intake.referral_new, name="referral_new"),
    path("referrals/<uuid:referral_id>/", pages.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_id>/screening/", pages.screening_new, name="screening_new"),
    path(
        "referrals/<uuid:referral_id>/screening/review/",
        pages.screening_review,
        name="screening_review",
    ),
    path("referrals/<uuid:referral_id>/close/", pages.referral_close, name="referral_close"),
    path(
        "referrals/<uuid:referral_id>/feedback/<uuid:feedback_id>/acknowledge/",
        pages.feedback_acknowledge,
        name="feedback_acknowledge",
    ),
    path("people/<uuid:person_id>/", pages.person_detail, name="person_detail"),
    path("people/<uuid:person_id>/edit/", person_edit.person_edit, name="person_edit"),
    path(
        "referrals/<uuid:referral_id>/children/<uuid:link_id>/match/",
        person_edit.match_decide,
        name="match_decide",
    ),
    path("people/<uuid:person_id>/relationships/", pages.relationship_new, name="relationship_new"),
    path("people/<uuid:person_id>/chronology/", chronology.event_new, name="chronology_event_new"),
    path(
        "people/<uuid:person_id>/chronology.pdf",
        chronology.chronology_print,
        name="chronology_print",
    ),
    path("people/<uuid:person_id>/merge/", pages.person_merge, name="person_merge"),
    path("search/", pages.search, name="search"),
    path("team/work/", pages.team_work, name="team_work"),
    path("notifications/", pages.notification_list, name="notifications"),
    path("feedback/<str:token>/", referrer.referrer_feedback, name="referrer_feedback"),
    path("people/<uuid:person_id>/break-glass/", restricted.break_glass, name="break_glass"),
    path(
        "people/<uuid:person_id>/restriction/",
        restricted.person_restriction,
        name="person_restriction",
    ),
    path("governance/break-glass/", restricted.break_glass_report, name="break_glass_report"),
    path(
        "governance/break-glass/<uuid:entry_id>/review/",
        restricted.break_glass_review,
        name="break_glass_review",
    ),
    path(
        "referrals/<uuid:referral_id>/emergency-measures/new/",
        emergency.measure_new,
        name="emergency_measure_new",
    ),
    path(
        "referrals/<uuid:referral_id>/emergency-measures/<uuid:measure_id>/reporter-told/",
        emergency.measure_reporter_told,
        name="emergency_measure_reporter_told",
    ),
    path("governance/access/", governance.access_report_find, name="access_report_find"),
    path(
        "governance/subject-access/",
        subject_access.subject_access_list,
        name="subject_access_list",
    ),
    path(
        "governance/subject-access/new/<uuid:person_id>/",
        subject_access.subject_access_new,
        name="subject_access_new",
    ),
    path(
        "governance/subject-access/<uuid:request_id>/",
        subject_access.subject_access_detail,
        name="subject_access_detail",
    ),
    path(
        "governance/subject-access/<uuid:request_id>/items/<int:position>/",
        subject_access.subject_access_item,
        name="subject_access_item",
    ),
    path(
        "governance/subject-access/<uuid:request_id>/extend/",
        subject_access.subject_access_extend,
        name="subject_access_extend",
    ),
    path(
        "governance/subject-access/<uuid:request_id>/submit/",
        subject_access.subject_access_submit,
        name="subject_access_submit",
    ),
    path(
        "governance/subject-access/<uuid:request_id>/approve/",
        subject_access.subject_access_approve,
        name="subject_access_approve",
    ),
    path(
        "governance/subject-access/<uuid:request_id>/pack/<slug:fmt>/",
        subject_access.subject_access_pack,
        name="subject_access_pack",
    ),
    path("governance/disposal/", governance.disposal_lists, name="disposal_lists"),
    path("governance/disposal/prepare/", governance.disposal_prepare, name="disposal_prepare"),
    path(
        "governance/disposal/<uuid:list_id>/approve/",
        governance.disposal_approve,
        name="disposal_approve",
    ),
    path(
        "governance/access/<uuid:person_id>/",
        governance.person_access_report,
        name="person_access_report",
    ),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
]
