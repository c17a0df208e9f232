"""The transcript review in the Django admin: the conversation list (filters, search, exports) and each
conversation as a chat with its support events, where reviewers annotate bot replies.

Thin: parsing and permissions here, queries in selectors.py, rules in services.py, exports in exports/.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from chatbot.conversations.models import Conversation, Message
from chatbot.review import filters, permissions, selectors, services
from chatbot.review.exports.streaming import FORMATS, do_export
from chatbot.review.forms import ReviewForm
from chatbot.support.config import support_config
from chatbot.support.models import Escalation
from chatbot.support.protocol import event_payload

ESCALATION_REASONS = dict(Escalation.Reason.choices)


def _form_prefix(reply: Message) -> str:
    return f"reply-{reply.pk}"


class ReviewChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        """The page's conversations with their columns, computed for the page only (selectors.list_page),
        each marked unsure when a reply fell below the support settings' threshold."""
        super().get_results(request)
        self.result_list = selectors.list_page(self.result_list)
        threshold = support_config().low_confidence_threshold
        for conversation in self.result_list:
            lowest = conversation.lowest_confidence
            conversation.unsure = lowest is not None and lowest < threshold


@admin.register(Conversation)
class TranscriptReviewAdmin(admin.ModelAdmin):
    list_display = [
        "conversation",
        "customer",
        "status",
        "started",
        "message_total",
        "escalation",
        "csat",
        "lowest_confidence",
        "votes",
        "review",
    ]
    list_display_links = ["conversation"]
    list_filter = [
        filters.StartedBetweenFilter,
        "status",
        filters.EscalationFilter,
        filters.IntentFilter,
        filters.CsatFilter,
        filters.ModelVersionFilter,
        filters.LowConfidenceFilter,
        filters.StaffMemberFilter,
        filters.VoteFilter,
        filters.ReviewFilter,
    ]
    # Only makes the search box appear: get_search_results does the searching.
    search_fields = ["messages__text"]
    search_help_text = (
        "Words in any message. On PostgreSQL a full-text search: word forms match (refund, refunds), "
        "“quoted phrases”, or, -excluded."
    )
    ordering = ["-created", "-id"]
    list_per_page = 50
    # Counting all conversations again on every page costs a query for a number nobody needs.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    change_list_template = "admin/review/change_list.html"
    actions = ["export_csv", "export_jsonl", "export_training"]

    # --- Permissions: read through the admin's view permission; nothing here edits a conversation ---

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_export_permission(self, request: HttpRequest) -> bool:
        return permissions.can_export(request.user)

    # --- The list ---

    def get_queryset(self, request: HttpRequest):
        return selectors.conversation_list()

    def get_changelist(self, request: HttpRequest, **kwargs):
        return ReviewChangeList

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        return selectors.matching_text(queryset, text=search_term), False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        query = request.GET.copy()
        query.pop("p", None)
        extra_context = {
            **(extra_context or {}),
            "can_export": permissions.can_export(request.user),
            "export_query": query.urlencode(),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="Conversation", ordering="public_id")
    def conversation(self, obj: Conversation) -> str:
        return str(obj.public_id)[:8]

    @admin.display(description="Started", ordering="created")
    def started(self, obj: Conversation) -> str:
        return timezone.localtime(obj.created).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="Messages", ordering="message_count")
    def message_total(self, obj: Conversation) -> int:
        return obj.message_count

    @admin.display(description="Escalated", ordering="escalation_reason")
    def escalation(self, obj: Conversation) -> str:
        return ESCALATION_REASONS.get(obj.escalation_reason, "") if obj.escalation_reason else "–"

    @admin.display(description="CSAT", ordering="csat__rating")
    def csat(self, obj: Conversation) -> str:
        rating = getattr(obj, "csat", None)
        return f"{rating.rating}/5" if rating is not None else "–"

    @admin.display(description="Lowest confidence", ordering="lowest_confidence")
    def lowest_confidence(self, obj: Conversation) -> str:
        if obj.lowest_confidence is None:
            return "–"
        if obj.unsure:
            low = f"{obj.lowest_confidence:.2f}"
            return format_html('<strong class="review-unsure">{} (unsure)</strong>', low)
        return f"{obj.lowest_confidence:.2f}"

    @admin.display(description="Votes")
    def votes(self, obj: Conversation) -> str:
        if not (obj.votes_up or obj.votes_down):
            return "–"
        return f"{obj.votes_up} helpful, {obj.votes_down} not"

    @admin.display(description="Review")
    def review(self, obj: Conversation) -> str:
        if not (obj.reviewed_bad or obj.reviewed_good):
            return "–"
        return f"{obj.reviewed_bad} bad, {obj.reviewed_good} good"

    # --- Exports: actions on selected conversations, and links for the filtered list ---

    def _export(self, request: HttpRequest, queryset, export_format: str) -> HttpResponse:
        selected_all = request.POST.get("select_across") == "1"
        selection = {
            "selection": "all matching the filters" if selected_all else "selected",
            "filters": _filters_of(request),
        }
        return do_export(
            user=request.user, conversations=queryset, export_format=export_format, selection=selection
        )

    @admin.action(description="Export as CSV (every message)", permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset) -> HttpResponse:
        return self._export(request, queryset, "csv")

    @admin.action(description="Export as JSONL (bot replies in context)", permissions=["export"])
    def export_jsonl(self, request: HttpRequest, queryset) -> HttpResponse:
        return self._export(request, queryset, "jsonl")

    @admin.action(description="Export corrections as training data (JSONL)", permissions=["export"])
    def export_training(self, request: HttpRequest, queryset) -> HttpResponse:
        return self._export(request, queryset, "training")

    def export_filtered_view(self, request: HttpRequest, export_format: str) -> HttpResponse:
        """Everything the list shows with the same filters and search (all pages)."""
        if export_format not in FORMATS:
            raise Http404("No such export format.")
        if not self.has_view_permission(request) or not permissions.can_export(request.user):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as error:
            return HttpResponseBadRequest(f"These filters cannot be exported: {error}")
        selection = {"selection": "all matching the filters", "filters": _filters_of(request)}
        return do_export(
            user=request.user,
            conversations=changelist.queryset,
            export_format=export_format,
            selection=selection,
        )

    # --- The transcript, and reviewing a reply ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "export/<str:export_format>/",
                wrap(self.export_filtered_view),
                name=f"{info}_export",
            ),
            path(
                "<int:conversation_id>/review/<int:message_id>/",
                wrap(require_POST(self.review_reply_view)),
                name=f"{info}_review_reply",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        return self.transcript_view(request, object_id)

    def transcript_view(self, request: HttpRequest, object_id: str, bound_form: ReviewForm | None = None):
        conversation = self.get_object(request, unquote(object_id))
        if conversation is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, conversation):
            raise PermissionDenied
        user = request.user
        can_annotate, can_see = permissions.can_annotate(user), permissions.can_see_annotations(user)
        threshold = support_config().low_confidence_threshold
        entries = []
        for entry in selectors.transcript(
            conversation=conversation,
            with_notes=user.has_perm("support.view_internalnote"),
            with_annotations=can_see or can_annotate,
        ):
            item = entry.item
            is_reply = entry.kind == "message" and item.sender == Message.Sender.BOT
            annotation = getattr(item, "annotation", None) if is_reply else None
            form = None
            if is_reply and can_annotate:
                if bound_form is not None and bound_form.prefix == _form_prefix(item):
                    form = bound_form
                else:
                    form = ReviewForm.for_annotation(annotation, prefix=_form_prefix(item))
            entries.append(
                {
                    "kind": entry.kind,
                    "item": item,
                    "event": event_payload(item) if entry.kind == "event" else None,
                    "form": form,
                    "annotation": annotation if can_see else None,
                    "unsure": is_reply and item.confidence is not None and item.confidence < threshold,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Transcript {str(conversation.public_id)[:8]}",
            "conversation": conversation,
            "entries": entries,
            "threshold": threshold,
            "can_annotate": can_annotate,
            "escalations": list(conversation.escalations.select_related("assignee").order_by("escalated")),
            "rating": getattr(conversation, "csat", None),
            "has_errors": bound_form is not None,
        }
        return TemplateResponse(request, "admin/review/transcript.html", context)

    def review_reply_view(self, request: HttpRequest, conversation_id: int, message_id: int):
        reply = services.access_reviewable_reply(
            user=request.user, conversation_id=conversation_id, message_id=message_id
        )
        form = ReviewForm(request.POST, prefix=_form_prefix(reply))
        if form.is_valid():
            try:
                services.do_review_reply(reviewer=request.user, reply=reply, review=form.review())
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, "Review saved.")
                url = reverse("admin:conversations_conversation_change", args=[conversation_id])
                return HttpResponseRedirect(f"{url}#{_form_prefix(reply)}")
        messages.error(request, "The review was not saved: see the reply below.")
        return self.transcript_view(request, str(conversation_id), bound_form=form)


def _filters_of(request: HttpRequest) -> dict[str, str]:
    """The changelist's filters and search, as the audit log records them."""
    return {name: value for name, value in request.GET.items() if name != "p"}
