from django.urls import path

from chatbot.customers import views

urlpatterns = [
    path("login/", views.CustomerLoginView.as_view(), name="customer-login"),
    path("logout/", views.CustomerLogoutView.as_view(), name="customer-logout"),
]
