"""Errors raised by services; their messages are shown to users as they are, in Chinese."""


class ServiceError(Exception):
    """A broken rule, with a ``message`` for the user that says what to do."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(ServiceError):
    """Input is invalid; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors


class AccessDenied(ServiceError):
    """The caller's role or organisation may not do this."""

    def __init__(self, message: str = "无权执行此操作") -> None:
        super().__init__(message)


LOGIN_EXPIRED_MESSAGE = "登录已过期或已失效，请重新登录"


class LoginExpired(AccessDenied):
    """The session token no longer resolves, because the login expired or was closed.

    A disabled account's sessions end too. Pages redirect to the login page
    instead of showing the message.
    """

    def __init__(self) -> None:
        super().__init__(LOGIN_EXPIRED_MESSAGE)


class NotFound(ServiceError):
    """The record does not exist or is not visible to the caller."""

    def __init__(self, message: str = "记录不存在或无权查看") -> None:
        super().__init__(message)


class Conflict(ServiceError):
    """Someone else changed the record first (optimistic locking)."""

    def __init__(
        self, message: str = "该记录已被他人处理，请刷新后查看最新状态"
    ) -> None:
        super().__init__(message)


class AlreadyDone(ServiceError):
    """The requested change is already in place, so nothing was changed.

    A repeated request, such as the second click of a double click, raises this
    instead of ``Conflict``: the page shows the message as information, not as an error.
    """
