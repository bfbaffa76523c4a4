"""The review sheet's outputs: a PDF rendered by WeasyPrint, and a plain text laid out in the
review form's order (décret 2010-888, art. 3) to paste into the State's tool, ESTEVE.

Both are built from the `Sheet` of reviews/sheet.py, so they show exactly what the sheet page
shows, and hold no Pix result when the privacy rules keep them off the sheet.
"""

import re
import textwrap

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from lib import pdf
from programmes.models import ResultAccessLog
from reviews.models import Review

TEXT_WIDTH = 76
# Marks a heading line in the text template; sheet_text underlines it.
HEADING = "#=#"
PRINT_CSS = "css/review_print.css"


def review_filename(review: Review, extension: str) -> str:
    """An ASCII file name saying whose review and which year: entretien-2026-dupont-marie.pdf."""
    agent = slugify(f"{review.agent.last_name} {review.agent.first_name}") or "agent"
    return f"entretien-{review.cycle.year}-{agent}.{extension}"


def log_results_view(request, review: Review, sheet) -> None:
    """Seeing the agent's individual results is recorded, unless the reader is the agent."""
    if sheet.results_shown and review.agent.user_id != request.user.pk:
        ResultAccessLog.objects.create(
            viewer=request.user,
            agent=review.agent,
            programme=review.cycle.programme,
            path=request.path[:300],
        )


def sheet_pdf(sheet) -> bytes:
    """The sheet rendered to an A4 PDF (Marianne, page numbers, charts as inline SVG); the
    renderer reads the font files and nothing else (lib.pdf)."""
    files = pdf.font_files()
    context = {**_context(sheet), "font_faces": pdf.font_faces(files)}
    return pdf.html_to_pdf(render_to_string("reviews/review_print.html", context), PRINT_CSS, files)


def sheet_text(sheet) -> str:
    """The sheet as plain text in the review form's order: underlined headings, paragraphs
    and lists wrapped at TEXT_WIDTH columns, ready to paste."""
    raw = render_to_string("reviews/review_text.txt", {**_context(sheet), "H": HEADING})
    lines = []
    for line in raw.split("\n"):
        line = line.rstrip()
        if line.startswith(HEADING):
            title = line.removeprefix(HEADING).strip().upper()
            lines += ["", title, "=" * len(title)]
        elif line.startswith("- "):
            lines += textwrap.wrap(line, TEXT_WIDTH, subsequent_indent="  ") or [""]
        else:
            lines += textwrap.wrap(line, TEXT_WIDTH) or [""]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip() + "\n"


def _context(sheet) -> dict:
    return {
        "sheet": sheet,
        "gaps": [row for row in sheet.competences if row.gap],
        "today": timezone.localdate(),
    }
