"""Sharding accounts across replicas, like kube-state-metrics: pure.

Replica `shard` of `total` polls the accounts whose shard is `shard`: an account's
explicit `shard:` from the config if it has one, else the SHA-256 of its name (the
first 8 bytes, big-endian) modulo `total`. The hash is stable across processes,
machines and Python versions (Python's `hash()` of a string is salted per process),
so every replica agrees on the split without talking to the others.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from collector.accountconfig import ECHO_LIMIT
from collector.config.runtime import Account, Config

MAX_SHARDS = 1000
# A StatefulSet pod is named `<statefulset>-<ordinal>`.
_ORDINAL = re.compile(r"-(\d+)$")
POD_NAME_ENV = "POD_NAME"


def hash_shard(name: str, total: int) -> int:
    """The shard an account named `name` falls on among `total`, by its stable hash."""
    if total < 1:
        raise ValueError("total shards must be at least 1")
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total


def account_shard(name: str, explicit: int | None, total: int) -> int:
    """The account's explicit shard if it has one, else its hash shard."""
    return explicit if explicit is not None else hash_shard(name, total)


def ordinal_from_pod_name(name: str) -> int:
    """The ordinal of a StatefulSet pod's name: `cdn-exporter-2` is 2; ValueError
    when the name does not end in `-<number>`."""
    match = _ORDINAL.search(name.strip())
    if match is None:
        raise ValueError(
            f"pod name {name.strip()[:ECHO_LIMIT]!r} has no ordinal: a StatefulSet pod is named "
            "<name>-<number>, such as cdn-exporter-2"
        )
    return int(match[1])


def resolve_shard(text: str, environ: Mapping[str, str], hostname: str) -> int:
    """`--shard`: a number, or `auto` for the ordinal of the pod name in $POD_NAME
    (the downward API's metadata.name), else of the host name (a StatefulSet pod's
    host name is its pod name). ValueError with the reason otherwise."""
    text = text.strip()
    if text == "auto":
        name = environ.get(POD_NAME_ENV, "").strip()
        source = f"${POD_NAME_ENV}" if name else "the host name"
        try:
            return ordinal_from_pod_name(name or hostname)
        except ValueError as exc:
            raise ValueError(f"--shard auto: {exc} (from {source})") from None
    if not text.isdigit():
        raise ValueError(f"--shard: expected a number or `auto`, got {text[:ECHO_LIMIT]!r}")
    return int(text)


@dataclass(frozen=True, slots=True)
class Sharding:
    """This replica's place: shard `shard` of `total` (0 of 1: every account)."""

    shard: int = 0
    total: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.total <= MAX_SHARDS:
            raise ValueError(f"--total-shards must be 1 to {MAX_SHARDS}, got {self.total}")
        if not 0 <= self.shard < self.total:
            raise ValueError(
                f"--shard {self.shard} is not below --total-shards {self.total} "
                f"({_numbered(self.total)})"
            )

    @property
    def sharded(self) -> bool:
        return self.total > 1

    def owns(self, account: Account) -> bool:
        return account_shard(account.name, account.shard, self.total) == self.shard

    def select(self, config: Config) -> Config:
        """`config` with only the accounts this replica polls."""
        return replace(config, accounts=tuple(a for a in config.accounts if self.owns(a)))

    def problems(self, config: Config) -> list[str]:
        """An explicit shard no replica has: one `accounts.N.shard: reason` each."""
        return shard_problems((a.shard for a in config.accounts), self.total)

    def describe(self, config: Config) -> str:
        """`shard 1 of 3: 2 of 7 accounts` for logs, the status page and readiness."""
        owned = sum(1 for a in config.accounts if self.owns(a))
        return (
            f"shard {self.shard} of {self.total} (ordinals 0-{self.total - 1}): "
            f"{owned} of {len(config.accounts)} account(s)"
        )


def shard_problems(shards: Iterable[int | None], total: int) -> list[str]:
    """`accounts.N.shard: reason` for each account (its explicit shard, in config
    order) whose shard no replica has: not below `total`."""
    return [
        f"accounts.{index}.shard: {shard} is not below --total-shards {total} ({_numbered(total)})"
        for index, shard in enumerate(shards)
        if shard is not None and shard >= total
    ]


def _numbered(total: int) -> str:
    if total == 1:
        return "without --total-shards there is only shard 0"
    return f"shards are numbered 0 to {total - 1}"
