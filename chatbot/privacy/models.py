"""What the privacy app stores: which conversations retention anonymised, and who may use subject rights.

Conversations themselves stay in chatbot.conversations; nothing here copies their content.
"""

from django.db import models
from django.utils import timezone

from chatbot.conversations.models import Conversation, Customer


class AnonymisedConversation(models.Model):
    """A conversation retention anonymised (CHATBOT_RETENTION_ACTION=anonymise): its words and its link
    to the customer are gone, its numbers (times, intents, confidences, ratings) stay for analytics.
    Retention skips it from then on; exports for training should too."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="anonymised"
    )
    anonymised = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Conversation {self.conversation_id} anonymised {self.anonymised:%Y-%m-%d}"


class CustomerData(Customer):
    """Customers, seen as data subjects: holds the permissions of subject rights (no table of its own).

    `privacy.export_customer_data` and `privacy.erase_customer_data`: superusers have them; grant them
    to the people who answer access and erasure requests. The "Support staff" group has neither.
    """

    class Meta:
        proxy = True
        default_permissions = ()
        permissions = [
            ("export_customer_data", "Can export everything stored about a customer"),
            ("erase_customer_data", "Can erase a customer and everything stored about them"),
        ]
        verbose_name = verbose_name_plural = "customer data"
