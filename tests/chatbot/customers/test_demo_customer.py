"""`manage.py ensure_demo_customer` (scripts/run.sh): Sam and his orders, once, and only with DEBUG."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from chatbot.conversations.models import Customer
from chatbot.customers.models import Order
from chatbot.customers.providers import OrderTableProvider

pytestmark = pytest.mark.django_db


def test_the_demo_customer_can_sign_in_and_has_orders(settings, capsys):
    settings.DEBUG = True
    call_command("ensure_demo_customer")

    user = authenticate(username="sam", password="northwind-demo")
    customer = Customer.objects.get(user=user)
    assert [(order.number, order.status) for order in OrderTableProvider().orders(customer)] == [
        ("NW-48213", "in transit"),
        ("NW-39920", "delivered"),
        ("NW-51877", "cancelled"),
    ]
    assert "sign in at /account/login/ as sam with password northwind-demo (3 demo orders added)" in (
        capsys.readouterr().out
    )


def test_running_it_again_changes_nothing(settings, django_user_model):
    settings.DEBUG = True
    call_command("ensure_demo_customer")
    user = django_user_model.objects.get(username="sam")
    user.set_password("changed-by-sam")
    user.save()
    Order.objects.filter(number="NW-48213").update(status=Order.Status.DELIVERED)

    call_command("ensure_demo_customer")

    assert Customer.objects.count() == 1 and Order.objects.count() == 3
    assert Order.objects.get(number="NW-48213").status == "delivered"
    assert authenticate(username="sam", password="changed-by-sam") is not None


def test_without_debug_there_is_no_demo_account(settings, django_user_model, capsys):
    settings.DEBUG = False
    call_command("ensure_demo_customer")

    assert not django_user_model.objects.exists() and not Order.objects.exists()
    assert "DEBUG is off" in capsys.readouterr().out
