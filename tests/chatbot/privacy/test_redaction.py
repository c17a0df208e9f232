"""PII redaction (chatbot/privacy/redaction.py): plain functions, realistic and adversarial strings."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.privacy.redaction import find_personal_data, luhn_checksum_holds, redact, redact_for_training

# Test numbers the card networks publish (all pass Luhn).
VISA = "4111111111111111"
AMEX = "378282246310005"
MASTERCARD = "5555555555554444"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"my card is {VISA}", "my card is [card]", id="bare"),
        pytest.param("4111 1111 1111 1111", "[card]", id="spaced"),
        pytest.param("4111-1111-1111-1111", "[card]", id="dashed"),
        pytest.param("3782 822463 10005", "[card]", id="amex-grouping"),
        pytest.param("5555\u00a05555\u00a05555\u00a04444", "[card]", id="non-breaking-spaces"),
        pytest.param("4111\u20131111\u20131111\u20131111", "[card]", id="en-dashes"),
        pytest.param(
            f"Hi, I paid with {MASTERCARD} yesterday and was charged twice.",
            "Hi, I paid with [card] yesterday and was charged twice.",
            id="inside-a-sentence",
        ),
        pytest.param("card:4111111111111111,exp 12/27", "card:[card],exp 12/27", id="glued-to-punctuation"),
        pytest.param("4111 1111 1111 1111 123", "[card] 123", id="followed-by-a-security-code"),
        pytest.param("4111 1111 1111 1111 12/27 123", "[card] 12/27 123", id="then-expiry-and-code"),
        pytest.param("cards 4111111111111111 and 378282246310005", "cards [card] and [card]", id="two"),
        pytest.param("\uff14\uff11\uff11\uff11" + " \uff11\uff11\uff11\uff11" * 3, "[card]", id="full-width"),
        pytest.param("\u0664" + "\u0661" * 15, "[card]", id="arabic-indic-digits"),
    ],
)
def test_card_numbers_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("4111 1111 1111 1112", id="fails-luhn"),
        pytest.param("card 4111-1111-1111-1112 declined", id="dashed-fails-luhn"),
        pytest.param("411111111111", id="twelve-digits"),
        pytest.param("41111111111111111111", id="twenty-digits"),
        pytest.param("tracking 1Z999AA10123456784", id="ups-tracking-number"),
        pytest.param("\uff14" + "\uff11" * 14 + "\uff12", id="full-width-fails-luhn"),
    ],
)
def test_numbers_that_are_not_cards_stay(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("mail me at alice@example.com", "mail me at [email]", id="plain"),
        pytest.param("alice+orders@example.com", "[email]", id="plus-addressing"),
        pytest.param("a.lice_o-b@mail.shop.example.co.uk", "[email]", id="subdomains"),
        pytest.param("Write to ALICE@EXAMPLE.COM.", "Write to [email].", id="upper-case-sentence-end"),
        pytest.param(
            "<alice@example.com>, bob@example.org", "<[email]>, [email]", id="angle-brackets-and-lists"
        ),
        pytest.param("josé@correo.example.es", "[email]", id="unicode-local-part"),
        pytest.param("it's o'brien@example.ie", "it's [email]", id="apostrophe"),
    ],
)
def test_email_addresses_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("our handle is @northwind", id="social-handle"),
        pytest.param("alice@localhost", id="no-top-level-domain"),
        pytest.param("price: 2@5.00", id="at-sign-in-numbers"),
    ],
)
def test_things_with_an_at_sign_that_are_not_addresses_stay(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("call me on +49 30 1234567", "call me on [phone]", id="international-spaces"),
        pytest.param("+44 7700 900123", "[phone]", id="uk-mobile-international"),
        pytest.param("+1 (555) 123-4567", "[phone]", id="north-american-international"),
        pytest.param("+4930123456", "[phone]", id="international-compact"),
        pytest.param("0049 30 1234567", "[phone]", id="double-zero-prefix"),
        pytest.param("(555) 123-4567", "[phone]", id="north-american-parentheses"),
        pytest.param("555-123-4567", "[phone]", id="north-american-dashes"),
        pytest.param("555.123.4567", "[phone]", id="north-american-dots"),
        pytest.param("1 555 123 4567", "[phone]", id="north-american-with-country-code"),
        pytest.param("030 1234567", "[phone]", id="german-national"),
        pytest.param("07700 900123", "[phone]", id="uk-national"),
        pytest.param("06 12 34 56 78", "[phone]", id="french-national"),
        pytest.param("my phone: 5551234567", "my phone: [phone]", id="bare-after-the-word-phone"),
        pytest.param("call me at 612 345 678 tomorrow", "call me at [phone] tomorrow", id="after-call"),
        pytest.param("qty 3 030 1234567", "qty 3 [phone]", id="next-to-another-number"),
        pytest.param("Tel.030 1234567", "Tel.[phone]", id="glued-to-an-abbreviation"),
        pytest.param(
            "\uff10\uff13\uff10 \uff11\uff12\uff13\uff14\uff15\uff16\uff17", "[phone]", id="full-width"
        ),
    ],
)
def test_phone_numbers_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Where is order NW-10234?", id="order-number-with-prefix"),
        pytest.param("order #10234", id="order-number-with-hash"),
        pytest.param("my order number is 5551234567", id="long-order-number"),
        pytest.param("invoice 0301234567", id="invoice-number-with-a-leading-zero"),
        pytest.param("tracking number 1234567890", id="tracking-number"),
        pytest.param("delivered on 01.05.2024", id="dotted-date"),
        pytest.param("delivered on 2024-05-01", id="iso-date"),
        pytest.param("delivered on 5/1/24", id="us-date"),
        pytest.param("it cost $1,299.00, or 1.299,00 €", id="amounts"),
        pytest.param("a refund of 1 234 567 cents", id="amount-with-spaces"),
        pytest.param("open 9:00-17:00, Monday to Friday", id="opening-hours"),
        pytest.param("size 42, 3 pairs, 10115 Berlin", id="sizes-quantities-postcode"),
        pytest.param("5551234567", id="ten-bare-digits-without-a-phone-word"),
        pytest.param("version 3.14.159", id="version-number"),
    ],
)
def test_order_numbers_dates_and_amounts_stay(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [iban] please", id="german-spaced"),
        pytest.param("DE89370400440532013000", "[iban]", id="compact"),
        pytest.param("iban: de89 3704 0044 0532 0130 00", "iban: [iban]", id="lower-case"),
        pytest.param("GB29 NWBK 6016 1331 9268 19 is mine", "[iban] is mine", id="letters-in-the-account"),
        pytest.param("FR14 2004 1010 0505 0001 3M02 606", "[iban]", id="french"),
        pytest.param("NO9386011117947", "[iban]", id="shortest-country"),
        pytest.param("to DE89370400440532013000.", "to [iban].", id="sentence-end"),
    ],
)
def test_ibans_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("DE89 3704 0044 0532 0130 01", id="wrong-checksum"),
        pytest.param("DE88370400440532013000", id="wrong-check-digits"),
        pytest.param("DE89 3704 0044 0532 0130", id="too-short-for-its-country"),
        pytest.param("DE8937040044053201300000", id="too-long-for-its-country"),
        pytest.param("ZZ89370400440532013000", id="unknown-country"),
    ],
)
def test_strings_that_are_not_valid_ibans_stay(text):
    assert redact(text) == text


def test_a_message_with_everything_keeps_its_words():
    text = (
        "Order NW-10234 from 01.05.2024 (€89.90): refund to DE89 3704 0044 0532 0130 00, not card "
        "4111 1111 1111 1111. Reach me at alice+shop@example.com or +44 7700 900123."
    )
    assert redact(text) == (
        "Order NW-10234 from 01.05.2024 (€89.90): refund to [iban], not card [card]. "
        "Reach me at [email] or [phone]."
    )


def test_only_the_chosen_kinds_are_masked():
    text = "alice@example.com, 4111 1111 1111 1111, +49 30 1234567"
    assert redact(text, kinds=["card"]) == "alice@example.com, [card], +49 30 1234567"
    assert redact(text, kinds=[]) == text


def test_kept_values_stay_and_a_phone_is_kept_in_its_national_form_too():
    keep = ["+1 555 0100", "support@example.com"]
    text = "Call +1 555 0100 (or 555 0100 by phone) or write to Support@Example.com, not alice@example.com."
    assert redact(text, keep=keep) == (
        "Call +1 555 0100 (or 555 0100 by phone) or write to Support@Example.com, not [email]."
    )
    assert redact("call +1 555 0199", keep=keep) == "call [phone]"


def test_redact_for_training_masks_every_kind():
    text = "alice@example.com 4111111111111111"
    assert redact_for_training(text) == "[email] [card]"


def test_findings_say_what_and_where():
    text = "mail alice@example.com"
    [finding] = find_personal_data(text)
    assert (finding.kind, text[finding.start : finding.end], finding.value) == (
        "email",
        "alice@example.com",
        "alice@example.com",
    )


def test_an_invalid_iban_is_not_reported_as_a_finding():
    assert find_personal_data("DE89 3704 0044 0532 0130 01") == []


def _with_luhn_digit(body: str) -> str:
    for last in "0123456789":
        if luhn_checksum_holds(body + last):
            return body + last
    raise AssertionError("one of ten digits always completes a Luhn number")


card_numbers = (
    st.integers(min_value=12, max_value=18)
    .flatmap(lambda length: st.text("0123456789", min_size=length, max_size=length))
    .map(_with_luhn_digit)
)


@given(number=card_numbers, separator=st.sampled_from(["", " ", "-"]), group=st.sampled_from([4, 5, 6]))
def test_any_luhn_valid_card_number_in_any_grouping_is_masked(number, separator, group):
    written = separator.join(number[i : i + group] for i in range(0, len(number), group))
    assert redact(f"my card: {written} thanks") == "my card: [card] thanks"


@given(number=card_numbers, position=st.integers(min_value=0, max_value=18), change=st.integers(1, 9))
def test_a_card_number_with_one_wrong_digit_is_left_alone_by_the_card_check(number, position, change):
    position %= len(number)
    wrong = number[:position] + str((int(number[position]) + change) % 10) + number[position + 1 :]
    assert [finding.kind for finding in find_personal_data(f"ref {wrong}") if finding.kind == "card"] == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1 " * 1000, id="spaced-digits"),
        pytest.param("0 " * 1000, id="spaced-zeros"),
        pytest.param("1-" * 1000, id="dashed-digits"),
        pytest.param("12\u00a0" * 666, id="non-breaking-spaces"),
        pytest.param("call 1 " * 285, id="phone-words"),
        pytest.param("DE89 1 " * 285, id="iban-starts"),
        pytest.param("a" * 1990 + "@b.co", id="long-local-part"),
    ],
)
def test_a_longest_message_of_look_alikes_is_redacted_in_well_under_a_second(text):
    """Each piece of text is tried against a bounded number of candidates (a phone number has at most
    17 digits, a card 19): a message at the length limit made of near-misses stays cheap."""
    started = time.perf_counter()
    redact(text[:2000])
    assert time.perf_counter() - started < 2.0
