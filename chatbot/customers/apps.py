from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "chatbot.customers"
    label = "customers"
    verbose_name = "Customers and the business"

    def ready(self) -> None:
        # A login merges the browser's anonymous conversations into the account's customer; the setting
        # naming the customer data provider is checked at start-up (`manage.py check`).
        from chatbot.customers import checks, receivers  # noqa: F401
