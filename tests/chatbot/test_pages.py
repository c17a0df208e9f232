"""The chat pages: identity cookie, chat configuration, framing rules, liveness."""

import json
import re

import pytest

from chatbot.conversations.identity import customer_public_id_from_cookie, sign_customer
from chatbot.conversations.models import Customer

pytestmark = pytest.mark.django_db


def chat_config_of(response) -> dict:
    match = re.search(r'<script id="chat-config" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, "the page must carry the chat configuration"
    return json.loads(match.group(1))


@pytest.mark.parametrize("url", ["/", "/embed/"])
def test_a_first_visit_creates_an_anonymous_customer_and_sets_a_signed_cookie(client, url):
    response = client.get(url)
    assert response.status_code == 200
    cookie = response.cookies["chatbot_customer"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    customer = Customer.objects.get()
    assert customer_public_id_from_cookie(cookie.value) == customer.public_id
    assert (customer.name, customer.email, customer.user) == ("", "", None)


def test_a_returning_visitor_keeps_their_identity(client, customer):
    client.cookies["chatbot_customer"] = sign_customer(customer)
    response = client.get("/")
    assert customer_public_id_from_cookie(response.cookies["chatbot_customer"].value) == customer.public_id
    assert Customer.objects.count() == 1


def test_a_tampered_cookie_gets_a_new_identity(client, customer):
    client.cookies["chatbot_customer"] = f"{customer.public_id}:made-up-signature"
    response = client.get("/")
    new_id = customer_public_id_from_cookie(response.cookies["chatbot_customer"].value)
    assert new_id is not None and new_id != customer.public_id
    assert Customer.objects.count() == 2


def test_a_signed_in_user_is_linked_to_their_customer(client, django_user_model):
    user = django_user_model.objects.create_user(username="carol", password="x")
    client.force_login(user)
    client.get("/")
    assert Customer.objects.get().user == user


@pytest.mark.parametrize(
    ("url", "template"),
    [("/", "chat/page.html"), ("/embed/", "chat/embed.html"), ("/widget/demo/", "chat/widget_demo.html")],
)
def test_each_page_carries_the_chat_configuration(client, settings, url, template):
    settings.CHATBOT_MAX_MESSAGE_CHARS = 500
    response = client.get(url)
    assert template in [t.name for t in response.templates]
    assert chat_config_of(response) == {
        "wsPath": "/ws/chat/",
        "protocol": 1,
        "maxMessageChars": 500,
        "replyTimeoutSeconds": settings.CHATBOT_REPLY_TIMEOUT_SECONDS,
        "companyName": "Northwind Outfitters",
        "talkToPerson": True,
        "maxCsatCommentChars": 1000,
    }


def test_the_talk_to_a_person_button_follows_the_admins_switch(client):
    from chatbot.support.models import SupportSettings

    SupportSettings.objects.create(escalate_on_request=False)
    assert chat_config_of(client.get("/"))["talkToPerson"] is False


def test_only_the_embed_page_may_be_framed(client):
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    assert client.get("/widget/demo/").headers["X-Frame-Options"] == "DENY"
    assert "X-Frame-Options" not in client.get("/embed/").headers


def test_pages_answer_only_get(client):
    assert client.post("/").status_code == 405


def test_healthz_is_plain_liveness(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.text, response.headers["Content-Type"]) == (
        200,
        "ok",
        "text/plain",
    )
