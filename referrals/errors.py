"""Domain errors. Pages show their message and answer with the status the class carries
(`status_code`: 400 by default, 403 not permitted, 409 a conflict); so does the API. Every app
uses this one mapping."""


class DomainError(Exception):
    """A rule of practice refused the request. The message is written for the user."""

    status_code = 400


class IllegalTransition(DomainError):
    status_code = 409


class ScreeningRefused(DomainError):
    pass


class NotPermitted(DomainError):
    """The user may see the record but not do this to it (answered 403)."""

    status_code = 403


class EditConflict(DomainError):
    """Someone else saved the record since this form was opened."""

    status_code = 409


class MergeRefused(DomainError):
    pass
