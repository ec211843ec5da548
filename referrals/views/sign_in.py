"""The second step of signing in: the code from the authenticator app (or a recovery code, or a
passkey: referrals/views/passkeys.py), and enrolling the app on a first sign-in. Thin: the rules
are in referrals/second_factor.py."""

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from referrals import passkeys, second_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery "
        "codes.",
        error_messages={"required": "Enter the code from your authenticator app."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def second_factor_failed(request) -> bool:
    """A wrong code or a refused passkey counts toward the lockout of a wrong password
    (django-axes). True when that locks the person out: the half-signed-in session ends."""
    credentials = {"username": request.user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if AxesProxyHandler.is_allowed(request, credentials):
        return False
    logout(request)
    return True


def _wrong_code(request, form) -> object:
    if second_factor_failed(request):
        return render(request, "registration/locked_out.html", status=429)
    form.add_error(
        "code", "The code is not right, or has been used. Wait for the next code and enter it."
    )
    return None


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    if request.user.is_verified():
        return redirect(_next(request))
    if not second_factor.is_enrolled(request.user):
        return redirect(f"{reverse('mfa_enrol')}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor.verify(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        locked = _wrong_code(request, form)
        if locked is not None:
            return locked
    context = {"form": form, "next": _next(request)}
    if passkeys.has_passkey(request.user):
        context["passkey"] = passkeys.ceremony_settings(request)
    return render(request, "registration/verify.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    """First sign-in: scan the QR code, type the app's first code, keep the recovery codes."""
    if second_factor.is_enrolled(request.user):
        return redirect(f"{reverse('mfa_verify')}?next={_next(request)}")
    device = second_factor.enrolment_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.enrol_confirm(
            user=request.user, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        locked = _wrong_code(request, form)
        if locked is not None:
            return locked
    context = {
        "form": form,
        "next": _next(request),
        "qr_code": second_factor.qr_code_svg(device),
        "secret": second_factor.secret_for_typing(device),
    }
    return render(request, "registration/enrol.html", context, status=400 if form.errors else 200)
