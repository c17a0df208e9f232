"""On login, the browser's anonymous conversations become the account's (services.do_attach_to_account).

Any login counts: the customer sign-in page, the staff console's, the admin's. The identity cookie is put
right by the next chat page the browser loads (chatbot.conversations.identity); a chat socket still open
with the old cookie is closed with 4401 when it reconnects, and the page then fetches a fresh one.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from chatbot.conversations import identity
from chatbot.customers import services


@receiver(user_logged_in, dispatch_uid="customers.attach_browser_to_account")
def attach_browser_to_account(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None:  # a login without a request (a test client's force_login, a script)
        return
    browser_customer = identity.customer_from_cookies(request.COOKIES)
    if browser_customer is not None:
        services.do_attach_to_account(browser_customer=browser_customer, user=user)
