"""Validators: Luhn, IBAN mod-97, SSN rules, IP ranges, entropy, JWT, emails, phones."""

from __future__ import annotations

import base64
import json

import pytest

from checks.pii import validators as v


@pytest.mark.parametrize(
    "number", ["4539 1488 0343 6467", "4111111111111111", "378282246310005", "5555555555554444"]
)
def test_luhn_accepts_valid_numbers(number: str) -> None:
    assert v.luhn_valid(number)


@pytest.mark.parametrize("number", ["4539 1488 0343 6468", "4111111111111112", "1234567812345678"])
def test_luhn_rejects_invalid_numbers(number: str) -> None:
    assert not v.luhn_valid(number)


def test_card_needs_network_prefix_and_length() -> None:
    assert v.card_valid("4539148803436467")
    # Luhn-valid but no network starts with 9, and a run of one digit is never a card.
    assert v.luhn_valid("9999999999999995") and not v.card_valid("9999999999999995")
    assert not v.card_valid("0000000000000000")


@pytest.mark.parametrize(
    "iban", ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "NL91ABNA0417164300"]
)
def test_iban_mod97_accepts(iban: str) -> None:
    assert v.iban_valid(iban)


@pytest.mark.parametrize(
    "iban", ["GB82 WEST 1234 5698 7654 33", "DE8937040044053201300", "XX89370400440532013000"]
)
def test_iban_rejects_bad_check_digits_length_or_country(iban: str) -> None:
    assert not v.iban_valid(iban)


@pytest.mark.parametrize("ssn", ["536-22-1234", "001-01-0001", "899-99-9998"])
def test_ssn_valid(ssn: str) -> None:
    assert v.ssn_valid(ssn)


@pytest.mark.parametrize(
    "ssn",
    ["000-12-3456", "666-12-3456", "900-12-3456", "536-00-1234", "536-22-0000", "078-05-1120"],
)
def test_ssn_area_group_serial_rules(ssn: str) -> None:
    assert not v.ssn_valid(ssn)


@pytest.mark.parametrize("ip", ["8.8.4.4", "151.101.1.69", "2a00:1450:4009:81f::200e"])
def test_public_ips_are_reportable(ip: str) -> None:
    assert v.ip_is_reportable(ip)


@pytest.mark.parametrize(
    "ip",
    [
        "192.0.2.10",  # TEST-NET-1
        "198.51.100.7",  # TEST-NET-2
        "203.0.113.99",  # TEST-NET-3
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.1.1",
        "100.64.0.1",  # shared CGNAT space
        "224.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "2001:db8::1",
        "::1",
        "fe80::1",
        "fd00::1",
        "999.1.1.1",
    ],
)
def test_non_public_ips_are_not(ip: str) -> None:
    assert not v.ip_is_reportable(ip)


def test_entropy_thresholds_per_charset() -> None:
    assert v.charset_of("deadbeef0123") == "hex"
    assert v.charset_of("abc+/=") == "base64"
    assert v.charset_of("abc-_") == "base64url"
    assert v.shannon_entropy("aaaa") == 0.0
    assert v.shannon_entropy("abcd") == pytest.approx(2.0)
    # A random-looking 40-char base64 string is high entropy; an English identifier is not.
    assert v.high_entropy("q7Xk2Lm9Pz4Vb8Nc1Yh6Jw0Fs5Ea3Ug2Rt7Wd4Ko")
    assert not v.high_entropy("this_is_a_very_long_identifier_name")
    assert v.entropy_threshold("hex", 40) == 3.0
    assert v.entropy_threshold("base64", 20) < v.entropy_threshold("base64", 64)


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def test_jwt_needs_a_json_header_with_alg() -> None:
    good = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64({'sub': '1'})}.c2lnbmF0dXJlc2ln"
    assert v.jwt_valid(good)
    assert not v.jwt_valid(f"{_b64({'typ': 'JWT'})}.{_b64({'sub': '1'})}.c2lnbmF0dXJl")
    assert not v.jwt_valid("eyJhbGciOi.eyJzdWIi.sig")


@pytest.mark.parametrize(
    "addr", ["jane.doe@acme-corp.com", "j.smith@mail.co.uk", "x+tag@gmail.com"]
)
def test_personal_emails(addr: str) -> None:
    assert v.email_reportable(addr)


@pytest.mark.parametrize(
    "addr",
    [
        "user@example.com",
        "a@sub.example.org",
        "bob@host.test",
        "git@github.com",
        "icon@2x.png",
        "noreply@company.com",
    ],
)
def test_reserved_or_system_addresses(addr: str) -> None:
    assert not v.email_reportable(addr)


@pytest.mark.parametrize(
    "phone", ["+44 20 7946 0018", "(415) 867-5309", "+1-202-456-1111", "030 1234567"]
)
def test_phone_valid(phone: str) -> None:
    assert v.phone_valid(phone)


@pytest.mark.parametrize(
    "phone", ["(415) 555-0123", "123-456-7890", "+1 111 111 1111", "+12", "000 000 0000"]
)
def test_phone_rejects_fictional_and_impossible(phone: str) -> None:
    assert not v.phone_valid(phone)


@pytest.mark.parametrize(
    "value", ["${DB_PASSWORD}", "changeme", "<your-token>", "xxxxxxxx", "None"]
)
def test_placeholders(value: str) -> None:
    assert v.placeholder_value(value)


def test_real_looking_password_is_not_a_placeholder() -> None:
    assert not v.placeholder_value("Tr0ub4dor&3x")
