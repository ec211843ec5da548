"""A child's chronology as a PDF to print or keep on paper (referrals.views.pages)."""

import io
from html import escape

from django.utils import timezone
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

STYLES = getSampleStyleSheet()
CELL = STYLES["BodyText"]


def _source(entry) -> str:
    agency = entry.source_agency or (entry.referral.source_agency if entry.referral else None)
    return agency.name if agency else ""


def pdf(person, entries, *, narrowed_to: str = "") -> bytes:
    """The entries given (newest first), with who the child is and when it was printed."""
    title = f"Chronology of {person.full_name}"
    born = (
        f"born {person.date_of_birth:%d %B %Y}" if person.date_of_birth else "date of birth unknown"
    )
    story = [
        Paragraph(escape(title), STYLES["Title"]),
        Paragraph(
            escape(
                f"{born}; CHI {person.chi_number or 'not known'}. Printed "
                f"{timezone.localtime():%d %B %Y %H:%M}"
                + (f"; {narrowed_to}" if narrowed_to else "")
                + ". Official sensitive: keep and destroy as the council's policy says."
            ),
            CELL,
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [["Date", "Event", "What happened", "Source", "Referral"]]
    for entry in entries:
        kind = entry.get_kind_display()
        if entry.category:
            kind += f" ({entry.get_category_display().lower()}"
            kind += f", {entry.significance} significance)" if entry.significance else ")"
        rows.append(
            [
                f"{timezone.localtime(entry.occurred_at):%d/%m/%Y %H:%M}",
                Paragraph(escape(kind), CELL),
                Paragraph(escape(entry.summary), CELL),
                Paragraph(escape(_source(entry)), CELL),
                entry.referral.reference if entry.referral else "",
            ]
        )
    if len(rows) == 1:
        story.append(Paragraph("Nothing recorded.", CELL))
    else:
        table = LongTable(
            rows, colWidths=[30 * mm, 45 * mm, 120 * mm, 40 * mm, 35 * mm], repeatRows=1
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#b1b4b6"),
                ]
            )
        )
        story.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=title,
        author="Children's services",
        leftMargin=12 * mm,
        rightMargin=12 * mm,
    ).build(story)
    return buffer.getvalue()
