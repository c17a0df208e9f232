"""What the bot knows beyond the conversation itself: the business it speaks for, the shop's orders (read by
the built-in customer data provider) and what customers told it earlier (slot memory).

Orders hang off a Customer and remembered slots off a Conversation, both with on_delete=CASCADE, so the
privacy app's export, erasure and retention cover them without knowing this app (docs/privacy.md).
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from chatbot.conversations.models import Conversation, Customer


class BusinessProfile(models.Model):
    """The admin's business details (one row, pk 1). An empty field falls back to the environment's value
    (CHATBOT_COMPANY_NAME and the others); business.business_profile() merges the two and is the only
    reader."""

    company_name = models.CharField(
        max_length=100, blank=True, help_text="The shop's name, as replies say it."
    )
    website_url = models.URLField(blank=True, help_text="The shop's website, e.g. https://shop.example.")
    support_phone = models.CharField(max_length=40, blank=True, help_text="The support phone number.")
    support_email = models.EmailField(blank=True, help_text="The support e-mail address.")
    support_hours = models.CharField(
        max_length=200,
        blank=True,
        help_text='As a sentence reads it, e.g. "Monday to Friday, 9:00 to 17:00".',
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "business profile"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="business_profile_singleton")]

    def __str__(self) -> str:
        return "Business profile"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)


# Letters, digits and dashes, as customers type them ("NW-48213"): what a reply can quote and a message name.
ORDER_NUMBER = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$",
    "Use 3 to 40 letters, digits and dashes, starting with a letter or digit.",
)


class Order(models.Model):
    """An order of the shop, as the built-in customer data provider reports it to the bot."""

    class Status(models.TextChoices):
        # The labels complete "Your order NW-48213 is currently …", which is how the replies use them.
        PROCESSING = "processing", "being prepared"
        PACKED = "packed", "packed and waiting for the carrier"
        SHIPPED = "shipped", "in transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "out for delivery"
        DELIVERED = "delivered", "delivered"
        CANCELLED = "cancelled", "cancelled"
        RETURNED = "returned", "returned"

    number = models.CharField(max_length=40, validators=[ORDER_NUMBER], help_text="E.g. NW-48213.")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.PROCESSING)
    placed = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=200, blank=True, help_text="What was ordered, for staff.")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed", "-id"]
        indexes = [models.Index(fields=["customer", "-placed"], name="order_customer_placed")]
        constraints = [
            # Customers type order numbers in any case: "nw-48213" names the same order.
            models.UniqueConstraint(Upper("number"), name="order_number_unique_any_case"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number} ({self.get_status_display()})"


class RememberedSlot(models.Model):
    """A value the customer gave in a conversation (an order number, an invoice number, an e-mail address),
    kept to fill the placeholders of later replies; the newest one per slot and conversation.

    Only values the transcript policy keeps are stored (slot_memory.py): with e-mail addresses masked in
    transcripts (CHATBOT_REDACT_TRANSCRIPTS), no address is remembered either.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="remembered_slots")
    # A canonical slot key of inference/placeholders.py: order_number, invoice_number, customer_email.
    slot = models.CharField(max_length=40)
    value = models.CharField(max_length=254)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "slot"], name="one_remembered_value_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.slot} = {self.value}"
