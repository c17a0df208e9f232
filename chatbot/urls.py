from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("support/", include("chatbot.support.urls")),
    path("analytics/", include("chatbot.analytics.urls")),
    path("account/", include("chatbot.customers.urls")),
    path("", include("chatbot.conversations.urls")),
]
