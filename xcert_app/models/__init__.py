"""All tables; importing this package registers every one with ``SQLModel.metadata``."""

from xcert_app.models.accounts import Account, AuthSession, Role, StaffMember
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PlanLevel,
    PlanSession,
    PlanSubject,
    Subject,
)
from xcert_app.models.declarations import (
    Declaration,
    DeclarationMajor,
    DeclarationPlan,
    DeclarationReview,
)
from xcert_app.models.files import StoredFile
from xcert_app.models.issuance import IssuanceRecord, Seal, Signature
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.reference import Division, Institution, Major
from xcert_app.models.registrations import (
    FeeRule,
    PaymentOrder,
    PaymentOrderLine,
    Registration,
)
from xcert_app.models.scheduling import Arrangement, RoomDuty, ScheduleRun
from xcert_app.models.scores import CertificateResult, ScoreChange, SubjectScore
from xcert_app.models.sites import (
    ExamSite,
    ExamSiteCertificate,
    Room,
    RoomCertificate,
    SiteLoan,
)
from xcert_app.models.system import (
    AuditEntry,
    Captcha,
    Notification,
    NotificationRead,
    NumberSequence,
    SmsCode,
    SmsMessage,
)

__all__ = [
    "Account",
    "Arrangement",
    "AuditEntry",
    "AuthSession",
    "Candidate",
    "Captcha",
    "Certificate",
    "CertificateLevel",
    "CertificateResult",
    "Declaration",
    "DeclarationMajor",
    "DeclarationPlan",
    "DeclarationReview",
    "Division",
    "ExamPlan",
    "ExamSite",
    "ExamSiteCertificate",
    "FeeRule",
    "Institution",
    "IssuanceRecord",
    "Major",
    "Notification",
    "NotificationRead",
    "NumberSequence",
    "OrgKind",
    "Organisation",
    "PaymentOrder",
    "PaymentOrderLine",
    "PlanLevel",
    "PlanSession",
    "PlanSubject",
    "Registration",
    "Role",
    "Room",
    "RoomCertificate",
    "RoomDuty",
    "ScheduleRun",
    "ScoreChange",
    "Seal",
    "Signature",
    "SiteLoan",
    "StaffMember",
    "StoredFile",
    "Subject",
    "SubjectScore",
    "SmsCode",
    "SmsMessage",
]
