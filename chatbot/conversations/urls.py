from django.urls import path

from chatbot.conversations import views

urlpatterns = [
    path("", views.chat_page, name="chat-page"),
    path("embed/", views.embed, name="chat-embed"),
    path("widget/demo/", views.widget_demo, name="widget-demo"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
