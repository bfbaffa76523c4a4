"""The outputs of a review sheet: its PDF, and its plain text for the State's review tool
(ESTEVE). Both show what the sheet page shows, to whoever may read it."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from reviews import outputs
from reviews.models import Review
from reviews.perms import can_read_review
from reviews.selectors import agent_waits
from reviews.sheet import build_sheet


def _readable_review(request, pk) -> Review:
    """The review, for its agent, its manager line and staff; anyone else gets 404."""
    review = get_object_or_404(
        Review.objects.select_related("cycle__programme", "agent__user", "manager"), pk=pk
    )
    if not can_read_review(request.user, review):
        raise Http404
    if agent_waits(request.user, review):  # the agent reads it once prepared, as on its page
        raise Http404
    return review


def review_pdf(request, pk):
    """The sheet as a PDF to print or file, named after the agent and the year."""
    review = _readable_review(request, pk)
    sheet = build_sheet(review, reader=request.user)
    outputs.log_results_view(request, review, sheet)
    response = HttpResponse(outputs.sheet_pdf(sheet), content_type="application/pdf")
    filename = outputs.review_filename(review, "pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def review_text(request, pk):
    """The sheet as plain text in the review form's order, to copy into ESTEVE; with
    `?format=txt`, the same text as a file."""
    review = _readable_review(request, pk)
    sheet = build_sheet(review, reader=request.user)
    outputs.log_results_view(request, review, sheet)
    text = outputs.sheet_text(sheet)
    if request.GET.get("format") == "txt":
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        filename = outputs.review_filename(review, "txt")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    context = {"review": review, "sheet": sheet, "text": text, "title": _("Texte pour ESTEVE")}
    return render(request, "reviews/review_text_page.html", context)
