"""A pytest plugin (tests/conftest.py loads it): every child and adult the test run creates,
seeded or made by a factory, is remembered, and once the run ends its log file (config/
test_settings.TEST_RUN_LOG, every line at INFO and above as production writes them) is searched
for their names and CHI numbers. Any found fails the run (issue 15: logs hold ids, never a
child's details)."""

import re

from django.conf import settings
from django.db.models.signals import post_save

_details: set[str] = set()


def _remember(sender, instance, **kwargs) -> None:
    # A whole name and a CHI number: a surname alone may be a member of staff's too.
    name = f"{instance.first_name} {instance.last_name}".strip()
    if " " in name and not name.startswith("Anonymised"):
        _details.add(name)
    if instance.chi_number:
        _details.add(instance.chi_number)


def pytest_configure(config) -> None:
    from referrals.models import Person  # noqa: PLC0415 - Django is set up by now

    post_save.connect(_remember, sender=Person, dispatch_uid="tests.log_privacy")


def pytest_sessionfinish(session, exitstatus) -> None:
    path = settings.TEST_RUN_LOG
    if not path.exists() or not _details:
        return
    text = path.read_text(errors="replace")
    pattern = re.compile(r"\b(" + "|".join(re.escape(d) for d in sorted(_details)) + r")\b")
    found = sorted({match.group(1) for match in pattern.finditer(text)})
    if found:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"Children's details reached the test run's log ({path}): {', '.join(found[:20])}",
            red=True,
        )
        session.exitstatus = 1
