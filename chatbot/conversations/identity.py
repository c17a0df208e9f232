"""The customer's identity: a signed, HttpOnly, SameSite=Lax cookie holding the Customer's public id.

The page views set it (creating an anonymous Customer on the first visit; for a signed-in user, the
login's Customer); the websocket reads it from the handshake's cookies. Signing (Django's TimestampSigner
with its own salt) means a browser cannot claim another customer's id.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from chatbot.conversations.models import Customer
from chatbot.customers import services as customer_services

_SALT = "chatbot.conversations.customer"


def sign_customer(customer: Customer) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(str(customer.public_id))


def customer_public_id_from_cookie(value: str | None) -> uuid.UUID | None:
    """The public id in a cookie value, or None when it is missing, tampered with or expired."""
    if not value:
        return None
    try:
        raw = signing.TimestampSigner(salt=_SALT).unsign(
            value, max_age=settings.CHATBOT_CUSTOMER_COOKIE_MAX_AGE
        )
        return uuid.UUID(raw)
    except (signing.BadSignature, ValueError):
        return None


def customer_from_cookies(cookies: dict[str, str]) -> Customer | None:
    public_id = customer_public_id_from_cookie(cookies.get(settings.CHATBOT_CUSTOMER_COOKIE))
    if public_id is None:
        return None
    return Customer.objects.filter(public_id=public_id).first()


def get_or_create_customer(request: HttpRequest) -> tuple[Customer, bool]:
    """The customer of a page request, and whether it is another than the cookie named.

    Signed in: the login's customer, into which this browser's anonymous one is merged (docs/
    personalization.md). Not signed in: the cookie's customer, unless that one belongs to a login (its
    owner signed out, or someone else uses the browser): then, as without a valid cookie, a new anonymous one.
    """
    customer = customer_from_cookies(request.COOKIES)
    if request.user.is_authenticated:
        chosen = customer_services.do_attach_to_account(browser_customer=customer, user=request.user)
        return chosen, customer is None or chosen.pk != customer.pk
    if customer is None or customer.user_id is not None:
        return Customer.objects.create(), True
    return customer, False


def set_customer_cookie(response: HttpResponse, *, request: HttpRequest, customer: Customer) -> None:
    """(Re)issue the cookie, so an active customer's identity never expires."""
    response.set_cookie(
        settings.CHATBOT_CUSTOMER_COOKIE,
        sign_customer(customer),
        max_age=settings.CHATBOT_CUSTOMER_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
