"""Phone numbers as dialled or presented by a carrier become E.164 with the
number's kind, location and carrier (hotline.core.phones)."""

import random

import pytest

from hotline.core.exceptions import InvalidData
from hotline.core.phones import phone_digits, phone_info, phone_info_fast, phone_require

MOBILE = "+8613800138000"
LANDLINE = "+8675526417308"


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+8613800138000",
        "+86 138 0013 8000",
        "008613800138000",
        "0086 138-0013-8000",
        "138-0013-8000",
        " 138 0013 8000 ",
        "(+86) 138 0013 8000",
    ],
)
def test_mobile_in_every_format(raw):
    info = phone_info(raw)
    assert info is not None
    assert info.e164 == MOBILE
    assert info.national == "13800138000"
    assert info.kind == "mobile"


@pytest.mark.parametrize(
    "raw",
    [
        "0755 2641 7308",
        "0755-26417308",
        "075526417308",
        "+86 755 2641 7308",
        "+8675526417308",
        "0086 755 26417308",
        "00867552641-7308",
    ],
)
def test_landline_with_area_code_in_every_format(raw):
    info = phone_info(raw)
    assert info is not None
    assert info.e164 == LANDLINE
    assert info.national == "075526417308"
    assert info.kind == "landline"


def test_location_and_carrier_of_a_mobile():
    info = phone_info("13800138000")
    assert (info.location, info.carrier) == ("北京市", "中国移动")


def test_location_of_a_landline():
    info = phone_info("0755 2641 7308")
    assert info.location == "广东省深圳市"
    assert info.carrier == ""


def test_beijing_landline():
    info = phone_info("010-6552 9988")
    assert info.e164 == "+861065529988"
    assert info.kind == "landline"
    assert info.location == "北京市"


def test_foreign_number_with_plus_keeps_its_country():
    info = phone_info("+1 415 555 2671")
    assert info.e164 == "+14155552671"


def test_explicit_region():
    assert phone_info("415 555 2671", region="US").e164 == "+14155552671"


@pytest.mark.parametrize(
    "raw",
    ["", None, "abc", "12", "12345", "1380013800", "138001380001234", "0755", "+86", "---"],
)
def test_invalid_input_gives_none(raw):
    assert phone_info(raw) is None


def test_phone_require_names_the_field():
    with pytest.raises(InvalidData) as caught:
        phone_require("12345", field="number")
    assert "12345" in caught.value.message
    assert "number" in caught.value.details


def test_phone_require_returns_the_info():
    assert phone_require("13800138000").e164 == MOBILE


def test_phone_digits_for_partial_search():
    assert phone_digits("+86 138-0013") == "861380013"
    assert phone_digits(None) == ""


def test_phone_info_fast_agrees_with_phone_info():
    rng = random.Random(11)
    numbers = [f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}" for _ in range(3000)]
    numbers += ["+86 138 0013 8000", "0086-139-0013-9000", "8613700137000", "19912345678"]
    numbers += ["0755 2641 7308", "010-65529988", "1380013", "12345678901"]
    for number in numbers:
        assert phone_info_fast(number) == phone_info(number), number
