"""The OpenAPI schema and its Swagger UI page, for a valid API token or a signed-in member of
staff (anonymous callers get 401).

Swagger UI comes from drf-spectacular-sidecar, served by the application (never a CDN). Its
start-up script is a separate file (drf-spectacular's "split" view), so the page runs under the
site's CSP (script-src 'self'; style-src 'self') without inline script or style. The page is
rendered without the site's context processors: the caller may be an API client, not staff."""

from django.http import HttpResponse
from django.template.loader import render_to_string
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from referrals.api.exceptions import partner_exception_handler
from referrals.api.throttling import PartnerClientThrottle


class PartnerSchemaView(SpectacularAPIView):
    throttle_classes = [PartnerClientThrottle]

    def get_exception_handler(self):
        return partner_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            # Errors in JSON like the rest of the API, whatever format the schema was asked in.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class PartnerDocsView(SpectacularSwaggerSplitView):
    template_name = "partner_api/swagger_ui.html"
    throttle_classes = [PartnerClientThrottle]
    # Errors (401, 429) are answered in JSON like the rest of the API.
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return partner_exception_handler

    def perform_content_negotiation(self, request, force=False):
        # The page is HTML whatever the caller accepts (a token client asking for text/html
        # must not get 406); the renderer only ever formats an error, in JSON.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        content_type = "application/javascript" if "script" in request.GET else "text/html"
        template = self.template_name_js if "script" in request.GET else self.template_name
        body = render_to_string(template, response.data)
        return HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
