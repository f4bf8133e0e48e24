"""Basic auth of the web config: Go's bcrypt hash rules, the Authorization header, and an
unknown user costing a bcrypt like a known one."""

from __future__ import annotations

import asyncio
import base64
import time

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
    assert BasicAuth({"a": "$2z$10$" + "!" * 53}).dummy_for("x").startswith(b"$2b$10$")


def test_an_unknown_name_is_dealt_one_users_cost_class_for_the_whole_run() -> None:
    """With users of costs 4 and 12 an unknown name must look like one of them, not
    like the slowest always (then a cost-4 user's name would show by its speed)."""
    slow = "$2b$12$" + HASH[7:]
    auth = BasicAuth({"a": HASH, "b": slow})
    names = [f"user{i}" for i in range(200)]
    costs = [auth.dummy_for(name)[4:6] for name in names]
    assert set(costs) == {b"04", b"12"}
    assert 60 < costs.count(b"04") < 140  # in proportion to the users of each cost
    assert [auth.dummy_for(name)[4:6] for name in names] == costs  # the same all run


async def test_a_flood_of_wrong_passwords_does_not_delay_a_new_valid_user() -> None:
    """Hundreds of concurrent wrong passwords for one user; meanwhile another user's
    first login waits for a few bcrypt checks, not for the flood."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=6)).decode()
    auth = BasicAuth({"flooded": hashed, "probe": hashed})
    started = time.perf_counter()
    bcrypt.checkpw(b"x", hashed.encode())
    one = time.perf_counter() - started
    flood = [asyncio.create_task(auth.check("flooded", b"wrong%d" % i)) for i in range(400)]
    unknown = [asyncio.create_task(auth.check(f"nobody{i}", b"x")) for i in range(100)]
    await asyncio.sleep(0)  # the flood is queued first
    started = time.perf_counter()
    assert await auth.check("probe", PASSWORD.encode())
    waited = time.perf_counter() - started
    # Its turn comes after at most one check per other queue and worker: a few checks'
    # time (generous for a loaded machine), where the flood is 500 checks long.
    assert waited < 25 * one, (waited, one)
    results = await asyncio.gather(*flood, *unknown)
    assert not any(results)
    # A flooded name is turned away unchecked past its queue, and nothing is cached for
    # it: the right password still gets in once the flood has passed.
    assert await auth.check("flooded", PASSWORD.encode())


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


async def test_wrong_passwords_cannot_evict_a_good_credential_from_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        checked.append(password)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    auth = BasicAuth({"prometheus": HASH})
    auth.CACHE_SIZE = 4
    assert await auth.check("prometheus", PASSWORD.encode())
    for i in range(10):
        assert not await auth.check("prometheus", b"wrong%d" % i)
    assert len(checked) == 11
    assert await auth.check("prometheus", PASSWORD.encode())
    assert len(checked) == 11  # still cached: no bcrypt
