"""Volcengine V4 signing: every reference vector (§2.2) byte for byte, and signed requests
through the gateway's verifier (the emulator's, written separately from the signer)."""

from __future__ import annotations

import pytest

from collector.emulator.volcengine import auth as gateway
from collector.emulator.volcengine import facts
from collector.http import host_header
from collector.providers.volcengine import signing

HOST = "live.volcengineapi.com"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}

V1_AK, V1_SK, V1_DATE = "AKLTtestAccessKeyId", "testSecretAccessKey==", "20240101T000000Z"
V1_BODY = (
    b'{"DomainList": ["example.com"], "StartTime": "2024-01-01T00:00:00+08:00", '
    b'"EndTime": "2024-01-01T01:00:00+08:00", "Aggregation": 300}'
)
V1_URL = f"https://{HOST}/?Action=DescribeLiveBandwidthData&Version=2023-01-01"
V1_SHA = "569f8b6a035cd1715b8aa7bb8a73c2c963d7c2d7991217b09e45405d849c5de1"
V1_CANONICAL = (
    "POST\n"
    "/\n"
    "Action=DescribeLiveBandwidthData&Version=2023-01-01\n"
    "content-type:application/json\n"
    "host:live.volcengineapi.com\n"
    f"x-content-sha256:{V1_SHA}\n"
    "x-date:20240101T000000Z\n"
    "\n"
    "content-type;host;x-content-sha256;x-date\n"
    f"{V1_SHA}"
)
V1_STRING_TO_SIGN = (
    "HMAC-SHA256\n"
    "20240101T000000Z\n"
    "20240101/cn-north-1/live/request\n"
    "c9718f1392b4f3124571f7b02dfaafcaafbc1d4d15871f0b079d1e96af5483af"
)
V1_K_SIGNING = "aa066ba3b89f02dcbd582cfdf90b97063b196c23929aee64233bf51feb05d8c8"
V1_AUTHORIZATION = (
    "HMAC-SHA256 Credential=AKLTtestAccessKeyId/20240101/cn-north-1/live/request, "
    "SignedHeaders=content-type;host;x-content-sha256;x-date, "
    "Signature=38b1e019c443c671858bbbede98631b97d231e545d88080ba5f6fb42275145b4"
)

AK, SK, X_DATE = "AKLTexampleAK", "ExampleSecretKey/With+Chars=", "20240315T083015Z"
K_SIGNING = "4533ce5450099b9a47ff4c6f98eca71a38e5e415a8e97a69a9cc766f372bfbd9"
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
POST_SIGNED = "content-type;host;x-content-sha256;x-date"


def _url(action: str, extra: str = "") -> str:
    return f"https://{HOST}/?Action={action}&Version=2023-01-01{extra}"


class TestVectorV1:
    def _headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Host": HOST,
            "X-Content-Sha256": V1_SHA,
            "X-Date": V1_DATE,
        }

    def test_body_hash(self) -> None:
        assert signing.sha256_hex(V1_BODY) == V1_SHA

    def test_canonical_request_has_the_empty_line(self) -> None:
        signed = ["content-type", "host", "x-content-sha256", "x-date"]
        canonical = signing.canonical_request(
            "POST",
            "/",
            "Action=DescribeLiveBandwidthData&Version=2023-01-01",
            self._headers(),
            signed,
            V1_SHA,
        )
        assert canonical == V1_CANONICAL

    def test_string_to_sign(self) -> None:
        scope = signing.credential_scope("20240101", "cn-north-1", "live")
        assert signing.string_to_sign(V1_DATE, scope, V1_CANONICAL) == V1_STRING_TO_SIGN

    def test_signing_key_has_no_prefix(self) -> None:
        key = signing.signing_key(V1_SK, "20240101", "cn-north-1", "live")
        assert key.hex() == V1_K_SIGNING

    def test_sign_adds_exactly_the_auth_headers(self) -> None:
        added = signing.sign("POST", V1_URL, JSON, V1_BODY, V1_AK, V1_SK, V1_DATE)
        assert added == {
            "X-Date": V1_DATE,
            "X-Content-Sha256": V1_SHA,
            "Authorization": V1_AUTHORIZATION,
        }


