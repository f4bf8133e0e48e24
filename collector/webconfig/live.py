"""The web config in force, re-read when its files change, and the aiohttp middleware that
applies it (basic auth, extra headers)."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from collector.webconfig.auth import BasicAuth, parse_basic_authorization
from collector.webconfig.loading import (
    WebConfig,
    WebConfigError,
    describe_web_config,
    load_web_config,
)

log = logging.getLogger(__name__)


Signature = tuple[tuple[str, int, int, int], ...]


def _signature(config: WebConfig) -> Signature:
    """(path, inode, size, mtime) of the web config and the files it names: a Kubernetes
    Secret update swaps a symlink, which changes all of them."""
    paths = [str(config.path)]
    if config.tls is not None:
        paths += [
            p for p in (config.tls.cert_file, config.tls.key_file, config.tls.client_ca_file) if p
        ]
    result = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            result.append((path, -1, -1, -1))
        else:
            result.append((path, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(result)


class LiveWebConfig:
    """The web config in force, re-read when its file or a certificate changes, as
    exporter-toolkit re-reads it: every request and every TLS handshake compares a few
    `stat`s. A file that no longer validates is logged and the last good config stays;
    switching TLS on or off needs a restart (the listener is one or the other)."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._signature = _signature(config)
        self._auth = BasicAuth(config.users) if config.users else None
        # The listener's context: each handshake may hand over to a newer one.
        self.ssl_context = config.ssl_context
        if self.ssl_context is not None:
            self.ssl_context.sni_callback = self._on_client_hello

    def refresh(self) -> WebConfig:
        signature = _signature(self.config)
        if signature == self._signature:
            return self.config
        self._signature = signature
        try:
            config = load_web_config(self.config.path)
        except WebConfigError as exc:
            log.error(
                "%s changed but is invalid; keeping the previous web config: %s",
                self.config.path,
                "; ".join(exc.problems),
            )
            return self.config
        if (config.ssl_context is None) != (self.ssl_context is None):
            log.error(
                "%s: switching TLS on or off needs a restart; keeping the previous web config",
                self.config.path,
            )
            return self.config
        log.info("%s changed: web config reloaded (%s)", config.path, describe_web_config(config))
        self.config = config
        self._signature = _signature(config)
        self._auth = BasicAuth(config.users) if config.users else None
        return config

    def _on_client_hello(self, connection: Any, server_name: str | None, _: Any) -> None:
        # Called for every ClientHello, with or without SNI.
        context = self.refresh().ssl_context
        if context is not None and context is not self.ssl_context:
            connection.context = context

    @web.middleware
    async def middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Basic auth when users are configured, and the configured headers on every
        answer (401s and errors included)."""
        config = self.refresh()
        auth = self._auth
        response: web.StreamResponse
        if auth is not None and not await _authorized(auth, request):
            response = web.Response(
                status=401,
                text="Unauthorized\n",
                headers={"WWW-Authenticate": 'Basic realm="cdn-exporter", charset="UTF-8"'},
            )
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                exc.headers.update(config.headers)
                raise
        response.headers.update(config.headers)
        return response


async def _authorized(auth: BasicAuth, request: web.Request) -> bool:
    credentials = parse_basic_authorization(request.headers.get("Authorization", ""))
    return credentials is not None and await auth.check(*credentials)
