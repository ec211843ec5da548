"""IRD refusals. All are referrals' DomainError: pages show the message, the API answers it."""

from referrals.errors import DomainError, EditConflict


class IrdRefused(DomainError):
    """A rule of IRD practice refused the request (answered 400)."""


class SignOffRefused(IrdRefused):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


class RecordLocked(DomainError):
    """The record was signed off: it changes only by addenda."""

    status_code = 409


class SectionConflict(EditConflict):
    """Someone saved the section since this text was based on it; `section` is theirs."""

    def __init__(self, section):
        self.section = section
        who = section.updated_by.get_full_name() if section.updated_by_id else "someone else"
        super().__init__(
            f"{section.get_key_display()} was changed by {who} while you were typing, so your "
            "text was not saved. Their text is shown below and yours is still in the box: "
            "combine them, then save again."
        )


class ActionConflict(EditConflict):
    """The action changed since the form (or the partner's ETag) was read."""


class CppmRefused(DomainError):
    """A rule of child protection planning meetings or the register refused the request."""


class CoreGroupRefused(DomainError):
    """A rule of the core group or the child's plan refused the request."""
