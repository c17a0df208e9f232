"""Subject rights in the admin, on the Customer list: "Export everything stored about …" (a JSON
download) and "Erase …" (Django's delete confirmation, listing every row that goes, then the audited
erasure of services.py). Every deletion of a customer in the admin is such an erasure.

The conversations app's CustomerAdmin is extended here and registered again, so that app needs to know
nothing about privacy (chatbot.privacy comes after it in INSTALLED_APPS, so its admin module is loaded
first).
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from chatbot.conversations.admin import CustomerAdmin
from chatbot.conversations.models import Customer
from chatbot.privacy import export, services

EXPORT_PERMISSION = "privacy.export_customer_data"
ERASE_PERMISSION = "privacy.erase_customer_data"
ERASE_DESCRIPTION = "Erase the selected customers and everything stored about them"


class SubjectRightsAdminMixin:
    """Export and erasure actions for a ModelAdmin of Customer, each behind its own permission."""

    actions = ["export_customer_data"]

    @admin.action(
        description="Export everything stored about the selected customers (JSON)",
        permissions=["export_customer_data"],
    )
    def export_customer_data(self, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse:
        customers = list(queryset.select_related("user").order_by("created", "id"))
        document = services.do_export_customers(customers=customers, actor=request.user)
        response = HttpResponse(export.to_json(document), content_type="application/json; charset=utf-8")
        filename = f"customer-data-{timezone.now():%Y%m%d-%H%M%S}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def has_export_customer_data_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION)

    # Erasure is the admin's own deletion (its confirmation page lists every row that goes), made to go
    # through the audited service and allowed by the erasure permission alone.

    def has_delete_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        return request.user.has_perm(ERASE_PERMISSION)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            function, name, _ = actions["delete_selected"]
            actions["delete_selected"] = (function, name, ERASE_DESCRIPTION)
        return actions

    def get_deleted_objects(self, objs, request: HttpRequest):
        # The erasure permission covers every row under the customer: no per-table delete permission.
        deleted, model_count, _, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request: HttpRequest, obj: Customer) -> None:
        services.do_erase_customers(customers=[obj], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        services.do_erase_customers(customers=list(queryset.select_related("user")), actor=request.user)

    def log_deletion(self, request: HttpRequest, obj: Customer, object_repr: str) -> None:
        """The audit log records erasures; an admin log entry would keep the customer's name."""

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        """As log_deletion."""


admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerWithSubjectRightsAdmin(SubjectRightsAdminMixin, CustomerAdmin):
    pass
