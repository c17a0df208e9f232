"""The one function every exported text passes through, transcripts and training pairs alike.

It trims the text; for a training reply it puts the business profile's `{{Placeholders}}` back (the model
writes placeholders and serving fills them, chatbot/conversations/replies.py, so a model trained on "call
+1 555 0100" would hard-code the number); and it masks personal data (card numbers, e-mail addresses,
phone numbers, IBANs: chatbot.privacy.redaction.redact_for_training) whatever the storage setting, so an
export never carries them: not in a transcript file, not in training data.
"""

import re
from collections.abc import Iterable, Mapping

from chatbot.privacy.redaction import redact_for_training

# A placeholder already in the text (a reviewer may type one) is kept as it is.
_PLACEHOLDER = r"\{\{[^{}\n]{1,80}\}\}"


def export_text(
    text: str, *, placeholders_for: Mapping[str, str] | None = None, keep: Iterable[str] = ()
) -> str:
    """`text` as it may leave the system. `placeholders_for` maps placeholder names to the values serving
    filled in (`business_slots`); each value found as a whole word becomes its `{{Name}}` again. `keep`:
    values that are not personal data though they look like it (the shop's own phone and e-mail)."""
    text = text.strip()
    if placeholders_for:
        text = _restore_placeholders(text, placeholders_for)
    return redact_for_training(text, keep=keep)


def _restore_placeholders(text: str, slots: Mapping[str, str]) -> str:
    # Several names can share a value (Company Name and Website Name): the first name listed wins.
    names_by_value: dict[str, str] = {}
    for name, value in slots.items():
        if value.strip():
            names_by_value.setdefault(value.strip(), name)
    if not names_by_value:
        return text
    # One pass, longest value first ("Northwind Outfitters Ltd" before "Northwind Outfitters"), so a
    # restored placeholder is never searched again.
    values = "|".join(re.escape(value) for value in sorted(names_by_value, key=len, reverse=True))
    pattern = re.compile(rf"({_PLACEHOLDER})|(?<!\w)({values})(?!\w)")

    def replace(match: re.Match) -> str:
        if match.group(1):
            return match.group(1)
        return "{{" + names_by_value[match.group(2)] + "}}"

    return pattern.sub(replace, text)
