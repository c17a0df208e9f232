"""Identity and logins (chatbot/customers/services.py, chatbot/conversations/identity.py): signing in
merges the browser's anonymous conversations into the account's customer, keeping at most one open
conversation; signing out leaves the account's conversations behind; another login's are never merged."""

import uuid

import pytest
from django.conf import settings

from chatbot.conversations.identity import customer_public_id_from_cookie, sign_customer
from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.customers import services
from chatbot.customers.models import Order, RememberedSlot
from chatbot.customers.slot_memory import do_remember_slots
from tests.chatbot.customers.factories import PASSWORD, make_known_customer

pytestmark = pytest.mark.django_db

COOKIE = settings.CHATBOT_CUSTOMER_COOKIE


def chat_in(customer: Customer, text: str, *, status: str = Conversation.Status.BOT) -> Conversation:
    conversation = Conversation.objects.create(customer=customer, status=status)
    Message.objects.create(conversation=conversation, sender="customer", text=text, client_id=uuid.uuid4())
    return conversation


def browser_with(client, customer: Customer) -> None:
    client.cookies[COOKIE] = sign_customer(customer)


def sign_in(client, username: str) -> None:
    response = client.post("/account/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content


def cookie_customer(response) -> Customer:
    return Customer.objects.get(public_id=customer_public_id_from_cookie(response.cookies[COOKIE].value))


def test_signing_in_moves_the_anonymous_browsers_conversations_to_the_account(client, sam):
    anonymous = Customer.objects.create()
    earlier = chat_in(anonymous, "my tent pole broke", status=Conversation.Status.CLOSED)
    current = chat_in(anonymous, "order NW-48213 is late")
    do_remember_slots(conversation=current, typed_text="order NW-48213 is late")
    browser_with(client, anonymous)

    sign_in(client, "sam")

    assert not Customer.objects.filter(pk=anonymous.pk).exists()
    assert set(sam.conversations.all()) == {earlier, current}
    assert RememberedSlot.objects.get().conversation.customer == sam
    page = client.get("/")
    assert cookie_customer(page) == sam
    assert "Hi Sam Walker! How can we help?" in page.text


def test_the_first_chat_page_after_signing_in_elsewhere_merges_too(client, sam):
    anonymous = Customer.objects.create()
    chat_in(anonymous, "hello")
    client.force_login(sam.user)  # a login without the sign-in page (no login signal with a request)
    browser_with(client, anonymous)

    assert cookie_customer(client.get("/")) == sam
    assert sam.conversations.count() == 1 and not Customer.objects.filter(pk=anonymous.pk).exists()


def test_a_new_login_takes_the_browsers_customer_as_its_own(client, django_user_model):
    django_user_model.objects.create_user("lee", password=PASSWORD)
    anonymous = Customer.objects.create()
    conversation = chat_in(anonymous, "hello")
    browser_with(client, anonymous)

    sign_in(client, "lee")

    anonymous.refresh_from_db()
    assert anonymous.user.username == "lee" and conversation.customer == anonymous
    assert cookie_customer(client.get("/")) == anonymous


def test_both_open_conversations_with_the_bot_the_less_recent_one_is_closed(client, sam):
    sams_open = chat_in(sam, "an older question")
    anonymous = Customer.objects.create()
    newer = chat_in(anonymous, "a newer question")
    browser_with(client, anonymous)

    sign_in(client, "sam")

    sams_open.refresh_from_db()
    newer.refresh_from_db()
    assert (sams_open.status, newer.status) == ("closed", "bot")
    assert sam.conversations.exclude(status="closed").get() == newer


def test_a_conversation_with_staff_stays_open_and_the_bots_closes(client, sam):
    sams_open = chat_in(sam, "please, a person", status=Conversation.Status.WITH_STAFF)
    anonymous = Customer.objects.create()
    newer = chat_in(anonymous, "a newer question")
    browser_with(client, anonymous)

    sign_in(client, "sam")

    newer.refresh_from_db()
    assert newer.status == "closed" and newer.customer == sam
    assert sam.conversations.exclude(status="closed").get() == sams_open


def test_two_conversations_with_staff_wait_to_be_merged(client, sam):
    sams_open = chat_in(sam, "a person please", status=Conversation.Status.WAITING_FOR_STAFF)
    anonymous = Customer.objects.create()
    theirs = chat_in(anonymous, "another person please", status=Conversation.Status.WITH_STAFF)
    browser_with(client, anonymous)

    sign_in(client, "sam")
    anonymous.refresh_from_db()
    assert anonymous.user == sam.user and theirs.customer == anonymous
    assert cookie_customer(client.get("/")) == anonymous  # this browser keeps its conversation with staff

    Conversation.objects.filter(pk=theirs.pk).update(status=Conversation.Status.CLOSED)
    assert cookie_customer(client.get("/")) == sam  # the next visit merges
    assert set(sam.conversations.all()) == {sams_open, theirs}


def test_another_logins_conversations_are_never_merged(client, sam):
    kim = make_known_customer("kim", name="Kim Park")
    kims = chat_in(kim, "kim's private question")
    browser_with(client, kim)  # Kim used this browser, then Sam signs in on it

    sign_in(client, "sam")

    kims.refresh_from_db()
    assert kims.customer == kim
    assert cookie_customer(client.get("/")) == sam


def test_signing_out_forgets_the_browsers_identity(client, sam):
    chat_in(sam, "my private question")
    sign_in(client, "sam")
    client.get("/")

    response = client.post("/account/logout/")

    assert response.status_code == 302 and response.cookies[COOKIE].value == ""
    page = client.get("/")
    stranger = cookie_customer(page)
    assert stranger != sam and stranger.user is None and stranger.conversations.count() == 0
    assert "Hi! How can we help?" in page.text


def test_a_signed_in_accounts_cookie_is_not_honoured_once_signed_out(client, sam):
    browser_with(client, sam)  # an old cookie of Sam's customer, nobody signed in

    assert cookie_customer(client.get("/")) != sam


def test_the_merge_moves_orders_and_keeps_the_accounts_profile(sam):
    other_browser = Customer.objects.create(user=sam.user, name="S.", email="sam.other@example.com")
    Order.objects.create(customer=other_browser, number="NW-10001")

    services.do_merge_customers(source=other_browser, into=sam)

    sam.refresh_from_db()
    assert (sam.name, sam.email) == ("Sam Walker", "sam@example.com")
    assert sam.orders.filter(number="NW-10001").exists()
    assert not Customer.objects.filter(pk=other_browser.pk).exists()


def test_the_merge_fills_a_profile_the_account_lacks(django_user_model):
    user = django_user_model.objects.create_user("lee", password=PASSWORD)
    account = Customer.objects.create(user=user)
    browser = Customer.objects.create(name="Lee", email="lee@example.com")

    services.do_merge_customers(source=browser, into=account)

    account.refresh_from_db()
    assert (account.name, account.email) == ("Lee", "lee@example.com")


def test_merging_a_customer_merged_already_does_nothing(sam):
    gone = Customer.objects.create()
    services.do_merge_customers(source=gone, into=sam)
    services.do_merge_customers(source=gone, into=sam)

    assert not Customer.objects.filter(pk=gone.pk).exists()


def test_a_wrong_password_merges_nothing_and_says_why(client, sam):
    anonymous = Customer.objects.create()
    chat_in(anonymous, "hello")
    browser_with(client, anonymous)

    response = client.post("/account/login/", {"username": "sam", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert anonymous.conversations.count() == 1 and sam.conversations.count() == 0


def test_the_sockets_of_a_conversation_closed_by_signing_in_are_told(
    client, sam, monkeypatch, django_capture_on_commit_callbacks
):
    from chatbot.conversations import events

    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "send_to_group", lambda group, event: sent.append((group, event)))
    older = chat_in(sam, "an older question")
    anonymous = Customer.objects.create()
    chat_in(anonymous, "a newer question")
    browser_with(client, anonymous)

    with django_capture_on_commit_callbacks(execute=True):
        sign_in(client, "sam")

    assert sent == [
        (
            older.group_name,
            {
                "type": "chat.status",
                "conversation": {"id": str(older.public_id), "status": "closed"},
                "detail": services.CLOSED_BY_MERGE_TEXT,
                "support": None,
            },
        )
    ]
