"""Issue 15: long commands show their progress: a bar on a terminal, plain lines otherwise."""

import io

from django.core.management import call_command

from referrals import audit
from referrals.progress_bar import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_output_has_a_line_at_each_tenth_and_no_redraws():
    out = io.StringIO()
    bar = Progress(out, "Rows", 20)
    for _ in range(20):
        bar.advance()
    bar.finish()

    lines = out.getvalue().splitlines()
    assert lines[0] == "Rows: 2 of 20" and lines[-1] == "Rows: 20 of 20"
    assert len(lines) == 10 and "\r" not in out.getvalue()


def test_a_terminal_gets_a_bar_redrawn_in_place():
    out = Terminal()
    bar = Progress(out, "Rows", 4)
    for _ in range(4):
        bar.advance()
    bar.finish()

    assert out.getvalue().count("\r") == 5
    assert out.getvalue().endswith("\rRows [" + "#" * 30 + "] 4/4\n")


def test_verify_audit_says_how_far_it_has_gone(db):
    for n in range(3):
        audit.record(actor=None, action=audit.Action.VIEW, object_type="person", object_id=str(n))
    out = io.StringIO()

    call_command("verify_audit", stdout=out)

    assert "Audit rows checked: 3 of 3" in out.getvalue()
    assert "The audit chain holds: 3 rows" in out.getvalue()