@pytest.mark.parametrize(
    ("action", "body", "token", "sha", "signed", "sig"),
    [
        pytest.param(
            "DescribeLiveP95PeakBandwidthData",
            b'{"StartTime":"2024-03-01T00:00:00+08:00","EndTime":"2024-03-15T00:00:00+08:00",'
            b'"Aggregation":300}',
            None,
            "5aa595f5feab319b0fc5ff15274aa2cef3957b7ba1b758b849373d2b4df6e6dd",
            POST_SIGNED,
            "21c8c51cb1faccfc15c35ca1220ce0e45d63851a026d13c22495c972cbd19205",
            id="V2-compact-body",
        ),
        pytest.param(
            "DescribeLiveTrafficData",
            b"",
            None,
            EMPTY,
            POST_SIGNED,
            "817f9cce65dde7d89eaded0684bbf2778c71da948df84bbe9bda9c55a7363c6b",
            id="V3-empty-body",
        ),
        pytest.param(
            "DescribeLiveBandwidthData",
            b"{}",
            "STS2exampleToken",
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            POST_SIGNED + ";x-security-token",
            "13d4a649440e58ce4759076840c10d4c8a0708a217223223e1582e44bc1155e4",
            id="V4-sts-token",
        ),
    ],
)
def test_post_vectors(
    action: str, body: bytes, token: str | None, sha: str, signed: str, sig: str
) -> None:
    added = signing.sign("POST", _url(action), JSON, body, AK, SK, X_DATE, session_token=token)
    assert added["X-Content-Sha256"] == sha
    assert added["Authorization"] == (
        f"HMAC-SHA256 Credential={AK}/20240315/cn-north-1/live/request, "
        f"SignedHeaders={signed}, Signature={sig}"
    )
    assert added.get("X-Security-Token") == token


def test_v2_to_v5_signing_key() -> None:
    assert signing.signing_key(SK, "20240315", "cn-north-1", "live").hex() == K_SIGNING


V5_URL = _url("DescribeLiveStreamState", "&Vhost=v.example.com&App=live+app&Stream=s~1")
V5_SIG = "6738b9afaae5e9479f67b2e57a8aa6d2bc04f7ca6a76ba16b32b0c6fbe85e40e"


def test_v5_get_canonical_query_encodes_space_as_percent_20() -> None:
    query = V5_URL.split("?", 1)[1]
    assert signing.canonical_query(query) == (
        "Action=DescribeLiveStreamState&App=live%20app&Stream=s~1&Version=2023-01-01"
        "&Vhost=v.example.com"
    )


def test_v5_get_without_content_type() -> None:
    added = signing.sign("GET", V5_URL, {"Accept": "application/json"}, b"", AK, SK, X_DATE)
    assert added["X-Content-Sha256"] == EMPTY
    assert added["Authorization"].endswith(
        f"SignedHeaders=host;x-content-sha256;x-date, Signature={V5_SIG}"
    )


def test_accept_and_user_agent_are_not_signed() -> None:
    headers = {**JSON, "User-Agent": "cdn-exporter"}
    assert signing.sign("POST", V1_URL, headers, V1_BODY, V1_AK, V1_SK, V1_DATE) == (
        signing.sign("POST", V1_URL, JSON, V1_BODY, V1_AK, V1_SK, V1_DATE)
    )


@pytest.mark.parametrize(
    ("url", "header", "signed"),
    [
        ("https://live.volcengineapi.com/", "live.volcengineapi.com", "live.volcengineapi.com"),
        ("https://live.volcengineapi.com:443/", "live.volcengineapi.com", "live.volcengineapi.com"),
        ("http://127.0.0.1:80/", "127.0.0.1", "127.0.0.1"),
        ("http://127.0.0.1:8080/", "127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://127.0.0.1:443/", "127.0.0.1:443", "127.0.0.1"),
        ("http://[::1]:9000/", "[::1]:9000", "[::1]:9000"),
    ],
)
def test_host_as_sent_and_as_signed(url: str, header: str, signed: str) -> None:
    assert host_header(url) == header
    assert signing.canonical_host(header) == signed


def test_x_date_is_utc_to_the_second() -> None:
    assert signing.format_x_date(1704067200.9) == "20240101T000000Z"


# ---- through the gateway's verifier --------------------------------------------------

NOW = 1710491415.0  # 2024-03-15T08:30:15Z, the V2-V5 X-Date
# What the gateway checks a request against: region, service, largest clock skew (s).
SCOPE = (facts.REGION, facts.SERVICE, facts.MAX_SKEW)
KEYS = {AK: gateway.Key(SK), "AKLTsts": gateway.Key("stsSecret", session_token="STS2token")}


