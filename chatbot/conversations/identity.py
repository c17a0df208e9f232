"""The customer's identity: a signed, HttpOnly, SameSite=Lax cookie holding the Customer's public id.

The page views set it (creating an anonymous Customer on the first visit); the websocket reads it from
the handshake's cookies. Signing (Django's TimestampSigner with its own salt) means a browser cannot
claim another customer's id.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from chatbot.conversations.models import Customer

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
    """The customer of a page request; a new anonymous one (True) when the cookie is absent or invalid."""
    customer = customer_from_cookies(request.COOKIES)
    created = customer is None
    if customer is None:
        customer = Customer.objects.create()
    if request.user.is_authenticated and customer.user_id is None:
        customer.user = request.user
        customer.save(update_fields=["user"])
    return customer, created


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
