"""The customer's chat socket, `/ws/chat/` (protocol v1, docs/protocol.md).

Thin: it parses frames (protocol.py), calls services in database_sync_to_async helpers, and turns
group events into frames. Client mistakes are raised once as ProtocolError and answered in `receive`.
"""

import logging
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from chatbot.conversations import identity, protocol, selectors, services
from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.conversations.protocol import ErrorCode, ProtocolError
from chatbot.customers import selectors as customer_selectors
from chatbot.customers import services as customer_services
from chatbot.support import customer_status
from chatbot.support import selectors as support_selectors
from chatbot.support import services as support_services

logger = logging.getLogger(__name__)

# Close code for a handshake without a valid identity cookie (4000-4999: application codes).
CLOSE_NO_IDENTITY = 4401
# RFC 6455's "Try Again Later": the database is unreachable; the page reconnects with its backoff.
CLOSE_TRY_AGAIN_LATER = 1013


class ChatConsumer(AsyncJsonWebsocketConsumer):
    customer: Customer | None = None
    group: str | None = None

    async def connect(self) -> None:
        # Accepted before a refusal so that the browser sees our close code: a handshake refused
        # outright reaches it as 1006, indistinguishable from a network failure.
        await self.accept()
        try:
            self.customer = await database_sync_to_async(identity.customer_from_cookies)(
                self.scope.get("cookies", {})
            )
            if self.customer is None:
                # The page views set the cookie; a socket without one has no conversation to serve.
                await self.close(code=CLOSE_NO_IDENTITY)
                return
            await self.send_history()
        except DatabaseError as error:
            # Without the database there is no customer and no history to serve: say why, and close
            # with "try again later" rather than crash (the page reconnects with its backoff).
            await self.send_database_error(error, client_id=None)
            await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        frame = None
        try:
            if text_data is None:
                raise ProtocolError(
                    ErrorCode.BINARY_NOT_SUPPORTED, "Binary frames are not supported; send JSON text."
                )
            content = protocol.decode_text_frame(text_data)
            frame = protocol.parse_client_frame(content, max_message_chars=settings.CHATBOT_MAX_MESSAGE_CHARS)
            await self.dispatch_frame(frame)
        except ProtocolError as error:
            await self.send_json(
                protocol.error_frame(code=error.code, detail=error.detail, client_id=error.client_id)
            )
        except DatabaseError as error:
            # Each service is one transaction: the frame's message or change is stored whole or not at all.
            client_id = str(frame.client_id) if isinstance(frame, protocol.SendMessage) else None
            await self.send_database_error(error, client_id=client_id)

    async def send_database_error(self, error: DatabaseError, *, client_id: str | None) -> None:
        logger.warning("Chat socket: the database failed (%s: %s)", type(error).__name__, error)
        await self.send_json(
            protocol.error_frame(
                code=ErrorCode.TEMPORARILY_UNAVAILABLE,
                detail=protocol.TEMPORARILY_UNAVAILABLE_TEXT,
                client_id=client_id,
            )
        )

    async def dispatch_frame(self, frame: protocol.ClientFrame) -> None:
        match frame:
            case protocol.SendMessage():
                await self.receive_message(frame)
            case protocol.Typing():
                conversation = await database_sync_to_async(self.current_conversation)()
                if conversation is not None:
                    await database_sync_to_async(services.do_send_customer_typing)(
                        conversation=conversation, is_typing=frame.is_typing
                    )
            case protocol.Ping():
                await self.send_json(protocol.pong_frame())
            case protocol.RequestHistory():
                await self.send_history()
            case protocol.RequestStaff():
                conversation = await database_sync_to_async(services.do_open_conversation)(
                    customer=self.customer
                )
                # Join first: the status frame goes to the group right after commit.
                await self.join_conversation(conversation)
                await database_sync_to_async(support_services.do_request_staff)(conversation=conversation)
            case protocol.LeaveContact():
                await database_sync_to_async(support_services.do_leave_contact)(
                    customer=self.customer, email=frame.email, message=frame.message
                )
            case protocol.RateConversation():
                rating = await database_sync_to_async(support_services.do_rate_conversation)(
                    customer=self.customer,
                    conversation_id=frame.conversation_id,
                    rating=frame.rating,
                    comment=frame.comment,
                )
                await self.send_json(
                    protocol.csat_recorded_frame(
                        conversation_id=str(frame.conversation_id), rating=rating.rating
                    )
                )

            case protocol.VoteOnReply():
                message = await database_sync_to_async(services.do_vote_on_reply)(
                    customer=self.customer, message_id=frame.message_id, vote=frame.vote
                )
                if self.group != message.conversation.group_name:
                    # An earlier conversation still on screen: its group no longer includes this socket.
                    await self.send_json(
                        protocol.feedback_recorded_frame(message_id=str(frame.message_id), vote=frame.vote)
                    )

            # Earlier conversations and a new one (docs/personalization.md)
            case protocol.ListConversations():
                rows = await database_sync_to_async(customer_selectors.customer_conversations)(
                    customer=self.customer
                )
                await self.send_json(protocol.conversations_frame(rows))
            case protocol.OpenTranscript():
                conversation, messages = await database_sync_to_async(self.load_transcript)(
                    frame.conversation_id
                )
                await self.send_json(protocol.transcript_frame(conversation=conversation, messages=messages))
            case protocol.StartNewConversation():
                # Out of the old conversation's group first: the "closed" status it gets is for the
                # customer's other tabs; this one is answered with the new conversation's history.
                await self.leave_conversation()
                try:
                    await database_sync_to_async(customer_services.do_start_new_conversation)(
                        customer=self.customer
                    )
                finally:
                    await self.send_history()

    async def receive_message(self, frame: protocol.SendMessage) -> None:
        resent, conversation = await database_sync_to_async(self.prepare_message)(frame.client_id)
        if resent is not None:
            await self.send_json(protocol.message_frame(protocol.message_payload(resent)))
            return
        # Join before storing: the acknowledgement is sent to the group right after commit.
        await self.join_conversation(conversation)
        await database_sync_to_async(services.do_receive_customer_message)(
            conversation=conversation, client_id=frame.client_id, text=frame.text
        )

    async def send_history(self) -> None:
        conversation, messages, pending, support, to_rate = await database_sync_to_async(self.load_history)()
        if conversation is not None:
            await self.join_conversation(conversation)
        await self.send_json(
            protocol.history_frame(
                conversation=conversation, messages=messages, pending_reply=pending, support=support
            )
        )
        if to_rate is not None:
            # Resolved by staff and not rated yet: ask again (the customer may have reloaded the page).
            await self.send_json(
                protocol.csat_request_frame(conversation_id=str(to_rate.public_id), staff_name=None)
            )

    async def leave_conversation(self) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def join_conversation(self, conversation: Conversation) -> None:
        if self.group == conversation.group_name:
            return
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        self.group = conversation.group_name
        await self.channel_layer.group_add(self.group, self.channel_name)

    # --- Database helpers (run in the sync thread) ---------------------------------------------------

    def current_conversation(self) -> Conversation | None:
        return selectors.open_conversation(customer=self.customer)

    def prepare_message(self, client_id: uuid.UUID) -> tuple[Message | None, Conversation | None]:
        resent = services.check_customer_message(customer=self.customer, client_id=client_id)
        if resent is not None:
            return resent, None
        return None, services.do_open_conversation(customer=self.customer)

    def load_transcript(self, conversation_id: uuid.UUID) -> tuple[Conversation, list[Message]]:
        conversation = customer_selectors.customer_conversation(
            customer=self.customer, public_id=conversation_id
        )
        if conversation is None:
            # Another customer's gets the same answer as none, so ids cannot be probed.
            raise ProtocolError(ErrorCode.UNKNOWN_CONVERSATION, "There is no such conversation of yours.")
        return conversation, selectors.conversation_messages(conversation=conversation)

    def load_history(
        self,
    ) -> tuple[
        Conversation | None, list[Message], uuid.UUID | None, dict[str, Any] | None, Conversation | None
    ]:
        conversation = selectors.open_conversation(customer=self.customer)
        if conversation is None:
            return None, [], None, None, support_selectors.conversation_to_rate(customer=self.customer)
        messages = selectors.conversation_messages(conversation=conversation)
        pending = selectors.pending_reply_client_id(conversation=conversation)
        return conversation, messages, pending, customer_status.support_state(conversation), None

    # --- Group events: each only formats a frame ------------------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json(protocol.message_frame(event["message"]))

    async def chat_token(self, event: dict[str, Any]) -> None:
        # Events from a worker of the previous release, during a rolling upgrade, have no attempt.
        attempt = event.get("attempt", "")
        await self.send_json(
            protocol.token_frame(reply_to=event["reply_to"], attempt=attempt, delta=event["delta"])
        )

    async def chat_typing(self, event: dict[str, Any]) -> None:
        await self.send_json(protocol.typing_frame(sender=event["sender"], is_typing=event["is_typing"]))

    async def chat_status(self, event: dict[str, Any]) -> None:
        await self.send_json(
            protocol.status_frame(
                conversation=event["conversation"], detail=event["detail"], support=event.get("support")
            )
        )

    async def chat_csat_request(self, event: dict[str, Any]) -> None:
        await self.send_json(
            protocol.csat_request_frame(conversation_id=event["conversation"], staff_name=event["staff_name"])
        )

    async def chat_feedback(self, event: dict[str, Any]) -> None:
        await self.send_json(
            protocol.feedback_recorded_frame(message_id=event["message_id"], vote=event["vote"])
        )

    async def chat_error(self, event: dict[str, Any]) -> None:
        await self.send_json(
            protocol.error_frame(code=event["code"], detail=event["detail"], client_id=event["client_id"])
        )

    async def customer_typing(self, event: dict[str, Any]) -> None:
        """The customer's own typing is for staff consoles; the customer's other tabs ignore it."""
