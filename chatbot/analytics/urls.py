from django.urls import path

from chatbot.analytics import views

urlpatterns = [
    path("", views.analytics_page, name="analytics"),
]
