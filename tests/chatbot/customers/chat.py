"""Chatting over the real socket in these tests: what the customer says, what the bot answers."""

from chatbot.conversations.models import Customer
from tests.chatbot.chat_client import connect, is_bot_message, is_typing_off, message_frame, receive_until


async def chat(customer: Customer, *texts: str) -> list[str]:
    """Send each text in turn on one socket, waiting for the bot's answer; the replies as streamed (the
    stored and final text masks an e-mail address, docs/privacy.md)."""
    socket, _ = await connect(customer)
    replies = []
    for text in texts:
        await socket.send_json_to(message_frame(text))
        frames = await receive_until(socket, is_typing_off)
        assert any(is_bot_message(frame) for frame in frames), frames
        replies.append("".join(frame["delta"] for frame in frames if frame["type"] == "token"))
    await socket.disconnect()
    return replies
