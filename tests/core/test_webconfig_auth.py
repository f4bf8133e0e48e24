"""Basic auth of the web config: Go's bcrypt hash rules, the Authorization header, and an
unknown user costing a bcrypt like a known one."""

from __future__ import annotations

import base64

import bcrypt
import pytest

from collector.webconfig.auth import BasicAuth, bcrypt_cost, parse_basic_authorization

PASSWORD = "correct horse"
# Cost 4, the lowest: the tests check behaviour, not bcrypt's speed.
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


def test_parse_basic_authorization() -> None:
    token = base64.b64encode(b"user:pa:ss").decode()
    assert parse_basic_authorization(f"Basic {token}") == ("user", b"pa:ss")
    assert parse_basic_authorization(f"basic {token}") == ("user", b"pa:ss")
    assert parse_basic_authorization("Bearer abc") is None
    assert parse_basic_authorization("Basic !!!") is None
    assert parse_basic_authorization("Basic " + base64.b64encode(b"nocolon").decode()) is None
    assert parse_basic_authorization("") is None


async def test_an_unknown_user_costs_a_bcrypt_like_a_known_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No timing shortcut for a wrong user name: the dummy hash is checked instead."""
    checked: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        checked.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    auth = BasicAuth({"prometheus": HASH})
    assert not await auth.check("nobody", PASSWORD.encode())
    assert not await auth.check("prometheus", b"wrong")
    assert await auth.check("prometheus", PASSWORD.encode())
    assert len(checked) == 3
    assert checked[0] != HASH.encode()
    assert checked[0].startswith(b"$2b$04$")  # the users' cost, so it takes as long
    slow = "$2b$12$" + HASH[7:]
    assert BasicAuth({"a": HASH, "b": slow})._dummy.startswith(b"$2b$12$")
    assert BasicAuth({"a": "$2z$10$" + "!" * 53})._dummy.startswith(b"$2b$10$")


def test_bcrypt_cost_follows_go() -> None:
    assert bcrypt_cost(HASH) == 4
    assert bcrypt_cost("$2y$10$" + "a" * 53) == 10
    for bad, reason in (
        ("secret", "too short"),
        ("$2b$03$" + "a" * 53, "cost 3 is outside"),
        ("$2b$32$" + "a" * 53, "cost 32 is outside"),
        ("x2b$10$" + "a" * 53, "invalid hash prefix"),
        ("$3b$10$" + "a" * 53, "too new"),
        ("$2b$ab$" + "a" * 53, "invalid bcrypt cost"),
    ):
        with pytest.raises(ValueError, match=reason):
            bcrypt_cost(bad)
