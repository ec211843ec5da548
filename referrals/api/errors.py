"""Errors the partner API answers with a status and a message (see exceptions.py)."""

from referrals.errors import DomainError


class DuplicateConcern(DomainError):
    """The client already submitted a concern under this external reference."""

    status_code = 409

    def __init__(self, message: str, *, concern_id):
        super().__init__(message)
        self.concern_id = concern_id


class NoIntakeTeam(DomainError):
    """No team is set to receive partner concerns: the installation's fault, not the client's."""

    status_code = 503


class TokenRefused(DomainError):
    """A new token was refused (the client already holds the most it may)."""

    status_code = 409


class WebhookDeliveryFailed(Exception):
    """The receiver did not answer 2xx: worth another try later (not a DomainError: no client
    request is answered with it)."""
