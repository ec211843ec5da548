"""The subject access pack: a PDF, and a ZIP of the items with the PDF, made only from an
approved request. Redactions are burnt in: the passages chosen are replaced before any text
reaches the file, and shown as a black bar labelled with the reason, so no hidden text layer
holds them. Withheld items are counted on the cover, never reproduced."""

import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from referrals.models import DisclosureItem, SubjectAccessRequest

Decision = DisclosureItem.Decision
# A TrueType font shipped with reportlab itself (nothing fetched), for names beyond Latin-1.
FONT = "Vera"
pdfmetrics.registerFont(TTFont(FONT, str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")))
pdfmetrics.registerFont(
    TTFont(f"{FONT}-Bold", str(Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"))
)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, spaceAfter=6)
HEADING = ParagraphStyle("heading", fontName=f"{FONT}-Bold", fontSize=12, leading=16)
TITLE = ParagraphStyle("title", fontName=f"{FONT}-Bold", fontSize=16, leading=22, spaceAfter=10)


class NotReleasable(Exception):
    pass


def segments(text: str, redactions: list[str]) -> list[tuple[str, bool]]:
    """The text cut into (piece, redacted) runs; every occurrence of each passage, in any
    case, is redacted, overlapping passages merged."""
    spans = sorted(
        (match.start(), match.end())
        for phrase in redactions
        if phrase
        for match in re.finditer(re.escape(phrase), text, flags=re.IGNORECASE)
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    runs, at = [], 0
    for start, end in merged:
        if start > at:
            runs.append((text[at:start], False))
        runs.append((text[start:end], True))
        at = end
    if at < len(text):
        runs.append((text[at:], False))
    return runs


def redacted_text(item: DisclosureItem) -> str:
    """Plain text with each redaction replaced by a marker naming the reason."""
    marker = f"[REDACTED: {item.get_reason_display().lower()}]"
    return "".join(
        marker if hidden else piece for piece, hidden in segments(item.text, item.redactions)
    )


def _markup(item: DisclosureItem) -> str:
    label = escape(f" REDACTED: {item.get_reason_display().lower()} ")
    out = []
    for piece, hidden in segments(item.text, item.redactions):
        if hidden:
            out.append(f'<font backColor="#000000" color="#ffffff">{label}</font>')
        else:
            out.append(escape(piece).replace("\n", "<br/>"))
    return "".join(out)


def _released(request: SubjectAccessRequest) -> list[DisclosureItem]:
    if request.state != SubjectAccessRequest.State.APPROVED:
        raise NotReleasable("The pack is produced only once a second officer has approved it.")
    return list(request.items.exclude(decision=Decision.WITHHOLD).order_by("position"))


def _cover(request: SubjectAccessRequest, released: list[DisclosureItem]) -> list[str]:
    withheld = request.items.filter(decision=Decision.WITHHOLD).count()
    return [
        f"Requested by: {request.requester_name} ({request.get_capacity_display().lower()})",
        f"About: {request.person.full_name}",
        f"Received: {request.received_on:%d %B %Y}; answered by {request.answer_by:%d %B %Y}",
        f"Approved: {timezone.localtime(request.approved_at):%d %B %Y}",
        f"Records disclosed: {len(released)}, of which "
        f"{sum(i.decision == Decision.REDACT for i in released)} with redactions; "
        f"records withheld under an exemption: {withheld}.",
    ]


def pdf(request: SubjectAccessRequest) -> bytes:
    released = _released(request)
    story = [Paragraph("Subject access request: the records we hold", TITLE)]
    story += [Paragraph(escape(line), BODY) for line in _cover(request, released)]
    for item in released:
        story += [Spacer(1, 4 * mm), Paragraph(escape(f"{item.position}. {item.heading}"), HEADING)]
        story.append(Paragraph(_markup(item) or "(empty)", BODY))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title="Subject access request",
        author="Children's services",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    ).build(story)
    return buffer.getvalue()


def archive(request: SubjectAccessRequest) -> bytes:
    """The PDF and each released item as a text file, with an index."""
    released = _released(request)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("subject-access-pack.pdf", pdf(request))
        index = _cover(request, released) + [""]
        for item in released:
            name = f"items/{item.position:03d}-{item.source_type}.txt"
            bundle.writestr(name, f"{item.heading}\n\n{redacted_text(item)}\n")
            index.append(f"{name}\t{item.heading}")
        bundle.writestr("index.txt", "\n".join(index) + "\n")
    return buffer.getvalue()
