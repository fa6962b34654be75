import dataclasses
import hashlib
import stat

from xcert_app.services import secret


def test_secret_file_created_private(tmp_path, monkeypatch):
    monkeypatch.delenv("XCERT_SECRET_KEY", raising=False)
    monkeypatch.setattr(
        secret, "settings", dataclasses.replace(secret.settings, var_dir=tmp_path)
    )
    secret.server_secret.cache_clear()
    try:
        first = secret.server_secret()
        path = tmp_path / secret.SECRET_FILE_NAME
        assert len(first) == 64
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        secret.server_secret.cache_clear()
        assert secret.server_secret() == first
    finally:
        secret.server_secret.cache_clear()


def test_secret_from_environment(monkeypatch):
    monkeypatch.setenv("XCERT_SECRET_KEY", "shared-by-all-workers")
    secret.server_secret.cache_clear()
    try:
        assert secret.server_secret() == b"shared-by-all-workers"
    finally:
        secret.server_secret.cache_clear()


def test_keyed_hash_not_plain_sha256():
    plain = hashlib.sha256(b"13800138000:123456").hexdigest()
    keyed = secret.keyed_hash("13800138000", "123456")
    assert keyed != plain
    assert len(keyed) == 64
    assert secret.same_hash(keyed, secret.keyed_hash("13800138000", "123456"))
    assert not secret.same_hash(keyed, secret.keyed_hash("13800138000", "654321"))
