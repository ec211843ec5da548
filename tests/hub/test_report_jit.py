"""Issue 14 P5: the committee reports' queries run without PostgreSQL's JIT compilation, which
cost more than the queries themselves (bench/RESULTS.md)."""

import pytest
from django.db import connection
from django.utils import timezone

from hub import reports

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT is PostgreSQL's"),
]


def jit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        return cursor.fetchone()[0]


def test_a_report_table_is_computed_without_jit(monkeypatch):
    seen = []
    real = reports.Report.table_neglect
    monkeypatch.setattr(
        reports.Report, "table_neglect", lambda self: seen.append(jit()) or real(self)
    )
    table = reports.Report(reports.Filters.default(timezone.localdate()), timezone.now()).table(
        "neglect"
    )
    assert seen == ["off"]
    assert table.rows[0][1] == 0  # no concerns yet: the table is still computed
