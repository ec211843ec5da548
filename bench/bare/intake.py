"""The bare yardstick of the social worker's intake pages (issue 14 P1): a plain Django form in
three requests, as ours takes them: the empty form, the form checked and shown back for
confirmation, then saved and redirected. A signed-in user, sessions and CSRF as Django gives
them; no matching, audit, deadlines or hub queue."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import engines

from bench.bare.models import Concern

PAGE = engines["django"].from_string(
    """<!doctype html><html lang="en"><title>New referral</title><main>
<h1>New referral</h1>
<form method="post">{% csrf_token %}
{% if payload %}<p>Check and confirm.</p><input type="hidden" name="payload" value="{{ payload }}">
<button name="action" value="confirm">Save</button>
{% else %}{{ form.as_div }}<button name="action" value="continue">Continue</button>{% endif %}
</form></main></html>"""
)


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(choices=[("phone", "Phone"), ("email", "E-mail")])
    referrer_name = forms.CharField(max_length=200)
    referrer_role = forms.CharField(max_length=200, required=False)
    summary = forms.CharField(widget=forms.Textarea)
    immediate_risk = forms.ChoiceField(choices=[("no", "No"), ("yes", "Yes")])
    categories = forms.CharField(max_length=200)
    consent_sought = forms.ChoiceField(choices=[("no", "No"), ("yes", "Yes")])
    reason_consent_not_sought = forms.CharField(required=False)
    child_first_name = forms.CharField(max_length=100)
    child_last_name = forms.CharField(max_length=100)
    child_date_of_birth = forms.DateField(required=False)


@login_required
def intake(request):
    if request.method == "POST" and request.POST.get("action") == "confirm":
        data = signing.loads(request.POST["payload"], max_age=3600)
        concern = Concern.objects.create(
            external_reference="page", summary=data["summary"], body=data
        )
        return redirect(f"/intake/?saved={concern.pk}")
    form = IntakeForm(request.POST if request.method == "POST" else None)
    payload = ""
    if form.is_bound and form.is_valid():
        born = form.cleaned_data["child_date_of_birth"]
        payload = signing.dumps({**form.cleaned_data, "child_date_of_birth": str(born or "")})
    return HttpResponse(PAGE.render({"form": form, "payload": payload}, request))
