"""Route constants and URL builders, so no page hard-codes another's path."""

from urllib.parse import urlencode

LOGIN = "/login"
HOME = "/"
CHANGE_PASSWORD = "/account/password"
OPERATOR_ACCOUNTS = "/operator/accounts"
OPERATOR_SMS = "/operator/sms"
OPERATOR_AUDIT = "/operator/audit"
PEOPLE = "/org/people"
NOTIFICATIONS = "/notifications"

# Scheduling (排考) and exam-day documents
EXAM_SCHEDULE = "/exam/schedule"


# The query parameter by which a login page learns that the last login ended.
EXPIRED_PARAMETER = "expired"


def login_with_next(path: str, *, expired: bool = False) -> str:
    """Return the login URL that comes back to ``path`` afterwards.

    ``path`` may carry a query string (a filtered list), which is encoded so it
    comes back whole. With ``expired``, the login page shows that the last login
    has ended.
    """
    params = {}
    if path and path != LOGIN:
        params["next"] = path
    if expired:
        params[EXPIRED_PARAMETER] = "1"
    query = urlencode(params, safe="/")
    return f"{LOGIN}?{query}" if query else LOGIN


def is_local_path(target: str) -> bool:
    """Tell whether ``target`` is a path on this site, safe to redirect to after login.

    Browsers read ``//host`` and ``/\\host`` as another site.
    """
    return target.startswith("/") and not target.startswith(("//", "/\\"))


def with_query(path: str, **params: str) -> str:
    """Return ``path`` with the non-empty ``params`` as its query string."""
    query = urlencode({name: value for name, value in params.items() if value})
    return f"{path}?{query}" if query else path


# Pilot declaration: registration, base information, plans and review
REGISTER = "/register"
SCHOOL_BASE_INFO = "/school/base-info"
SCHOOL_DECLARATIONS = "/school/declarations"
DECLARATION_PLANS = "/review/plans"
DECLARATION_REVIEW = "/review/declarations"
# Exam catalogue, exam sites and rooms
EXAM_SUBJECTS = "/exam/subjects"
EXAM_PLANS = "/exam/plans"
EXAM_PLAN_FORM = "/exam/plans/form"
EXAM_SITES = "/exam/sites"
EXAM_SITE_REVIEW = "/exam/site-review"
EXAM_ROOMS = "/exam/rooms"


def exam_plan_form(plan_id: int | None = None) -> str:
    """Return the plan form URL, editing ``plan_id`` when given."""
    return f"{EXAM_PLAN_FORM}?id={plan_id}" if plan_id else EXAM_PLAN_FORM


# Candidates
CANDIDATES = "/candidates"
# Registrations and payment orders
REGISTRATIONS = "/registrations"
PAYMENTS = "/payments"
ORG_REGISTRATIONS = "/org/registrations"
ORG_PAYMENTS = "/org/payments"
ORG_FEES = "/org/fees"
# Scores and results
SCORE_ENTRY = "/scores/entry"
SCORE_STATISTICS = "/scores/statistics"
SCORES = "/scores"
RESULTS = "/results"
# Seal, signing, electronic certificates, public verification, personal space
SEAL = "/school/seal"
SIGNING = "/issuance/signing"
VERIFY = "/verify"
STUDENT_LOGIN = "/student/login"
STUDENT_SPACE = "/student"


def student_login(*, expired: bool = False) -> str:
    """Return the student login URL, saying that the last login ended when ``expired``."""
    return f"{STUDENT_LOGIN}?{EXPIRED_PARAMETER}=1" if expired else STUDENT_LOGIN
