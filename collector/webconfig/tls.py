"""The server's `ssl.SSLContext` from a valid `tls_server_config`, with every file that
cannot be used named as `field: reason`."""

from __future__ import annotations

import os
import ssl
import stat

from collector.webconfig.schema import CIPHER_SUITES, TLS_VERSIONS, TLSServerConfig


def _check_regular(name: str, path: str) -> None:
    """Only regular files are read: a FIFO would block the start-up forever."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"{name}: {path} is not a regular file")


def _check_pem(name: str, path: str, kind: str) -> None:
    """A readable PEM file holding a `kind` block, with the usual mix-ups named."""
    _check_regular(name, path)
    try:
        with open(path, "rb") as file:
            text = file.read(1_000_000)
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {path}: {exc.strerror}") from None
    if f"{kind}-----".encode() in text:
        return
    other = "PRIVATE KEY" if kind == "CERTIFICATE" else "CERTIFICATE"
    hint = " (cert_file and key_file may have been switched)" if other.encode() in text else ""
    raise ValueError(f"{name}: {path} holds no PEM {kind.lower()}{hint}")


class _EncryptedKey(Exception):
    pass


def _no_pass_phrase() -> bytes:
    raise _EncryptedKey


def server_ssl_context(tls: TLSServerConfig) -> ssl.SSLContext:
    """The server context for a valid, enabled `tls_server_config`; ValueError with a
    `field: reason` when a file cannot be used."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = TLS_VERSIONS[tls.min_version]
    context.maximum_version = TLS_VERSIONS[tls.max_version]
    _check_pem("cert_file", tls.cert_file, "CERTIFICATE")
    _check_pem("key_file", tls.key_file, "PRIVATE KEY")
    try:
        # Never OpenSSL's pass-phrase prompt: an encrypted key is an error, as in Go.
        context.load_cert_chain(tls.cert_file, tls.key_file, password=_no_pass_phrase)
    except _EncryptedKey:
        raise ValueError(
            f"key_file: {tls.key_file} is encrypted; give an unencrypted key"
        ) from None
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        if reason == "KEY_VALUES_MISMATCH":
            reason = "the private key does not match the certificate"
        raise ValueError(f"key_file: failed to load the certificate and key: {reason}") from None
    openssl = [CIPHER_SUITES[name] for name in tls.cipher_suites]
    tls12 = [name for name in openssl if name is not None]
    if tls12:
        context.set_ciphers(":".join(tls12))
    elif openssl:
        # Only TLS 1.3 suites listed: Go then offers no TLS 1.2 suite at all.
        context.minimum_version = ssl.TLSVersion.TLSv1_3
    if tls.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    auth = tls.client_auth_type
    if auth in ("", "NoClientCert", "RequestClientCert"):
        # RequestClientCert asks for a certificate and ignores it: no check either way.
        context.verify_mode = ssl.CERT_NONE
        return context
    # OpenSSL cannot require a certificate it does not verify: RequireAnyClientCert is
    # enforced as RequireAndVerifyClientCert (stricter).
    context.verify_mode = (
        ssl.CERT_OPTIONAL if auth == "VerifyClientCertIfGiven" else ssl.CERT_REQUIRED
    )
    if tls.client_ca_file:
        _check_regular("client_ca_file", tls.client_ca_file)
        try:
            context.load_verify_locations(cafile=tls.client_ca_file)
        except FileNotFoundError:
            raise ValueError(f"client_ca_file: {tls.client_ca_file}: no such file") from None
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"client_ca_file: {tls.client_ca_file}: no CA certificate in it "
                f"({getattr(exc, 'reason', None) or exc})"
            ) from None
    else:
        # Go verifies against the system roots when no client CA is given.
        context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return context
