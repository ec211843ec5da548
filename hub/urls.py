from django.urls import path

from hub import views

app_name = "hub"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("reviews/<uuid:review_id>/", views.review, name="review"),
    path("reviews/<uuid:review_id>/claim/", views.review_claim, name="review_claim"),
    path("reviews/<uuid:review_id>/release/", views.review_release, name="review_release"),
    path("team-feedback/", views.team_feedback, name="team_feedback"),
    path("reports/", views.report_page, name="reports"),
    path("reports/<slug:table>.csv", views.report_csv, name="report_csv"),
    path("reports/<slug:table>/", views.report_table, name="report_table"),
    path("audits/", views.audit_list, name="audit_list"),
    path("audits/open/", views.audit_open, name="audit_open"),
    path("audits/<uuid:round_id>/", views.audit_round, name="audit_round"),
    path("audits/<uuid:round_id>/grades.csv", views.audit_round_csv, name="audit_round_csv"),
    path("audits/<uuid:round_id>/summary/", views.audit_summary, name="audit_summary"),
    path("audits/<uuid:round_id>/learning/", views.audit_learning, name="audit_learning"),
    path("audits/records/<uuid:assignment_id>/", views.audit_assignment, name="audit_assignment"),
]
