from django.urls import path

from chatbot.support import views

urlpatterns = [
    path("", views.console, name="support-console"),
    path("login/", views.StaffLoginView.as_view(), name="support-login"),
    path("logout/", views.StaffLogoutView.as_view(), name="support-logout"),
]
