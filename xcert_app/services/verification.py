"""Real-name verification of candidates behind a pluggable ``IdentityVerifier``.

The offline default checks what can be checked without the national identity
service: the ID number, the photo and whether the name looks like a name. A
face-matching service can replace it through ``set_verifier`` without touching
the import code.
"""

import re
from dataclasses import dataclass, field
from typing import Protocol

from xcert_app.clock import clock
from xcert_app.models.candidates import Candidate, VerificationStatus
from xcert_app.services.identity import id_number_problem

GB11643_TYPES = {"居民身份证", "港澳台居民居住证"}
MISSING_PHOTO = "缺少照片，上传照片后自动重新认证"
# Han characters in every CJK block, optionally joined by a middle dot (minority names).
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
_CHINESE_NAME = re.compile(rf"^{_HAN}+(?:·{_HAN}+)*$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    """The facts a verifier checks, built from a stored row or from an import line."""

    name: str
    id_type: str
    id_number: str
    has_photo: bool
    photo_problems: tuple[str, ...] = ()

    @classmethod
    def of(cls, candidate: Candidate) -> "CandidateFacts":
        return cls(
            name=candidate.name,
            id_type=candidate.id_type,
            id_number=candidate.id_number,
            has_photo=bool(candidate.photo_file_id),
            photo_problems=tuple(candidate.photo_problems or ()),
        )


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The status a verifier gives a candidate, with the reasons a person should read."""

    status: VerificationStatus
    reasons: list[str] = field(default_factory=list)


class IdentityVerifier(Protocol):
    """Decides whether a candidate's identity is verified."""

    def verify(self, facts: CandidateFacts) -> VerificationResult: ...


class OfflineVerifier:
    """Checks ID number, photo and name without any external service."""

    def verify(self, facts: CandidateFacts) -> VerificationResult:
        if not facts.has_photo:
            return VerificationResult(VerificationStatus.PENDING, [MISSING_PHOTO])
        reasons = [*name_problems(facts.name), *facts.photo_problems]
        if facts.id_type in GB11643_TYPES:
            problem = id_number_problem(facts.id_number)
            if problem:
                reasons.append(problem)
        else:
            reasons.append(f"证件类型为{facts.id_type}，需对照证件人工核对")
        if reasons:
            return VerificationResult(VerificationStatus.NEEDS_CONFIRMATION, reasons)
        return VerificationResult(VerificationStatus.VERIFIED)


def name_problems(name: str) -> list[str]:
    """Return why a name does not look like a person's name on an ID document."""
    if _CHINESE_NAME.match(name):
        if len(name) < 2:
            return ["姓名只有一个字，请核对是否完整"]
        if len(name) > 6 and "·" not in name:
            return [f"姓名有 {len(name)} 个字，请核对是否多填了内容"]
        return []
    if _LATIN_NAME.match(name):
        return ["姓名为外文，请对照证件核对拼写"]
    return ["姓名中含有数字、符号或生僻写法，请对照证件核对"]


_verifier: IdentityVerifier = OfflineVerifier()


def get_verifier() -> IdentityVerifier:
    """Return the verifier in use."""
    return _verifier


def set_verifier(verifier: IdentityVerifier) -> None:
    """Replace the verifier (a national face-check service, or a test double)."""
    global _verifier
    _verifier = verifier


def apply_verification(candidate: Candidate) -> bool:
    """Verify ``candidate`` and store the result; return whether the status changed.

    A manual confirmation stays in force while name and ID number are unchanged,
    so callers only re-verify a confirmed candidate after such a change.
    """
    result = get_verifier().verify(CandidateFacts.of(candidate))
    before = (candidate.verification_status, list(candidate.verification_reasons))
    candidate.verification_status = result.status
    candidate.verification_reasons = list(result.reasons)
    candidate.verified_at = clock.now()
    if result.status != VerificationStatus.CONFIRMED:
        candidate.confirmed_by_id = None
    return before != (candidate.verification_status, candidate.verification_reasons)
