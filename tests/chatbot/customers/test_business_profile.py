"""The business profile (chatbot/customers/business.py): the settings as defaults, the admin's row over
them field by field; what replies, the chat page and the masking of transcripts use."""

import pytest

from chatbot.conversations.models import Conversation
from chatbot.customers.business import business_profile
from chatbot.customers.models import BusinessProfile
from chatbot.customers.slots import business_slots, reply_slots
from chatbot.privacy import masking
from tests.chatbot.support.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_without_an_admin_profile_the_settings_apply(settings):
    settings.CHATBOT_COMPANY_NAME = "Trail Co"
    profile = business_profile()

    assert profile.company_name == "Trail Co"
    assert profile.support_phone == settings.CHATBOT_SUPPORT_PHONE
    assert profile.website_url == settings.CHATBOT_COMPANY_WEBSITE


def test_each_field_the_admin_fills_in_overrides_its_setting_and_an_empty_one_keeps_it(settings):
    BusinessProfile.objects.create(
        company_name="Summit Gear", support_hours="  ", support_phone="+44 20 7946 0000"
    )
    profile = business_profile()

    assert (profile.company_name, profile.support_phone) == ("Summit Gear", "+44 20 7946 0000")
    assert profile.support_hours == settings.CHATBOT_SUPPORT_HOURS
    assert profile.support_email == settings.CHATBOT_SUPPORT_EMAIL


def test_replies_are_filled_from_the_admins_profile(customer):
    BusinessProfile.objects.create(website_url="https://summit.example", support_email="help@summit.example")
    conversation = Conversation.objects.create(customer=customer)
    slots = reply_slots(conversation=conversation, dialogue=[("customer", "hi")])

    assert slots["Website URL"] == "https://summit.example"
    assert slots["Customer Support Email"] == "help@summit.example"
    assert business_slots(customer=customer)["Customer Support Email"] == "help@summit.example"


def test_the_chat_page_shows_the_admins_company_name(client):
    BusinessProfile.objects.create(company_name="Summit <Gear>")
    response = client.get("/")

    assert "Summit &lt;Gear&gt; support" in response.text
    assert "Summit <Gear>" not in response.text


def test_transcripts_keep_the_admins_support_contacts_unmasked(settings):
    settings.CHATBOT_REDACT_TRANSCRIPTS = ["email", "phone"]
    BusinessProfile.objects.create(support_phone="+44 20 7946 0000", support_email="help@summit.example")
    text = "Call +44 20 7946 0000 or write to help@summit.example, not to kim@example.org."

    assert masking.public_contact_details() == ["+44 20 7946 0000", "help@summit.example"]
    assert (
        masking.mask_for_storage(text)
        == "Call +44 20 7946 0000 or write to help@summit.example, not to [email]."
    )


def test_the_admin_opens_the_one_profile_and_saves_it(client, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.login(username="root", password=PASSWORD)

    listing = client.get("/admin/customers/businessprofile/")
    assert listing.status_code == 302 and listing.url.endswith("/admin/customers/businessprofile/1/change/")
    form = client.get(listing.url)
    assert "Empty: &#x27;Northwind Outfitters&#x27; (CHATBOT_COMPANY_NAME)." in form.text

    saved = client.post(
        listing.url,
        {
            "company_name": "Summit Gear",
            "website_url": "summit.example",
            "support_phone": "",
            "support_email": "not an address",
            "support_hours": "",
        },
    )
    assert saved.status_code == 200, "an invalid address is refused, nothing is saved"
    assert business_profile().company_name == "Northwind Outfitters"

    client.post(
        listing.url,
        {
            "company_name": "Summit Gear",
            "website_url": "summit.example",
            "support_phone": "",
            "support_email": "help@summit.example",
            "support_hours": "",
        },
    )
    assert business_profile().company_name == "Summit Gear"
    assert business_profile().website_url == "https://summit.example"
    assert BusinessProfile.objects.count() == 1


def test_a_settings_value_is_shown_as_text_in_the_admin(client, django_user_model, settings):
    settings.CHATBOT_COMPANY_NAME = "<b>Trail</b>"
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.login(username="root", password=PASSWORD)
    form = client.get(client.get("/admin/customers/businessprofile/").url)

    assert "&#x27;&lt;b&gt;Trail&lt;/b&gt;&#x27; (CHATBOT_COMPANY_NAME)" in form.text
    assert "<b>Trail</b>" not in form.text
