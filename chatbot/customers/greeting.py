"""The chat's welcome line, by name for a customer the customer data provider knows."""

from chatbot.conversations.models import Customer
from chatbot.customers import providers


def greeting(customer: Customer) -> str:
    """ "Hi Sam Walker! How can we help?", or "Hi! How can we help?" for someone unknown."""
    name = providers.customer_profile(customer).name
    return f"Hi {name}! How can we help?" if name else "Hi! How can we help?"
