"""The emulator's own verifiers accept the reference's test vectors and refuse tampering.

The exporter's signers are checked against the same vectors in tests/providers, so the
two implementations of each algorithm agree only if both follow the reference.
"""

from __future__ import annotations

import pytest

from collector.emulator.volcengine import auth as v4
from collector.emulator.wangsu import auth as cnc

# -- Wangsu §3.4 -------------------------------------------------------------------

AK, SK, TS = "AK_TEST_0123456789", "SK_TEST_abcdefghijklmnopqrstuvwxyz", 1700000000
V4_QUERY = (
    "dateFrom=2023-11-13T00%3A00%3A00%2B08%3A00&dateTo=2023-11-14T00%3A00%3A00%2B08%3A00"
    "&type=fiveminutes"
)
WANGSU_VECTORS = [
    (
        "POST",
        "/api/report/flow/isp-province",
        "",
        "open.chinanetcenter.com",
        b'{"dateFrom": "2023-11-14T00:00:00+08:00", "dateTo": "2023-11-14T01:00:00+08:00", '
        b'"domain": ["www.example.com"], "dataInterval": "5m"}',
        "bad9ed3b6bb8dc097dbe4f0e2459c3282c4fe8a8af1dfe2c77b5ab01fcaf25b8",
    ),
    (
        "POST",
        "/api/report/flow-request",
        "",
        "api.cdnetworks.com",
        b'{"domain":["www.example.com"]}',
        "62ca94b06b966b0b3fe77e20dc3c71549bd18dc9d9f2b13cd392e5674af3b7bd",
    ),
    (
        "GET",
        "/api/report/flow",
        "datefrom=2023-11-13T00%3A00%3A00%2B08%3A00&dateto=2023-11-14T00%3A00%3A00%2B08%3A00"
        "&type=daily",
        "open.chinanetcenter.com",
        b"",
        "1c8d3f020cb19df9bbe7558e52fb1529c88c4612a1af61b763056bd374dbb1ec",
    ),
    (
        "POST",
        "/api/report/domainflow",
        V4_QUERY,
        "open.chinanetcenter.com",
        b'{"domain-list": {"domain-name": ["www.example.com"]}}',
        "374ed429f791c195646d5494126af936406b31562a5ff08170f7b62341aed002",
    ),
]


def _wangsu_headers(host: str, signature: str) -> dict[str, str]:
    return {
        "Host": host,
        "Content-Type": "application/json",
        "x-cnc-accessKey": AK,
        "x-cnc-timestamp": str(TS),
        "Authorization": f"CNC-HMAC-SHA256 Credential={AK}, SignedHeaders=content-type;host, "
        f"Signature={signature}",
    }


@pytest.mark.parametrize(
    ("method", "path", "query", "host", "body", "signature"),
    WANGSU_VECTORS,
    ids=["V1", "V2", "V3", "V4"],
)
def test_wangsu_vectors_verify(
    method: str, path: str, query: str, host: str, body: bytes, signature: str
) -> None:
    headers = _wangsu_headers(host, signature)
    fields = cnc.aksk_fields(headers["Authorization"])
    cnc.check_aksk(fields, SK, method, path, query, headers, body, TS + 299, 300)


def test_wangsu_v1_string_to_sign_digest() -> None:
    method, path, query, host, body, _ = WANGSU_VECTORS[0]
    to_sign = cnc.aksk_string_to_sign(
        method, path, query, _wangsu_headers(host, ""), body, "content-type;host", str(TS)
    )
    assert to_sign.split("\n") == [
        "CNC-HMAC-SHA256",
        str(TS),
        "dbf5f91fc3466fb4519c100ee74b3bf018be843e71db862cc4277a275d59c304",
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": b'{"domain":["www.example.org"]}'}, "signature"),
        ({"secret": SK + "x"}, "signature"),
        ({"now": TS + 301}, "5 minutes"),
        ({"path": "/api/report/flow-request/"}, "signature"),
    ],
)
def test_wangsu_tampering_is_refused(change: dict[str, object], reason: str) -> None:
    method, path, query, host, body, signature = WANGSU_VECTORS[1]
    headers = _wangsu_headers(host, signature)
    with pytest.raises(cnc.AuthError, match=reason):
        cnc.check_aksk(
            cnc.aksk_fields(headers["Authorization"]),
            str(change.get("secret", SK)),
            method,
            str(change.get("path", path)),
            query,
            headers,
            change.get("body", body),  # type: ignore[arg-type]
            float(change.get("now", TS)),  # type: ignore[arg-type]
            300,
        )


def test_wangsu_apikey_vector() -> None:
    date = "Tue, 14 Nov 2023 22:13:20 GMT"
    username, password = cnc.basic_credentials(
        "dGVzdHVzZXI6YTJ1aGM3TEUyUWZoM1Fra0ZLMDNESzY0SXZNPQ=="
    )
    assert (username, password) == ("testuser", "a2uhc7LE2Qfh3QkkFK03DK64IvM=")
    cnc.check_apikey(password, "TESTAPIKEY123", {"Date": date}, 1700000000, 300)
    with pytest.raises(cnc.AuthError, match="password"):
        cnc.check_apikey(password, "TESTAPIKEY124", {"Date": date}, 1700000000, 300)


# -- Volcengine §2.2 ---------------------------------------------------------------

