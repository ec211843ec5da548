from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from referrals import metrics
from referrals.views import passkeys, sign_in

# The admin is for verified sessions only (the second factor), as every other page.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Child welfare referrals: administration"
admin.site.site_title = "Child welfare referrals"

urlpatterns = [
    path("metrics", metrics.metrics_view, name="metrics"),  # Prometheus; allowed addresses only
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("mfa/verify/", sign_in.verify, name="mfa_verify"),
    path("mfa/enrol/", sign_in.enrol, name="mfa_enrol"),
    # Passkeys: used at the second step (open before it, as the code's page is) ...
    path(
        "mfa/passkey/begin/",
        passkeys.PasskeyAuthenticationBegin.as_view(),
        name="mfa_passkey_begin",
    ),
    path(
        "mfa/passkey/complete/",
        passkeys.PasskeyAuthenticationComplete.as_view(),
        name="mfa_passkey_complete",
    ),
    path("mfa/passkey/messages.js", passkeys.passkey_messages, name="mfa_passkey_messages"),
    # ... and added, named and removed by a signed-in, verified person.
    path("security/", passkeys.sign_in_methods, name="sign_in_methods"),
    path(
        "security/passkeys/register/begin/",
        passkeys.PasskeyRegistrationBegin.as_view(),
        name="passkey_register_begin",
    ),
    path(
        "security/passkeys/register/complete/",
        passkeys.PasskeyRegistrationComplete.as_view(),
        name="passkey_register_complete",
    ),
    path("security/passkeys/<int:passkey_id>/", passkeys.passkey_name, name="passkey_name"),
    path(
        "security/passkeys/<int:passkey_id>/remove/",
        passkeys.passkey_remove,
        name="passkey_remove",
    ),
    path("admin/", admin.site.urls),
    path("", include("ird.api")),  # /api/v1/irds/: before the partner API's catch-all 404
    path("", include("referrals.api.urls")),  # /api/v1/ (partner API), /api/schema/, /api/docs/
    path("hub/", include("hub.urls")),  # the practice hub
    path("", include("referrals.urls")),
    path("ird/", include("ird.urls")),  # inter-agency referral discussions
]

handler500 = "referrals.views.ops.server_error"
