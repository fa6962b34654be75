"""Runtime settings read from the environment, with safe defaults for a laptop."""

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Configuration of one running instance; see the README for each variable."""

    database_url: str
    var_dir: Path
    storage_dir: Path
    demo_mode: bool
    sms_backend: str
    session_hours: int
    public_base_url: str


def load_settings() -> Settings:
    """Read the settings from ``XCERT_*`` environment variables."""
    # Hidden, so the development server's reloader (which skips dot folders) does not
    # restart the backend whenever SQLite or the file store writes there.
    var_dir = Path(os.environ.get("XCERT_VAR_DIR", PROJECT_ROOT / ".var"))
    database_url = (
        os.environ.get("XCERT_DATABASE_URL") or f"sqlite:///{var_dir / 'xcert.db'}"
    )
    storage_dir = Path(os.environ.get("XCERT_STORAGE_DIR", var_dir / "storage"))
    return Settings(
        database_url=database_url,
        var_dir=var_dir,
        storage_dir=storage_dir,
        demo_mode=os.environ.get("XCERT_DEMO", "1") == "1",
        sms_backend=os.environ.get("XCERT_SMS_BACKEND", "outbox"),
        session_hours=int(os.environ.get("XCERT_SESSION_HOURS", "12")),
        public_base_url=os.environ.get("XCERT_PUBLIC_URL", "http://localhost:3000"),
    )


settings = load_settings()