def _signed_request(
    body: bytes = b'{"Aggregation":300}',
    *,
    ak: str = AK,
    sk: str = SK,
    x_date: str = X_DATE,
    token: str | None = None,
    url: str = "http://127.0.0.1:8080/?Action=DescribeLiveBandwidthData&Version=2023-01-01",
) -> tuple[dict[str, str], bytes, str]:
    headers = {"Content-Type": "application/json", "Host": host_header(url)}
    headers.update(signing.sign("POST", url, headers, body, ak, sk, x_date, session_token=token))
    return headers, body, url.split("?", 1)[1]


def _verify(headers: dict[str, str], body: bytes, query: str, now: float = NOW) -> str | None:
    return gateway.verify("POST", "/", query, headers, body, KEYS.get, now, *SCOPE)


def test_verify_accepts_a_signed_request_in_any_header_case() -> None:
    headers, body, query = _signed_request()
    assert _verify(headers, body, query) is None
    assert _verify({k.lower(): v for k, v in headers.items()}, body, query) is None


def test_verify_accepts_v5_with_plus_encoded_space() -> None:
    headers = {"Host": HOST}
    headers.update(signing.sign("GET", V5_URL, headers, b"", AK, SK, X_DATE))
    query = V5_URL.split("?", 1)[1]
    assert gateway.verify("GET", "/", query, headers, b"", KEYS.get, NOW, *SCOPE) is None


def test_verify_rejects_a_changed_body_byte() -> None:
    headers, body, query = _signed_request()
    changed = body.replace(b"300", b"301")
    assert _verify(headers, changed, query) == "SignatureDoesNotMatch"


def test_verify_rejects_a_changed_body_even_with_a_matching_hash_header() -> None:
    headers, body, query = _signed_request()
    changed = body.replace(b"300", b"301")
    headers["X-Content-Sha256"] = signing.sha256_hex(changed)
    assert _verify(headers, changed, query) == "SignatureDoesNotMatch"


def test_verify_rejects_a_wrong_secret_key() -> None:
    headers, body, query = _signed_request(sk="not-the-secret")
    assert _verify(headers, body, query) == "SignatureDoesNotMatch"


def test_verify_rejects_an_unknown_access_key() -> None:
    headers, body, query = _signed_request(ak="AKLTunknown")
    assert _verify(headers, body, query) == "InvalidAccessKey"


@pytest.mark.parametrize("skew", [901.0, -901.0, 86400.0])
def test_verify_rejects_a_stale_or_future_x_date(skew: float) -> None:
    headers, body, query = _signed_request()
    assert _verify(headers, body, query, now=NOW + skew) == "InvalidTimestamp"


def test_verify_tolerates_small_skew() -> None:
    headers, body, query = _signed_request()
    assert _verify(headers, body, query, now=NOW + 899) is None


def test_verify_rejects_a_changed_query() -> None:
    headers, body, _ = _signed_request()
    query = "Action=DescribeLiveTrafficData&Version=2023-01-01"
    assert _verify(headers, body, query) == "SignatureDoesNotMatch"


def test_verify_rejects_a_changed_host() -> None:
    headers, body, query = _signed_request()
    headers["Host"] = "127.0.0.1:8081"
    assert _verify(headers, body, query) == "SignatureDoesNotMatch"


def test_verify_missing_and_malformed_authorization() -> None:
    headers, body, query = _signed_request()
    del headers["Authorization"]
    assert _verify(headers, body, query) == "MissingAuthenticationToken"
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=x"
    assert _verify(headers, body, query) == "InvalidAuthorization"
    headers["Authorization"] = (
        f"HMAC-SHA256 Credential={AK}/20240315/live/request, SignedHeaders=host, Signature=00"
    )
    assert _verify(headers, body, query) == "InvalidCredential"


def test_verify_rejects_a_wrong_region_in_the_scope() -> None:
    url = "http://127.0.0.1:8080/?Action=DescribeLiveBandwidthData&Version=2023-01-01"
    headers = {"Content-Type": "application/json", "Host": "127.0.0.1:8080"}
    headers.update(signing.sign("POST", url, headers, b"{}", AK, SK, X_DATE, region="cn-east-1"))
    assert _verify(headers, b"{}", url.split("?")[1]) == "InvalidCredential"


def test_verify_checks_the_sts_token() -> None:
    headers, body, query = _signed_request(ak="AKLTsts", sk="stsSecret", token="STS2token")
    assert _verify(headers, body, query) is None
    headers, body, query = _signed_request(ak="AKLTsts", sk="stsSecret", token="STS2other")
    assert _verify(headers, body, query) == "InvalidSecretToken"
    headers, body, query = _signed_request(ak="AKLTsts", sk="stsSecret")
    assert _verify(headers, body, query) == "InvalidSecretToken"
