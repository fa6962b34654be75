"""Sending SMS: one interface, a recording sender by default, a gateway by configuration."""

import logging
from typing import Protocol

from sqlmodel import Session

from xcert_app.models.system import SmsMessage
from xcert_app.services.masking import mask_mobile
from xcert_app.settings import settings

logger = logging.getLogger(__name__)

# Labels for the operator's outbox. An unknown value is shown as it is stored.
PURPOSE_LABELS = {
    "register": "院校注册验证码",
    "account": "院校账号开通",
    "declaration": "申报审核结果",
    "candidate_first_login": "考生首次登录验证码",
}
STATUS_LABELS = {
    "recorded": "已记录（演示发件箱）",
    "not_sent": "未发送（未配置短信网关）",
}


class SmsSender(Protocol):
    """Sends one text message to a mainland mobile number."""

    def send(
        self, session: Session, *, mobile: str, body: str, purpose: str
    ) -> SmsMessage: ...


class OutboxSmsSender:
    """Records each message in the outbox table and the log; sends nothing."""

    def send(
        self, session: Session, *, mobile: str, body: str, purpose: str
    ) -> SmsMessage:
        message = SmsMessage(mobile=mobile, body=body, purpose=purpose)
        session.add(message)
        logger.info("sms recorded: purpose=%s to=%s", purpose, mask_mobile(mobile))
        return message


class GatewaySmsSender:
    """Placeholder for a real SMS gateway; records the message as the outbox does.

    NOTE: no gateway is wired yet. Selecting ``XCERT_SMS_BACKEND=gateway`` records
    the message and logs a warning, so nothing is lost until one is configured.
    """

    def send(
        self, session: Session, *, mobile: str, body: str, purpose: str
    ) -> SmsMessage:
        logger.warning(
            "sms gateway not configured; message recorded only (purpose=%s)", purpose
        )
        message = SmsMessage(
            mobile=mobile, body=body, purpose=purpose, status="not_sent"
        )
        session.add(message)
        return message


def get_sender() -> SmsSender:
    """Return the sender chosen by ``XCERT_SMS_BACKEND`` (``outbox`` or ``gateway``)."""
    if settings.sms_backend == "gateway":
        return GatewaySmsSender()
    return OutboxSmsSender()
