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

from ird.models import CalendarMessage, Cppm, Ird

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


def _ics(
    *,
    uid: str,
    sequence: int,
    method: str,
    start,
    end,
    summary: str,
    location: str,
    description: str,
    url: str,
    organizer,
    chair_id,
    attendees,
    stamp: datetime,
) -> str:
    """One meeting's calendar object for `method` (REQUEST or CANCEL) at its SEQUENCE."""
    cancelled = method == CalendarMessage.Method.CANCEL
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("class", "CONFIDENTIAL")
    if organizer is not None:
        event.add("organizer", _address(organizer))
    else:
        event.add("organizer", vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}"))
    for staff in attendees:
        chair = staff.pk == chair_id
        event.add("attendee", _address(staff, "CHAIR" if chair else "REQ-PARTICIPANT"))
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def invitation_ics(*, ird: Ird, method: str, attendees, stamp: datetime) -> str:
    """The IRD's calendar object for `method` (REQUEST or CANCEL) at its current SEQUENCE."""
    return _ics(
        uid=event_uid(ird),
        sequence=ird.calendar_sequence,
        method=method,
        start=ird.scheduled_for,
        end=ird.ends_at,
        summary=f"Inter-agency referral discussion {ird.reference}",
        location="Teleconference",
        description=_description(ird, method == CalendarMessage.Method.CANCEL),
        url=ird_link(ird),
        organizer=ird.coordinator if ird.coordinator_id else None,
        chair_id=ird.chair_id,
        attendees=attendees,
        stamp=stamp,
    )


# --- Child protection planning meetings ------------------------------------------------------


def cppm_link(cppm: Cppm) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('ird:cppm_detail', args=[cppm.pk])}"


def cppm_ics(*, cppm: Cppm, method: str, attendees, stamp: datetime) -> str:
    """The planning meeting's calendar object: its reference, kind, place or dial-in and a
    link; never a child's name."""
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    where = ", ".join(part for part in (cppm.place, cppm.dial_in) if part) or "To follow"
    lines = [
        f"{cppm.get_kind_display()} child protection planning meeting {cppm.reference}.",
        f"Where: {where}",
        f"Details (sign in): {cppm_link(cppm)}",
    ]
    return _ics(
        uid=f"cppm-{cppm.pk}@{host}",
        sequence=cppm.calendar_sequence,
        method=method,
        start=cppm.scheduled_for,
        end=cppm.ends_at,
        summary=f"Child protection planning meeting {cppm.reference}",
        location=where,
        description="\n".join(lines),
        url=cppm_link(cppm),
        organizer=cppm.coordinator,
        chair_id=cppm.chair_id,
        attendees=attendees,
        stamp=stamp,
    )
