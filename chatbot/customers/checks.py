"""`manage.py check`, `migrate` and `runserver` refuse a CHATBOT_CUSTOMER_DATA_PROVIDER naming no provider."""

from typing import Any

from django.conf import settings
from django.core import checks

from chatbot.customers import providers


@checks.register()
def check_customer_data_provider(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    path = settings.CHATBOT_CUSTOMER_DATA_PROVIDER
    try:
        providers.get_provider()
    except Exception as error:  # an import, a class that is not a provider, a constructor that fails
        return [
            checks.Error(
                f"CHATBOT_CUSTOMER_DATA_PROVIDER={path!r} cannot be used: {error}",
                hint="A dotted path to a subclass of chatbot.customers.providers.CustomerDataProvider.",
                id="customers.E001",
            )
        ]
    return []
