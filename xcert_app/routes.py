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


# Scores and results
SCORE_ENTRY = "/scores/entry"
SCORE_STATISTICS = "/scores/statistics"
SCORES = "/scores"
RESULTS = "/results"
