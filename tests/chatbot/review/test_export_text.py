"""export_text: the one transform every exported text passes; placeholders go back into training replies."""

from chatbot.review.exports.text import export_text

SLOTS = {
    "Company Name": "Northwind Outfitters",
    "Website Name": "Northwind Outfitters",
    "Customer Support Phone Number": "+1 555 0100",
    "Customer Name": "Al",
}


def test_it_trims_and_otherwise_keeps_the_text():
    assert export_text("  Hello\nthere  ") == "Hello\nthere"
    assert export_text("Northwind Outfitters") == "Northwind Outfitters"  # no slots: nothing replaced


def test_business_values_become_their_placeholders_again():
    text = "Northwind Outfitters will call you at +1 555 0100."
    assert export_text(text, placeholders_for=SLOTS) == (
        "{{Company Name}} will call you at {{Customer Support Phone Number}}."
    )


def test_only_whole_words_are_replaced_and_existing_placeholders_are_kept():
    text = "Also, Al: your order {{Order Number}} from {{Company Name}} ships today."
    assert export_text(text, placeholders_for=SLOTS) == (
        "Also, {{Customer Name}}: your order {{Order Number}} from {{Company Name}} ships today."
    )


def test_longer_values_win_over_their_prefixes():
    slots = {"Company Name": "Northwind", "Website URL": "Northwind Outfitters Ltd"}
    assert export_text("Northwind Outfitters Ltd and Northwind", placeholders_for=slots) == (
        "{{Website URL}} and {{Company Name}}"
    )


def test_empty_values_are_ignored():
    assert export_text("Call us", placeholders_for={"Customer Name": "", "Company Name": " "}) == "Call us"


def test_personal_data_never_leaves_whatever_the_storage_setting():
    text = "Card 4111 1111 1111 1111, mail jo@example.com, call +44 20 7946 0958"
    assert export_text(text) == "Card [card], mail [email], call [phone]"


def test_the_shops_own_contact_details_are_kept_or_become_placeholders():
    assert export_text("Call +1 555 0100 or +44 20 7946 0958", keep=["+1 555 0100"]) == (
        "Call +1 555 0100 or [phone]"
    )
    assert export_text("Call +1 555 0100, card 4111111111111111", placeholders_for=SLOTS) == (
        "Call {{Customer Support Phone Number}}, card [card]"
    )