V1_BODY = (
    b'{"DomainList": ["example.com"], "StartTime": "2024-01-01T00:00:00+08:00", '
    b'"EndTime": "2024-01-01T01:00:00+08:00", "Aggregation": 300}'
)
POST_SIGNED = "content-type;host;x-content-sha256;x-date"
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
VOLC_VECTORS = [
    # (AK, SK, X-Date, method, query, body, sha, token, signed, signature, content-type)
    (
        "AKLTtestAccessKeyId",
        "testSecretAccessKey==",
        "20240101T000000Z",
        "POST",
        "Action=DescribeLiveBandwidthData&Version=2023-01-01",
        V1_BODY,
        "569f8b6a035cd1715b8aa7bb8a73c2c963d7c2d7991217b09e45405d849c5de1",
        None,
        POST_SIGNED,
        "38b1e019c443c671858bbbede98631b97d231e545d88080ba5f6fb42275145b4",
    ),
    (
        "AKLTexampleAK",
        "ExampleSecretKey/With+Chars=",
        "20240315T083015Z",
        "POST",
        "Action=DescribeLiveP95PeakBandwidthData&Version=2023-01-01",
        b'{"StartTime":"2024-03-01T00:00:00+08:00","EndTime":"2024-03-15T00:00:00+08:00",'
        b'"Aggregation":300}',
        "5aa595f5feab319b0fc5ff15274aa2cef3957b7ba1b758b849373d2b4df6e6dd",
        None,
        POST_SIGNED,
        "21c8c51cb1faccfc15c35ca1220ce0e45d63851a026d13c22495c972cbd19205",
    ),
    (
        "AKLTexampleAK",
        "ExampleSecretKey/With+Chars=",
        "20240315T083015Z",
        "POST",
        "Action=DescribeLiveTrafficData&Version=2023-01-01",
        b"",
        EMPTY,
        None,
        POST_SIGNED,
        "817f9cce65dde7d89eaded0684bbf2778c71da948df84bbe9bda9c55a7363c6b",
    ),
    (
        "AKLTexampleAK",
        "ExampleSecretKey/With+Chars=",
        "20240315T083015Z",
        "POST",
        "Action=DescribeLiveBandwidthData&Version=2023-01-01",
        b"{}",
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        "STS2exampleToken",
        POST_SIGNED + ";x-security-token",
        "13d4a649440e58ce4759076840c10d4c8a0708a217223223e1582e44bc1155e4",
    ),
    (
        "AKLTexampleAK",
        "ExampleSecretKey/With+Chars=",
        "20240315T083015Z",
        "GET",
        # As the SDK sends it: a space as `+`, unsorted.
        "Action=DescribeLiveStreamState&Version=2023-01-01&Vhost=v.example.com&App=live+app"
        "&Stream=s~1",
        b"",
        EMPTY,
        None,
        "host;x-content-sha256;x-date",
        "6738b9afaae5e9479f67b2e57a8aa6d2bc04f7ca6a76ba16b32b0c6fbe85e40e",
    ),
]
X_DATE_EPOCH = {"20240101T000000Z": 1704067200, "20240315T083015Z": 1710491415}


def _volc_request(
    vector: tuple[str, str, str, str, str, bytes, str, str | None, str, str],
) -> tuple[dict[str, str], str]:
    ak, _, x_date, _, _, _, sha, token, signed, signature = vector
    headers = {"Host": "live.volcengineapi.com", "X-Date": x_date, "X-Content-Sha256": sha}
    if "content-type" in signed:
        headers["Content-Type"] = "application/json"
    if token:
        headers["X-Security-Token"] = token
    scope = f"{x_date[:8]}/cn-north-1/live/request"
    headers["Authorization"] = (
        f"HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return headers, x_date


@pytest.mark.parametrize("vector", VOLC_VECTORS, ids=["V1", "V2", "V3", "V4", "V5"])
def test_volcengine_vectors_verify(
    vector: tuple[str, str, str, str, str, bytes, str, str | None, str, str],
) -> None:
    ak, sk, _, method, query, body, _, token, _, _ = vector
    headers, x_date = _volc_request(vector)

    def keys(access_key: str) -> v4.Key | None:
        return v4.Key(sk, token) if access_key == ak else None

    def verdict(sent: bytes, now: float) -> str | None:
        return v4.verify(method, "/", query, headers, sent, keys, now, "cn-north-1", "live", 900)

    now = X_DATE_EPOCH[x_date] + 60
    assert verdict(body, now) is None
    assert verdict(body + b" ", now) == "SignatureDoesNotMatch"
    assert verdict(body, now + 901) == "InvalidTimestamp"


def test_volcengine_signing_keys() -> None:
    assert (
        v4.signing_key("testSecretAccessKey==", "20240101", "cn-north-1", "live").hex()
        == "aa066ba3b89f02dcbd582cfdf90b97063b196c23929aee64233bf51feb05d8c8"
    )
    assert (
        v4.signing_key("ExampleSecretKey/With+Chars=", "20240315", "cn-north-1", "live").hex()
        == "4533ce5450099b9a47ff4c6f98eca71a38e5e415a8e97a69a9cc766f372bfbd9"
    )


def test_volcengine_v5_canonical_query_is_sorted_with_percent_20() -> None:
    vector = VOLC_VECTORS[4]
    headers, _ = _volc_request(vector)
    lowered = {k.lower(): v for k, v in headers.items()}
    canonical = v4.canonical_request("GET", "/", vector[4], lowered, ("host",), EMPTY)
    assert canonical.split("\n")[2] == (
        "Action=DescribeLiveStreamState&App=live%20app&Stream=s~1&Version=2023-01-01"
        "&Vhost=v.example.com"
    )
