"""Wangsu/CDNetworks signing against every vector in reference §3.4 and §4, byte for byte."""

from __future__ import annotations

import hashlib

import pytest

from collector.emulator.wangsu.auth import aksk_fields
from collector.providers.wangsu import signing

AK = "AK_TEST_0123456789"
SK = "SK_TEST_abcdefghijklmnopqrstuvwxyz"
TS = 1700000000
JSON = {"Content-Type": "application/json"}
WANGSU_HOST = "open.chinanetcenter.com"

V1_URL = "https://open.chinanetcenter.com/api/report/flow/isp-province"
V1_BODY = (
    b'{"dateFrom": "2023-11-14T00:00:00+08:00", "dateTo": "2023-11-14T01:00:00+08:00", '
    b'"domain": ["www.example.com"], "dataInterval": "5m"}'
)
V2_URL = "https://api.cdnetworks.com/api/report/flow-request"
V2_BODY = b'{"domain":["www.example.com"]}'
V3_URL = (
    "https://open.chinanetcenter.com/api/report/flow?datefrom=2023-11-13T00%3A00%3A00%2B08%3A00"
    "&dateto=2023-11-14T00%3A00%3A00%2B08%3A00&type=daily"
)
V4_QUERY = (
    "dateFrom=2023-11-13T00%3A00%3A00%2B08%3A00&dateTo=2023-11-14T00%3A00%3A00%2B08%3A00"
    "&type=fiveminutes"
)
V4_URL = "https://open.chinanetcenter.com/api/report/domainflow?" + V4_QUERY
V4_BODY = b'{"domain-list": {"domain-name": ["www.example.com"]}}'

# (name, method, path, raw query, host, body, hashed payload, sha256(canonical), signature)
VECTORS = [
    (
        "V1",
        "POST",
        "/api/report/flow/isp-province",
        "",
        WANGSU_HOST,
        V1_BODY,
        "62cfd4fd1a5ae51b3c6c1ca12c43fae05d8af0dee50d2b8674014f32cbb631a0",
        "dbf5f91fc3466fb4519c100ee74b3bf018be843e71db862cc4277a275d59c304",
        "bad9ed3b6bb8dc097dbe4f0e2459c3282c4fe8a8af1dfe2c77b5ab01fcaf25b8",
    ),
    (
        "V2",
        "POST",
        "/api/report/flow-request",
        "",
        "api.cdnetworks.com",
        V2_BODY,
        "a3ecf676e8be3ef6e6a1631e7342b2f2cf8dd5e1df1f9cb1b4cbce07fc52da6a",
        "b5756f51e126686f3e578c0ef0c43be6fbe0abe8d25e93129b829a16bbebf7d7",
        "62ca94b06b966b0b3fe77e20dc3c71549bd18dc9d9f2b13cd392e5674af3b7bd",
    ),
    (
        "V3",
        "GET",
        "/api/report/flow",
        "datefrom=2023-11-13T00%3A00%3A00%2B08%3A00&dateto=2023-11-14T00%3A00%3A00%2B08%3A00"
        "&type=daily",
        WANGSU_HOST,
        b"",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "4064f207f34a414ea4f46f68a21cdfec0309fa949efa0aec9221d55147416fae",
        "1c8d3f020cb19df9bbe7558e52fb1529c88c4612a1af61b763056bd374dbb1ec",
    ),
    (
        "V4",
        "POST",
        "/api/report/domainflow",
        V4_QUERY,
        WANGSU_HOST,
        V4_BODY,
        "ed62bd686f063e791a4bc084f1afeb8a9b984bbf76f8c0071e7a3326c946e361",
        "4e2c7c9474a3929ebab56550abde8f4361badaaf6afa9e8b765f9793076c2d3b",
        "374ed429f791c195646d5494126af936406b31562a5ff08170f7b62341aed002",
    ),
]
IDS = [v[0] for v in VECTORS]


@pytest.mark.parametrize(
    ("name", "method", "path", "query", "host", "body", "hashed", "canonical_sha", "sig"),
    VECTORS,
    ids=IDS,
)
def test_vector(
    name: str,
    method: str,
    path: str,
    query: str,
    host: str,
    body: bytes,
    hashed: str,
    canonical_sha: str,
    sig: str,
) -> None:
    headers = {**JSON, "Host": host}
    canonical = signing.canonical_request(method, path, query, headers, body)
    assert canonical.endswith("\n" + hashed)
    assert hashlib.sha256(canonical.encode()).hexdigest() == canonical_sha
    assert signing.string_to_sign(str(TS), canonical) == (f"CNC-HMAC-SHA256\n{TS}\n{canonical_sha}")
    assert signing.signature(SK, str(TS), canonical) == sig
    assert signing.authorization(AK, "content-type;host", sig) == (
        f"CNC-HMAC-SHA256 Credential={AK}, SignedHeaders=content-type;host, Signature={sig}"
    )


def test_v1_canonical_request_in_full() -> None:
    canonical = signing.canonical_request(
        "POST", "/api/report/flow/isp-province", "", {**JSON, "Host": WANGSU_HOST}, V1_BODY
    )
    assert canonical == (
        "POST\n/api/report/flow/isp-province\n\n"
        "content-type:application/json\nhost:open.chinanetcenter.com\n\n"
        "content-type;host\n"
        "62cfd4fd1a5ae51b3c6c1ca12c43fae05d8af0dee50d2b8674014f32cbb631a0"
    )


