"""Partner API routes. Anything else under /api/ is a JSON 404."""

from django.http import JsonResponse
from django.urls import URLPattern, path
from django.urls.resolvers import RegexPattern
from django.views.decorators.csrf import csrf_exempt

from referrals.api import docs, views

app_name = "partner_api"


class AnythingUnderApi(RegexPattern):
    """`^api/(?P<rest>.*)$`, newlines included: a path with an encoded %0A must get the JSON
    404 too, not the site's HTML page ("." stops at a newline)."""

    def match(self, path):
        if path.startswith("api/"):
            return "", (), {"rest": path[len("api/") :]}
        return None


@csrf_exempt  # it changes nothing, for any method: a POST here is a 404, not a CSRF failure
def not_found(request, rest=""):
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("api/v1/concerns/", views.ConcernsApi.as_view(), name="concerns"),
    path(
        "api/v1/concerns/<uuid:concern_id>/",
        views.ConcernDetailApi.as_view(),
        name="concern_detail",
    ),
    path(
        "api/v1/concerns/<uuid:concern_id>/feedback/",
        views.ConcernFeedbackApi.as_view(),
        name="concern_feedback",
    ),
    path(
        "api/v1/concerns/<uuid:concern_id>/feedback/<uuid:feedback_id>/acknowledge/",
        views.FeedbackAcknowledgeApi.as_view(),
        name="feedback_acknowledge",
    ),
    path(
        "api/v1/concerns/<uuid:concern_id>/emergency-measures/",
        views.ConcernMeasuresApi.as_view(),
        name="concern_measures",
    ),
    path(
        "api/v1/concerns/<uuid:concern_id>/emergency-measures/<uuid:measure_id>/",
        views.ConcernMeasureDetailApi.as_view(),
        name="measure_detail",
    ),
    path(
        "api/v1/concerns/<uuid:concern_id>/emergency-measures/<uuid:measure_id>/reporter-told/",
        views.MeasureReporterToldApi.as_view(),
        name="measure_reporter_told",
    ),
    path("api/v1/categories/", views.CategoriesApi.as_view(), name="categories"),
    path("api/v1/events/", views.EventsApi.as_view(), name="events"),
    path("api/schema/", docs.PartnerSchemaView.as_view(), name="schema"),
    path("api/docs/", docs.PartnerDocsView.as_view(url_name="partner_api:schema"), name="docs"),
    URLPattern(AnythingUnderApi(r"^api/(?P<rest>.*)$", is_endpoint=True), not_found),
]
