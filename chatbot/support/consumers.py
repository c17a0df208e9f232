"""The staff console's socket, `/ws/support/` (docs/protocol.md, "The staff socket").

Thin: `connect` authorises (an authenticated session of a support staff member, else close 4401/4403)
and joins the staff groups; `receive` parses a frame (protocol.py) and calls a service; group events
are turned into frames. Client mistakes and refused actions are raised once as ProtocolError and
answered with an `error` frame in `receive`. A database that fails is answered the way the customer
socket answers it (`temporarily_unavailable`; on connect, then close 1013 and the console reconnects).

A console watches the conversations it shows: the one open in it and the ones its user owns. For each,
it is in the customer's group (messages, typing, status) and in the staff-only group (notes, drafts).
"""

import logging
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from chatbot.conversations.consumers import CLOSE_TRY_AGAIN_LATER
from chatbot.conversations.models import Conversation
from chatbot.conversations.protocol import (
    TEMPORARILY_UNAVAILABLE_TEXT,
    ErrorCode,
    ProtocolError,
    decode_text_frame,
)
from chatbot.support import console_data as data
from chatbot.support import notify, presence, protocol, selectors, services, staff_services

# Close codes (4000-4999: application codes), as for the customer socket.
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_STAFF = 4403

logger = logging.getLogger(__name__)


