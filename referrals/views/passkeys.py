"""Passkeys: the sign-in methods page (add, name and remove a passkey) and the WebAuthn
ceremonies, which django-otp-webauthn runs. Its views are subclassed here for this project's
rules; the rules themselves are in referrals/passkeys.py.

Adding a passkey is under /security/, where SecondFactorMiddleware already sends an unverified
session to the code; using one is under /mfa/, open before the second factor as the code's
page is. Each view checks its own rule as well, whatever the middleware does."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views

from referrals import passkeys, second_factor
from referrals.views.sign_in import second_factor_failed


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=passkeys.NAME_MAX_LENGTH,
        help_text="So that you can tell your passkeys apart, for example “Work laptop” or "
        "“Security key”.",
        error_messages={"required": "Enter a name for the passkey."},
    )


def _verified(request) -> None:
    if not request.user.is_verified():
        raise PermissionDenied("Sign in with your second factor first.")


# --- The sign-in methods page ---------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def sign_in_methods(request):
    """The person's own second factors: the app, the recovery codes left, their passkeys."""
    _verified(request)
    context = {
        "passkeys": passkeys.passkeys_of(request.user),
        "recovery_codes_left": second_factor.recovery_codes_left(request.user),
        "passkey": passkeys.ceremony_settings(request),
    }
    return render(request, "registration/sign_in_methods.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def passkey_name(request, passkey_id: int):
    _verified(request)
    passkey = passkeys.passkey_of(request.user, passkey_id)
    form = PasskeyNameForm(request.POST or None, initial={"name": passkey.name})
    if request.method == "POST" and form.is_valid():
        passkeys.passkey_rename(user=request.user, passkey=passkey, name=form.cleaned_data["name"])
        messages.success(request, "Passkey named.")
        return redirect("sign_in_methods")
    status = 400 if form.errors else 200
    context = {"form": form, "passkey": passkey}
    return render(request, "registration/passkey_name.html", context, status=status)


@login_required
@require_POST
def passkey_remove(request, passkey_id: int):
    _verified(request)
    passkey = passkeys.passkey_of(request.user, passkey_id)
    passkeys.passkey_remove(user=request.user, passkey=passkey)
    messages.success(request, "Passkey removed. It no longer signs you in.")
    return redirect("sign_in_methods")


# --- The package's ceremonies, with this project's rules -----------------------------------


class VerifiedSessionOnly:
    """Adding a passkey needs a session the second factor has verified. The package asks that
    only of someone who already has a factor: a password-only session with no app enrolled yet
    could add a passkey and be verified by it, skipping enrolment. Refused here."""

    def check_can_register(self):
        if not self.request.user.is_verified():
            raise webauthn_errors.NotVerified()
        super().check_can_register()


class PasskeyRegistrationBegin(VerifiedSessionOnly, webauthn_views.BeginCredentialRegistrationView):
    pass


class PasskeyRegistrationComplete(
    VerifiedSessionOnly, webauthn_views.CompleteCredentialRegistrationView
):
    """The passkey is saved and its addition audited together; the answer says where to name
    it (static/js/passkeys.js goes there)."""

    def post(self, *args, **kwargs):
        with transaction.atomic():
            response = super().post(*args, **kwargs)
            passkey = passkeys.passkey_of(self.request.user, json.loads(response.content)["id"])
            passkeys.passkey_added(user=self.request.user, passkey=passkey)
        return JsonResponse(
            {"id": passkey.pk, "name_url": reverse("passkey_name", args=[passkey.pk])}
        )


class SecondStepOnly:
    """A passkey is the second step of signing in, after the password, never instead of it
    (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off as well)."""

    def check_can_authenticate(self):
        if not self.request.user.is_authenticated:
            raise webauthn_errors.NotAuthenticated()
        super().check_can_authenticate()


class PasskeyAuthenticationBegin(SecondStepOnly, webauthn_views.BeginCredentialAuthenticationView):
    pass


class PasskeyAuthenticationComplete(
    SecondStepOnly, webauthn_views.CompleteCredentialAuthenticationView
):
    """A refused passkey (unknown, someone else's, a bad signature, a stale or replayed
    challenge) counts toward the lockout as a wrong code does: the package turns every refusal
    into an OTPWebAuthnApiError, which its views pass to handle_exception."""

    def handle_exception(self, exc):
        if (
            isinstance(exc, webauthn_errors.OTPWebAuthnApiError)
            and self.request.user.is_authenticated
        ):
            # At the limit the half-signed-in session ends, and django-axes' middleware answers
            # with its lockout page (429), as it does after a wrong code.
            second_factor_failed(self.request)
        return super().handle_exception(exc)


# The package's scripts translate their messages through Django's JavaScript catalogue.
passkey_messages = JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])
