"""`--web.config.file`: TLS and basic auth in the Prometheus exporter-toolkit format.

The schema is exporter-toolkit v0.8's (the one `promtool check web-config` of Prometheus
2.42 checks): `tls_server_config`, `http_server_config`, `basic_auth_users`. One module per
idea: `schema` (the models and Go's coercions), `loading` (the file read and validated,
pure but for reading the files it names), `tls` (the `ssl.SSLContext`), `auth` (bcrypt
basic auth) and `live` (re-reading on change, the aiohttp middleware); the package
exports what the command line and the web app use.
"""

from collector.webconfig.live import LiveWebConfig
from collector.webconfig.loading import (
    WebConfig,
    WebConfigError,
    describe_web_config,
    load_web_config,
)

__all__ = [
    "LiveWebConfig",
    "WebConfig",
    "WebConfigError",
    "describe_web_config",
    "load_web_config",
]
