from django.urls import path

from chatbot.support.consumers import StaffConsumer

websocket_urlpatterns = [
    path("ws/support/", StaffConsumer.as_asgi()),
]
