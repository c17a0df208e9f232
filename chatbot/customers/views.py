"""Customers sign in and out of the chat page (docs/personalization.md). Signing in merges the browser's
anonymous conversations into the account's (receivers.py); signing out forgets the browser's identity
cookie, so the next person on this browser never sees the account's conversations."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from chatbot.customers.business import business_profile


class CustomerLoginForm(AuthenticationForm):
    """Django's sign-in form, with what password managers and phone keyboards need."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocapitalize="none", autocomplete="username")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


class CustomerLoginView(auth_views.LoginView):
    template_name = "customers/login.html"
    form_class = CustomerLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("chat-page")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "company_name": business_profile().company_name}


class CustomerLogoutView(auth_views.LogoutView):
    next_page = "chat-page"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response.delete_cookie(settings.CHATBOT_CUSTOMER_COOKIE, samesite="Lax")
        return response
