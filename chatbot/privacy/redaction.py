"""Finding and masking personal data in free text: payment cards, e-mail addresses, phone numbers, IBANs.

Plain functions, no Django: `redact(text)` replaces each finding with a typed marker (`[card]`, `[email]`,
`[phone]`, `[iban]`). What decides a finding:

* card: 13 to 19 digits, single spaces or dashes between groups allowed, and the Luhn checksum holds (a
  number that fails it is left alone: it is an order, tracking or reference number);
* email: `local@domain.tld`, plus-addressing and subdomains included;
* IBAN: a known country code, that country's exact length, spaces between groups allowed, any case, and
  the ISO 7064 mod-97 checksum holds;
* phone: `+` or `00` then 8 to 15 digits; the North American 3-3-4 shape with separators; a national
  number with its trunk `0` (9 to 11 digits); or 7 to 15 digits right after a word like "phone" or
  "call". Never inside a word or code (`NW-10234`, `#10234`), never a date (`01.05.2024`), and never
  straight after "order", "invoice" or "tracking".

Digits are Unicode decimal digits, so full-width or Arabic-Indic digits cannot slip past.
"""

import functools
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

CARD = "card"
EMAIL = "email"
PHONE = "phone"
IBAN = "iban"
KINDS = (CARD, EMAIL, PHONE, IBAN)
# Found so that no other detector takes its characters, and never masked.
_NOT_PERSONAL = "not personal"


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    value: str


def marker(kind: str) -> str:
    return f"[{kind}]"


def redact(text: str, *, kinds: Collection[str] = KINDS, keep: Iterable[str] = ()) -> str:
    """`text` with every finding of `kinds` replaced by its marker.

    `keep` holds values that are not personal data although they look like it: the business's own
    support e-mail address and phone number, which the bot's replies quote. A kept value is compared
    by its digits (phones) or case-insensitively (everything else).
    """
    kept = _KeptValues(keep)
    pieces = []
    position = 0
    for finding in _findings(text):
        if finding.kind not in kinds or kept.covers(finding):
            continue
        pieces += [text[position : finding.start], marker(finding.kind)]
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces)


def redact_for_training(text: str, *, keep: Iterable[str] = ()) -> str:
    """Every kind masked, whatever the storage setting: training data and exports never carry them."""
    return redact(text, kinds=KINDS, keep=keep)


def find_personal_data(text: str) -> list[Finding]:
    """Every finding, in text order, none overlapping."""
    return [finding for finding in _findings(text) if finding.kind != _NOT_PERSONAL]


def _findings(text: str) -> list[Finding]:
    """Detectors run in priority order on the same text, and a later one never takes characters an
    earlier one found: an e-mail address's digits are not a phone number, an IBAN's are not a card."""
    taken: list[Finding] = []
    for detector in (_emails, _ibans, _cards, _phones):
        for finding in detector(text):
            if not any(finding.start < other.end and other.start < finding.end for other in taken):
                taken.append(finding)
    return sorted(taken, key=lambda finding: finding.start)


class _KeptValues:
    def __init__(self, values: Iterable[str]) -> None:
        values = [value.strip() for value in values if value and value.strip()]
        self.words = {value.casefold() for value in values}
        # Phones are compared by their digits; at least 7, so that a short value never keeps a number.
        self.phone_digits = {digits for value in values if len(digits := _digits(value)) >= 7}

    def covers(self, finding: Finding) -> bool:
        if finding.kind == PHONE:
            digits = _digits(finding.value)
            # "+1 555 0100" is kept, and so is the same number written nationally ("555 0100").
            return len(digits) >= 7 and any(kept.endswith(digits) for kept in self.phone_digits)
        return finding.value.strip().casefold() in self.words


def _digits(value: str) -> str:
    return "".join(str(int(char)) for char in value if char.isdecimal())


# --- E-mail addresses ----------------------------------------------------------------------------

_EMAIL = re.compile(
    r"[\w.%+'-]+"  # local part: the characters addresses use in practice (not "=", "/", "?" of URLs)
    r"@(?:[^\W_](?:[\w-]*[^\W_])?\.)+"  # subdomains: labels that start and end with a letter or digit
    r"[^\W\d_]{2,}"  # the top-level domain: letters
    r"(?![\w-])"
)


