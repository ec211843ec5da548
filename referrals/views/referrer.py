"""The page an external referrer reaches from the practice hub's feedback e-mail: no account,
a signed link that expires. Reading it and acknowledging it are audited; GET changes nothing
(mail scanners open links), the acknowledgement is a POST."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from referrals import audit
from referrals.services import feedback as feedback_services


@require_http_methods(["GET", "POST"])
def referrer_feedback(request, token):
    item = feedback_services.feedback_for_link(token)
    if item is None:
        raise Http404("This link is not valid or has expired.")
    acknowledged_now = False
    if request.method == "POST" and item.acknowledged_at is None:
        item = feedback_services.feedback_acknowledge(
            feedback=item, by="the referrer (e-mail link)"
        )
        acknowledged_now = True
    else:
        audit.record(
            actor=None,
            action=audit.Action.VIEW,
            subject=item,
            detail={"referral": str(item.referral_id), "by": "referrer e-mail link"},
        )
    return render(
        request,
        "referrals/referrer_feedback.html",
        {"item": item, "token": token, "acknowledged_now": acknowledged_now},
    )