def test_v1_full_authorization() -> None:
    headers = signing.sign_aksk(
        "POST", V1_URL, {**JSON, "Host": WANGSU_HOST}, V1_BODY, AK, SK, timestamp=TS
    )
    assert headers == {
        "x-cnc-auth-method": "AKSK",
        "x-cnc-accessKey": AK,
        "x-cnc-timestamp": "1700000000",
        "Authorization": "CNC-HMAC-SHA256 Credential=AK_TEST_0123456789, "
        "SignedHeaders=content-type;host, "
        "Signature=bad9ed3b6bb8dc097dbe4f0e2459c3282c4fe8a8af1dfe2c77b5ab01fcaf25b8",
    }


def test_v2_via_sign_aksk() -> None:
    headers = signing.sign_aksk(
        "POST", V2_URL, {**JSON, "Host": "api.cdnetworks.com"}, V2_BODY, AK, SK, timestamp=TS
    )
    assert headers["Authorization"].endswith(
        "Signature=62ca94b06b966b0b3fe77e20dc3c71549bd18dc9d9f2b13cd392e5674af3b7bd"
    )


def test_v3_get_signs_the_decoded_query_unsorted() -> None:
    canonical = signing.canonical_request(
        "GET", "/api/report/flow", V3_URL.split("?", 1)[1], {**JSON, "Host": WANGSU_HOST}, b""
    )
    assert canonical == (
        "GET\n/api/report/flow\n"
        "datefrom=2023-11-13T00:00:00+08:00&dateto=2023-11-14T00:00:00+08:00&type=daily\n"
        "content-type:application/json\nhost:open.chinanetcenter.com\n\n"
        "content-type;host\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    headers = signing.sign_aksk("GET", V3_URL, {**JSON, "Host": WANGSU_HOST}, b"", AK, SK, TS)
    assert headers["Authorization"].endswith(
        "Signature=1c8d3f020cb19df9bbe7558e52fb1529c88c4612a1af61b763056bd374dbb1ec"
    )


def test_v4_post_ignores_the_query_string() -> None:
    headers = {**JSON, "Host": WANGSU_HOST}
    canonical = signing.canonical_request(
        "POST", "/api/report/domainflow", V4_QUERY, headers, V4_BODY
    )
    assert canonical.split("\n")[2] == ""
    with_query = signing.sign_aksk("POST", V4_URL, headers, V4_BODY, AK, SK, TS)
    without = signing.sign_aksk(
        "POST", V4_URL.split("?", 1)[0], headers, V4_BODY, AK, SK, timestamp=TS
    )
    expected = "Signature=374ed429f791c195646d5494126af936406b31562a5ff08170f7b62341aed002"
    assert with_query["Authorization"].endswith(expected)
    assert without == with_query


def test_get_query_changes_the_signature() -> None:
    # The counterpart of V4: for GET the query is signed, so a different one must differ.
    headers = {**JSON, "Host": WANGSU_HOST}
    base = signing.sign_aksk("GET", V3_URL, headers, b"", AK, SK, TS)
    other = signing.sign_aksk("GET", V3_URL.replace("daily", "hourly"), headers, b"", AK, SK, TS)
    assert base["Authorization"] != other["Authorization"]


def test_sign_aksk_output_verifies() -> None:
    """What the emulator does (§3.5): parse Authorization (with its parser), rebuild, compare."""
    headers = {**JSON, "Host": "127.0.0.1:8080"}
    body = b'{"domain":["a.example.com"]}'
    auth = signing.sign_aksk(
        "POST", "http://127.0.0.1:8080/api/report/flow-request", headers, body, AK, SK, TS
    )
    fields = aksk_fields(auth["Authorization"])
    assert fields["Credential"] == AK == auth["x-cnc-accessKey"]
    assert fields["SignedHeaders"] == "content-type;host"
    assert len(fields["Signature"]) == 64
    assert fields["Signature"] == fields["Signature"].lower()
    rebuilt = signing.canonical_request(
        "POST", "/api/report/flow-request", "", headers, body, fields["SignedHeaders"]
    )
    assert "host:127.0.0.1:8080\n" in rebuilt
    assert signing.signature(SK, auth["x-cnc-timestamp"], rebuilt) == fields["Signature"]
    tampered = signing.canonical_request(
        "POST", "/api/report/flow-request", "", headers, body + b" "
    )
    assert signing.signature(SK, auth["x-cnc-timestamp"], tampered) != fields["Signature"]


def test_header_values_are_lower_cased_and_looked_up_case_insensitively() -> None:
    upper = signing.canonical_request(
        "POST",
        "/p",
        "",
        {"content-TYPE": "Application/JSON", "HOST": "Open.ChinaNetCenter.com"},
        b"",
    )
    assert "content-type:application/json\nhost:open.chinanetcenter.com\n" in upper


# §4: legacy Basic auth.
def test_apikey_vector() -> None:
    assert signing.http_date(TS) == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert signing.apikey_password("TESTAPIKEY123", "Tue, 14 Nov 2023 22:13:20 GMT") == (
        "a2uhc7LE2Qfh3QkkFK03DK64IvM="
    )
    assert signing.sign_apikey("testuser", "TESTAPIKEY123", TS) == {
        "Date": "Tue, 14 Nov 2023 22:13:20 GMT",
        "Authorization": "Basic dGVzdHVzZXI6YTJ1aGM3TEUyUWZoM1Fra0ZLMDNESzY0SXZNPQ==",
    }