def _emails(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        local = match.group().split("@", 1)[0].lstrip(".'")
        start = match.start() + match.group().index(local) if local else match.start()
        yield Finding(EMAIL, start, match.end(), text[start : match.end()])


# --- IBANs ---------------------------------------------------------------------------------------

# Total IBAN length per country (SWIFT's IBAN registry). Only these are IBANs: with the exact length
# known, a candidate followed by more words is cut where the account number ends.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

_IBAN_START = re.compile(r"(?<![^\W_])[A-Za-z]{2}\d{2}")
_IBAN_SPACE = " \u00a0"
# Written like an IBAN (groups of up to four, each after the first with a digit) but not one: a typo.
_IBAN_SHAPE = re.compile(
    r"[A-Za-z]{2}\d{2}[ \u00a0]?[A-Za-z\d]{1,4}"
    r"(?:[ \u00a0]?(?=[A-Za-z]{0,3}\d)[A-Za-z\d]{1,4}){2,7}(?![A-Za-z\d])"
)


def _ibans(text: str) -> Iterator[Finding]:
    for match in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(match.group()[:2].upper())
        if length is None:
            continue
        end = _iban_end(text, match.start(), length)
        if end is not None and _iban_checksum_holds(text[match.start() : end]):
            yield Finding(IBAN, match.start(), end, text[match.start() : end])
        elif shape := _IBAN_SHAPE.match(text, match.start()):
            # An IBAN with a typo is still one code: its digits are not a card or a phone number.
            yield Finding(_NOT_PERSONAL, shape.start(), shape.end(), shape.group())


def _iban_end(text: str, start: int, length: int) -> int | None:
    """Where an IBAN of `length` characters starting at `start` ends (single spaces allowed between
    characters), or None when the text has fewer, or more run on without a space."""
    count, position = 0, start
    while count < length:
        if position < len(text) and text[position] in _IBAN_SPACE and count > 0:
            position += 1  # one space between groups, never two
        if position >= len(text) or not _is_iban_char(text[position]):
            return None
        count += 1
        position += 1
    if position < len(text) and _is_iban_char(text[position]):
        return None
    return position


def _is_iban_char(char: str) -> bool:
    return char.isdecimal() or (char.isascii() and char.isalpha())


def _iban_checksum_holds(candidate: str) -> bool:
    """ISO 13616: the country code and check digits moved to the end, letters as 10-35, mod 97 is 1."""
    compact = "".join(char for char in candidate if char not in _IBAN_SPACE).upper()
    rearranged = compact[4:] + compact[:4]
    number = "".join(
        str(int(char)) if char.isdecimal() else str(ord(char) - ord("A") + 10) for char in rearranged
    )
    return int(number) % 97 == 1


# --- Payment cards -------------------------------------------------------------------------------

# The dash last: inside the character class it must not read as a range.
_CARD_SEPARATORS = " \u00a0\u2010\u2011\u2012\u2013-"
# Digit groups joined by one separator each: "4111 1111 1111 1111", "4111-1111-1111-1111".
_DIGIT_RUN = re.compile(rf"(?<!\d)\d+(?:[{_CARD_SEPARATORS}]\d+)*(?!\d)")
_DIGIT_GROUP = re.compile(r"\d+")


def _cards(text: str) -> Iterator[Finding]:
    for run in _DIGIT_RUN.finditer(text):
        before = text[run.start() - 1] if run.start() > 0 else ""
        if before == "+" or before.isalpha():
            continue  # an international phone number; a code such as an IBAN (DE89 3704 ...) or SKU
        groups = [
            (run.start() + group.start(), run.start() + group.end())
            for group in _DIGIT_GROUP.finditer(run.group())
        ]
        yield from _cards_in_groups(text, groups)


def _cards_in_groups(text: str, groups: list[tuple[int, int]]) -> Iterator[Finding]:
    """The card numbers among consecutive digit groups: from each group on, the longest stretch of
    whole groups with 13 to 19 digits whose Luhn checksum holds ("4111 1111 1111 1111 123": the card,
    then a security code)."""
    group_digits = [_digits(text[start:end]) for start, end in groups]
    first = 0
    while first < len(groups):
        found, digits = None, ""
        for last in range(first, len(groups)):
            digits += group_digits[last]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_checksum_holds(digits):
                found = last
        if found is None:
            first += 1
            continue
        start, end = groups[first][0], groups[found][1]
        yield Finding(CARD, start, end, text[start:end])
        first = found + 1


def luhn_checksum_holds(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes: from the right, double every second
    digit, subtract 9 from results over 9, and the sum is a multiple of 10."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# --- Phone numbers -------------------------------------------------------------------------------

# Digit groups joined by phone separators, an optional "+" and "(area code)": the stretches of text
# that could hold phone numbers. Each is cut at its spaces into pieces, and the longest stretch of whole
# pieces that looks like a phone number is one ("qty 3 030 1234567": the phone number is the last two).
_PHONE_STRETCH = re.compile(
    r"(?<![\w#@/+\-])(?<!\d\.)"  # not inside a word, a code (NW-10234, #10234), a path or a decimal
    r"(?:\+[ \u00a0]?)?"
    r"(?:\(\d{1,5}\)|\d)(?:[ \u00a0./\-]?(?:\(\d{1,5}\)|\d))*"
    r"(?![\w/]|[.\-]\d)"
)
# Right before a number, these make it an order, invoice or tracking number, not a phone number.
_NOT_A_PHONE_BEFORE = re.compile(
    r"\b(?:order|invoice|bill|tracking|track|parcel|package|shipment|reference|ref|account|customer|"
    r"case|ticket|item|sku|article|postcode|zip)\b[^\w\n]{0,3}"
    r"(?:(?:number|no|nr|id|code)\b[^\w\n]{0,3})?(?:(?:is|was)\b[^\w\n]{0,3})?$",
    re.IGNORECASE,
)
# A few words before a number, these make it a phone number even without a phone's usual shape.
_PHONE_WORDS_BEFORE = re.compile(
    r"\b(?:phone|telephone|tel|mobile|cell|cellphone|call|ring|text|sms|whatsapp|fax)\b[^\d\n]{0,25}$",
    re.IGNORECASE,
)
# 01.05.2024, 2024-05-01, 5/1/24: three groups with the same separator are a date.
_DATE = re.compile(r"\d{1,4}([./\-])\d{1,2}\1\d{2,4}")
_NORTH_AMERICAN = re.compile(r"(?:1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}")


def _phones(text: str) -> Iterator[Finding]:
    for stretch in _PHONE_STRETCH.finditer(text):
        pieces = [
            _Piece(stretch.start() + piece.start(), stretch.start() + piece.end(), piece.group())
            for piece in re.finditer(r"[^ \u00a0]+", stretch.group())
        ]
        yield from _phones_in_pieces(text, pieces)


@dataclass(frozen=True)
class _Piece:
    """A space-free part of a phone-like stretch: "030", "(555)", "123-4567"."""

    start: int
    end: int
    text: str

    @property
    def digits(self) -> str:
        return _digits(self.text)

    @property
    def is_date(self) -> bool:
        return _DATE.fullmatch(self.text) is not None


def _phones_in_pieces(text: str, pieces: list[_Piece]) -> Iterator[Finding]:
    """From each piece on, the longest stretch of whole pieces that looks like a phone number."""
    digits = [piece.digits for piece in pieces]
    dates = [piece.is_date for piece in pieces]
    first = 0
    while first < len(pieces):
        # No phone number has more digits than "00" and 15: longer stretches are not tried.
        longest, count = first, len(digits[first])
        while longest + 1 < len(pieces) and count + len(digits[longest + 1]) <= 17:
            longest += 1
            count += len(digits[longest])
        before = _Before(text[max(0, pieces[first].start - 40) : pieces[first].start])
        for last in range(longest, first - 1, -1):
            start, end = pieces[first].start, pieces[last].end
            if not any(dates[first : last + 1]) and _looks_like_a_phone(
                text[start:end], "".join(digits[first : last + 1]), before
            ):
                yield Finding(PHONE, start, end, text[start:end])
                first = last + 1
                break
        else:
            first += 1


class _Before:
    """What the words right before a number say about it (asked at most once each)."""

    def __init__(self, text: str) -> None:
        self.text = text

    @functools.cached_property
    def names_another_number(self) -> bool:
        return _NOT_A_PHONE_BEFORE.search(self.text) is not None

    @functools.cached_property
    def names_a_phone(self) -> bool:
        return _PHONE_WORDS_BEFORE.search(self.text) is not None


def _looks_like_a_phone(candidate: str, digits: str, before: _Before) -> bool:
    if candidate.startswith("+"):
        return 8 <= len(digits) <= 15
    if digits.startswith("00") and digits[2:3] not in ("", "0"):
        return 10 <= len(digits) <= 17  # "00" and an international number
    if len(digits) < 7 or before.names_another_number:
        return False
    if _NORTH_AMERICAN.fullmatch(candidate):
        # (555) 123-4567, 555-123-4567, 1 555 123 4567: with separators; ten bare digits could as well
        # be an order number.
        return True
    if digits.startswith("0") and digits[1:2] != "0" and 9 <= len(digits) <= 11:
        return True  # a national number with its trunk prefix: 030 1234567, 07700 900123, 06 12 34 56 78
    return len(digits) <= 15 and before.names_a_phone
