"""Every websocket endpoint of the project; each app owns its own patterns."""

from chatbot.conversations.routing import websocket_urlpatterns as conversation_patterns
from chatbot.support.routing import websocket_urlpatterns as support_patterns

websocket_urlpatterns = [*conversation_patterns, *support_patterns]
