"""CSV downloads (the hub's report tables, ird's child protection statistics): cells a
spreadsheet will not run as formulas."""

import csv
import re

from django.http import HttpResponse

CSV_FORMULA = re.compile(r"^[=+\-@\t\r]")


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if CSV_FORMULA.match(text) else text


def csv_response(filename: str, columns: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([csv_cell(column) for column in columns])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return response
