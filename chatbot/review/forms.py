from django import forms

from chatbot.review.models import Annotation
from chatbot.review.services import Review


class ReviewForm(forms.Form):
    """The fields of one reply's review; the rules are services.check_review's, reported on these fields."""

    verdict = forms.ChoiceField(choices=Annotation.Verdict.choices, widget=forms.RadioSelect, required=False)
    reasons = forms.MultipleChoiceField(
        choices=list(Annotation.REASONS.items()), widget=forms.CheckboxSelectMultiple, required=False
    )
    corrected_reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        strip=False,
        help_text="What the bot should have said. {{Placeholders}} such as {{Order Number}} are kept.",
    )
    corrected_intent = forms.CharField(
        required=False, max_length=200, help_text="Only when the intent was wrong, e.g. track_order."
    )

    @classmethod
    def for_annotation(cls, annotation: Annotation | None, *, prefix: str) -> "ReviewForm":
        if annotation is None:
            return cls(prefix=prefix)
        initial = {
            "verdict": annotation.verdict,
            "reasons": annotation.reasons,
            "corrected_reply": annotation.corrected_reply,
            "corrected_intent": annotation.corrected_intent,
        }
        return cls(prefix=prefix, initial=initial)

    def review(self) -> Review:
        """Call after is_valid()."""
        data = self.cleaned_data
        return Review(
            verdict=data["verdict"],
            reasons=frozenset(data["reasons"]),
            corrected_reply=data["corrected_reply"],
            corrected_intent=data["corrected_intent"],
        )
