"""HTML to an A4 PDF with WeasyPrint, in Marianne (the State's typeface, shipped with
django-dsfr), charts as inline SVG; WeasyPrint may read the font files and nothing else (no
network, no other file), so that nothing written by a user can make the server fetch a
resource. The review sheets render the same way (reviews/outputs.py)."""

from pathlib import Path

from django.contrib.staticfiles import finders

# WOFF2 is the smallest to embed.
MARIANNE = {
    (400, "normal"): "dsfr/dist/fonts/Marianne-Regular.woff2",
    (400, "italic"): "dsfr/dist/fonts/Marianne-Regular_Italic.woff2",
    (700, "normal"): "dsfr/dist/fonts/Marianne-Bold.woff2",
    (700, "italic"): "dsfr/dist/fonts/Marianne-Bold_Italic.woff2",
}


def font_files() -> dict:
    """Marianne's files on disk, by (weight, style); empty where a file cannot be found (the
    stylesheets then fall back to DejaVu Sans)."""
    found = {}
    for key, name in MARIANNE.items():
        path = finders.find(name)
        if path:
            found[key] = Path(path).resolve()
    return found


def font_faces(files: dict) -> str:
    """The @font-face rules of `files`, for the document's <style>."""
    return "\n".join(
        "@font-face { font-family: Marianne; "
        f'src: url("{path.as_uri()}") format("woff2"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for (weight, style), path in files.items()
    )


def fonts_only(allowed: set):
    """A WeasyPrint URL fetcher that reads the files of `allowed` (URIs) and refuses anything
    else (ValueError)."""
    from weasyprint.urls import URLFetcher

    class FontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url not in allowed:
                raise ValueError(f"Resource refused in a PDF: {url[:80]}")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols={"file"})


def html_to_pdf(html: str, stylesheet: str, files: dict) -> bytes:
    """`html` (whose <style> declares `font_faces(files)`) rendered with the static
    `stylesheet` (a path under static/)."""
    # Imported here: WeasyPrint loads Pango at import, which only PDFs need.
    from weasyprint import CSS, HTML

    fetcher = fonts_only({path.as_uri() for path in files.values()})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(filename=finders.find(stylesheet))]
    )
