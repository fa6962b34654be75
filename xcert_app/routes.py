"""Route constants and URL builders, so no page hard-codes another's path."""

LOGIN = "/login"
HOME = "/"
CHANGE_PASSWORD = "/account/password"
OPERATOR_ACCOUNTS = "/operator/accounts"
OPERATOR_SMS = "/operator/sms"


def login_with_next(path: str) -> str:
    """Return the login URL that comes back to ``path`` afterwards."""
    if not path or path == LOGIN:
        return LOGIN
    return f"{LOGIN}?next={path}"


# Seal, signing, electronic certificates, public verification, personal space
SEAL = "/school/seal"
SIGNING = "/issuance/signing"
VERIFY = "/verify"
STUDENT_LOGIN = "/student/login"
STUDENT_SPACE = "/student"

