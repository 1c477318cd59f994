"""Tokens at rest: MultiFernet with rotation."""

import pytest
from cryptography.fernet import Fernet

from calendars import vault
from calendars.providers.base import Credentials
from rentcal.settings import get_settings


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def use(*values: str) -> None:
        monkeypatch.setenv("RENTCAL_ENCRYPTION_KEYS", ",".join(values))
        get_settings.cache_clear()

    yield use
    monkeypatch.delenv("RENTCAL_ENCRYPTION_KEYS", raising=False)
    get_settings.cache_clear()


def test_sealed_credentials_hide_the_token_and_survive_key_rotation(keys) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    sealed = vault.seal_credentials(Credentials("ya29.secret-access", "1//secret-refresh", None, "calendar"))
    assert "secret" not in sealed
    keys(new, old)  # a new primary key; the old one still decrypts
    assert vault.open_credentials(sealed).refresh_token == "1//secret-refresh"
    rotated = vault.rotate(sealed)
    keys(new)  # the old key is gone: only re-encrypted secrets still open
    assert vault.open_credentials(rotated).access_token == "ya29.secret-access"
    with pytest.raises(vault.VaultError, match="RENTCAL_ENCRYPTION_KEYS"):
        vault.open_credentials(sealed)
