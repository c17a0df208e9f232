"""Hooks for other apps (the support app escalates on them), sent inside the transaction that stored
the message, so a receiver's changes commit or roll back with it.

A receiver may change the conversation's status (hand it to staff): the sender re-reads the status
after sending, and the bot answers only while it is still `bot`.
"""

from django.dispatch import Signal

# A new customer message was stored (not a resend). Argument: message.
customer_message_stored = Signal()

# The bot's reply was stored. Argument: message (the bot's).
bot_reply_stored = Signal()