class StaffConsumer(AsyncJsonWebsocketConsumer):
    user: Any = None
    authorised = False
    presence_status: str = presence.ONLINE
    viewing: Conversation | None = None

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.watched: set[str] = set()
        await self.accept()  # before refusing, so that the browser sees our close code
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        if not await database_sync_to_async(selectors.is_staff_member)(self.user):
            await self.close(code=CLOSE_NOT_STAFF)
            return
        self.authorised = True
        await self.channel_layer.group_add(notify.STAFF_GROUP, self.channel_name)
        await self.channel_layer.group_add(notify.staff_user_group(self.user.pk), self.channel_name)
        await self.send_json(await database_sync_to_async(data.console_snapshot)(user=self.user))
        await self.watch_owned()
        await self.record_presence()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Connecting, and the group events that reload a conversation, need the database too: when it
        fails, the console is told (and, connecting, closed to retry later) instead of losing its socket."""
        try:
            await super().dispatch(message)
        except DatabaseError as error:
            await self.send_database_error(error, conversation=None, client_id=None)
            if message["type"] == "websocket.connect":
                await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def disconnect(self, code: int) -> None:
        if not self.authorised:
            return
        for group in [notify.STAFF_GROUP, notify.staff_user_group(self.user.pk), *self.watched]:
            await self.channel_layer.group_discard(group, self.channel_name)
        try:
            await database_sync_to_async(staff_services.do_leave_console)(
                user=self.user, channel=self.channel_name
            )
        except DatabaseError as error:  # the presence entry expires by itself
            logger.warning("Staff socket: could not announce leaving (%s: %s)", type(error).__name__, error)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        conversation_id = client_id = None
        try:
            if text_data is None:
                raise ProtocolError(
                    ErrorCode.BINARY_NOT_SUPPORTED, "Binary frames are not supported; send JSON text."
                )
            content = decode_text_frame(text_data)
            conversation_id = (
                content.get("conversation") if isinstance(content.get("conversation"), str) else None
            )
            frame = protocol.parse_staff_frame(content, max_message_chars=settings.CHATBOT_MAX_MESSAGE_CHARS)
            client_id = str(frame.client_id) if isinstance(frame, protocol.StaffMessage) else None
            await self.dispatch_frame(frame)
        except ProtocolError as error:
            await self.send_json(
                protocol.staff_error_frame(
                    code=error.code,
                    detail=error.detail,
                    conversation=conversation_id,
                    client_id=error.client_id or client_id,
                )
            )
        except DatabaseError as error:
            # Each service is one transaction: nothing of the frame's action is stored.
            await self.send_database_error(error, conversation=conversation_id, client_id=client_id)

    async def send_database_error(
        self, error: DatabaseError, *, conversation: str | None, client_id: str | None
    ) -> None:
        logger.warning("Staff socket: the database failed (%s: %s)", type(error).__name__, error)
        await self.send_json(
            protocol.staff_error_frame(
                code=ErrorCode.TEMPORARILY_UNAVAILABLE,
                detail=TEMPORARILY_UNAVAILABLE_TEXT,
                conversation=conversation,
                client_id=client_id,
            )
        )

    async def dispatch_frame(self, frame: protocol.StaffFrame) -> None:
        db = database_sync_to_async
        match frame:
            case protocol.Ping():
                await self.send_json({"type": "pong"})  # the socket is alive, whatever the database does
                await self.record_presence()
            case protocol.SetPresence():
                self.presence_status = frame.status
                await self.record_presence()
            case protocol.DiscardSuggestion():
                await db(staff_services.do_discard_suggestion)(
                    user=self.user, suggestion_id=frame.suggestion_id
                )
            case protocol.ConversationFrame(type="open"):
                await self.open_conversation(frame.conversation_id)
            case _:
                conversation = await db(services.access_conversation)(
                    user=self.user, conversation_id=frame.conversation_id
                )
                await self.act(frame, conversation)

    async def act(self, frame: protocol.StaffFrame, conversation: Conversation) -> None:
        db = database_sync_to_async
        kwargs = {"user": self.user, "conversation": conversation}
        match frame:
            case protocol.ConversationFrame(type="claim"):
                # Watch it before claiming: the suggested reply may follow the claim at once.
                await self.watch(conversation)
                await db(services.do_claim)(**kwargs)
            case protocol.ConversationFrame(type="hand_back"):
                await db(services.do_hand_back)(**kwargs)
            case protocol.StaffMessage():
                await db(staff_services.do_send_staff_message)(
                    **kwargs, client_id=frame.client_id, text=frame.text, suggestion_id=frame.suggestion_id
                )
            case protocol.Note():
                await self.watch(conversation)
                await db(staff_services.do_add_note)(**kwargs, text=frame.text)
            case protocol.StaffTyping():
                await db(staff_services.do_send_staff_typing)(**kwargs, is_typing=frame.is_typing)
            case protocol.Transfer():
                await db(services.do_transfer)(**kwargs, to_user_id=frame.to_user_id)
            case protocol.Resolve():
                await db(services.do_resolve)(**kwargs, outcome=frame.outcome)

    async def open_conversation(self, conversation_id: uuid.UUID) -> None:
        conversation = await database_sync_to_async(services.access_conversation)(
            user=self.user, conversation_id=conversation_id
        )
        previous, self.viewing = self.viewing, conversation
        await self.watch(conversation)
        if previous is not None and previous.pk != conversation.pk:
            await self.watch_owned()  # stops watching the previous one unless it is ours
        await self.send_conversation(conversation)

    async def send_conversation(self, conversation: Conversation) -> None:
        detail = await database_sync_to_async(data.conversation_detail)(
            user=self.user, conversation=conversation
        )
        await self.send_json(protocol.conversation_frame(detail))

    # --- Watching conversations -------------------------------------------------------------------

    async def watch(self, conversation: Conversation) -> None:
        for group in (conversation.group_name, notify.staff_conversation_group(conversation)):
            if group not in self.watched:
                self.watched.add(group)
                await self.channel_layer.group_add(group, self.channel_name)

    async def watch_owned(self) -> None:
        """Watch exactly the conversations this user owns, and the one open in this console."""
        owned = await database_sync_to_async(data.owned_conversations)(user=self.user)
        if self.viewing is not None:
            owned.append(self.viewing)
        wanted = {group for c in owned for group in (c.group_name, notify.staff_conversation_group(c))}
        for group in self.watched - wanted:
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in wanted - self.watched:
            await self.channel_layer.group_add(group, self.channel_name)
        self.watched = wanted

    async def record_presence(self) -> None:
        await database_sync_to_async(staff_services.do_set_presence)(
            user=self.user, channel=self.channel_name, status=self.presence_status
        )

    # --- Group events: each only formats a frame --------------------------------------------------

    async def support_queue(self, event: dict[str, Any]) -> None:
        await self.watch_owned()
        lists = await database_sync_to_async(data.console_lists)(user=self.user)
        await self.send_json(protocol.queue_frame(lists))

    async def support_staff(self, event: dict[str, Any]) -> None:
        await self.send_json(protocol.staff_list_frame(event["staff"]))

    async def support_changed(self, event: dict[str, Any]) -> None:
        if self.viewing is not None and str(self.viewing.public_id) == event["conversation"]:
            await self.send_conversation(self.viewing)

    async def support_note(self, event: dict[str, Any]) -> None:
        await self.send_json(
            protocol.staff_event_frame("note", conversation=event["conversation"], note=event["note"])
        )

    async def support_suggestion(self, event: dict[str, Any]) -> None:
        await self.send_json(
            protocol.staff_event_frame(
                "suggestion", conversation=event["conversation"], suggestion=event["suggestion"]
            )
        )

    async def support_notice(self, event: dict[str, Any]) -> None:
        await self.send_json(
            protocol.notice_frame(detail=event["detail"], conversation=event["conversation"])
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        message = {**event["message"], **event["internals"]}  # as staff_message_payload
        await self.send_json(
            protocol.staff_event_frame("message", conversation=event["conversation"], message=message)
        )

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event.get("user") == self.user.pk:
            return  # our own typing, echoed by the customer's group
        await self.send_json(
            protocol.staff_event_frame(
                "typing",
                conversation=event["conversation"],
                sender=event["sender"],
                name=event.get("name"),
                is_typing=event["is_typing"],
            )
        )

    async def customer_typing(self, event: dict[str, Any]) -> None:
        await self.send_json(
            protocol.staff_event_frame(
                "typing",
                conversation=event["conversation"],
                sender="customer",
                name=None,
                is_typing=event["is_typing"],
            )
        )

    async def chat_token(self, event: dict[str, Any]) -> None:
        """Staff see the bot's reply once it is complete, not token by token."""

    async def chat_status(self, event: dict[str, Any]) -> None:
        """The customer's status line; consoles get `support.changed` for the same change."""

    async def chat_error(self, event: dict[str, Any]) -> None:
        """A reply failure is in the transcript as a system message already."""

    async def chat_csat_request(self, event: dict[str, Any]) -> None:
        """For the customer only."""

    async def chat_feedback(self, event: dict[str, Any]) -> None:
        """A customer's vote on a reply: the console shows it when it (re)opens the conversation."""
