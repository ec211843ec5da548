"""iCalendar (RFC 5545 / iTIP RFC 5546) invitations for IRDs, built with `icalendar`.

One IRD is one calendar event for its whole life: the UID never changes, each reschedule sends
a REQUEST with a higher SEQUENCE, and cancelling sends METHOD:CANCEL (STATUS:CANCELLED) with a
higher SEQUENCE again, so calendar programs update or remove the event they already hold.

What goes in: the IRD's reference, time and teleconference details (the recipients are the
invited, who may see them) and a link. Never a child's name or other personal details."""

from datetime import UTC, datetime
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress, vText

from ird.models import CalendarMessage, Ird

PRODUCT_ID = "-//Child welfare referrals//IRD invitations//EN"


def event_uid(ird: Ird) -> str:
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    return f"ird-{ird.pk}@{host}"


def ird_link(ird: Ird) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('ird:detail', args=[ird.pk])}"


def _address(staff, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{staff.email or staff.username + '@invalid'}")
    address.params["cn"] = vText(staff.get_full_name() or staff.username)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def _description(ird: Ird, cancelled: bool) -> str:
    lines = [f"Inter-agency referral discussion {ird.reference}."]
    if cancelled:
        lines.append("This IRD has been cancelled.")
    else:
        lines.append("Teleconference:")
        lines.append(f"  Dial-in number: {ird.dial_in or 'to follow'}")
        lines.append(f"  Meeting ID: {ird.meeting_id or 'to follow'}")
        lines.append(f"  PIN: {ird.pin or 'to follow'}")
    lines.append(f"Details (sign in): {ird_link(ird)}")
    return "\n".join(lines)


def invitation_ics(*, ird: Ird, method: str, attendees, stamp: datetime) -> str:
    """The calendar object for `method` (REQUEST or CANCEL) at the IRD's current SEQUENCE."""
    cancelled = method == CalendarMessage.Method.CANCEL
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", event_uid(ird))
    event.add("sequence", ird.calendar_sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", ird.scheduled_for.astimezone(UTC))
    event.add("dtend", ird.ends_at.astimezone(UTC))
    event.add("summary", f"Inter-agency referral discussion {ird.reference}")
    event.add("location", "Teleconference")
    event.add("description", _description(ird, cancelled))
    event.add("url", ird_link(ird))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("class", "CONFIDENTIAL")
    if ird.coordinator_id:
        event.add("organizer", _address(ird.coordinator))
    else:
        event.add("organizer", vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}"))
    for staff in attendees:
        chair = staff.pk == ird.chair_id
        event.add("attendee", _address(staff, "CHAIR" if chair else "REQ-PARTICIPANT"))
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
