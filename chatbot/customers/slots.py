"""The values a reply's {{placeholders}} are filled with; inference/placeholders.py does the filling.

From the least to the most specific source, each overriding the one before:

1. the business profile (the admin's, else the settings): company name, website, support contacts;
2. the customer's profile from the customer data provider: name, e-mail address;
3. slot memory: what the customer gave in their earlier conversations, then in this one;
4. the order in question, from the provider's list of the customer's recent orders: its number and status.

Serving then adds what it finds in the dialogue it is given (an order number typed in the last turns),
which wins over all of these; `order_in_question` follows the same rule, so the status always belongs to
the number the reply shows. A placeholder without a value becomes a natural phrase, never `{{...}}`.
"""

import re
from collections.abc import Sequence

from chatbot.conversations.models import Conversation, Customer
from chatbot.customers import providers, slot_memory
from chatbot.customers.business import business_profile
from chatbot.customers.providers import OrderFacts
from chatbot.customers.slot_memory import CustomerTurn
from inference.placeholders import extract_entities


def business_slots(*, customer: Customer) -> dict[str, str]:
    """The values that do not depend on the conversation: the business profile and the customer's name as
    stored. Transcript review uses them to put the placeholders back into corrected replies."""
    slots = business_profile().slots()
    if customer.name:
        slots["Customer Name"] = customer.name
    return slots


def reply_slots(*, conversation: Conversation, dialogue: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Every value for the bot's reply to the newest turn of `dialogue` ((sender, text) pairs, the newest
    customer message as typed) in `conversation`."""
    customer = conversation.customer
    slots = business_profile().slots()
    profile = providers.customer_profile(customer)
    for name, value in (("Customer Name", profile.name), ("Customer Email", profile.email)):
        if value:
            slots[name] = value
    slots.update(slot_memory.remembered_slots(conversation=conversation))
    number, order = order_in_question(
        orders=providers.recent_orders(customer),
        customer_texts=[text for sender, text in dialogue if sender == "customer"],
        remembered=slots.get("Order Number"),
    )
    if number:
        slots["Order Number"] = number
    if order is not None:
        slots["Order Status"] = order.status
    return slots


def order_in_question(
    *, orders: Sequence[OrderFacts], customer_texts: Sequence[str], remembered: str | None
) -> tuple[str | None, OrderFacts | None]:
    """The order number a reply talks about, and that order when it is one of `orders` (the customer's own;
    a number that is not theirs gets no status, so nobody learns about another customer's order).

    The number is, in this order: one typed as "order …" in the customer's turns (serving fills it from
    there whatever the slots say); one of the customer's order numbers written bare ("NW-48213"), newest
    turn first; the remembered one; else the customer's most recent order.
    """
    number = (
        extract_entities([CustomerTurn(text) for text in customer_texts]).get("order_number")
        or _newest_mention(orders, customer_texts)
        or remembered
    )
    if not number:
        return (orders[0].number, orders[0]) if orders else (None, None)
    wanted = number.casefold()
    return number, next((order for order in orders if order.number.casefold() == wanted), None)


def _newest_mention(orders: Sequence[OrderFacts], customer_texts: Sequence[str]) -> str | None:
    if not orders:
        return None
    # Whole numbers only: "NW-4821" must not match inside "NW-48213".
    numbers = "|".join(re.escape(order.number) for order in orders)
    pattern = re.compile(rf"(?<![\w-])({numbers})(?![\w-])", re.IGNORECASE)
    for text in reversed(customer_texts):
        mentioned = pattern.findall(text)
        if mentioned:
            return mentioned[-1]
    return None
