"""Size and type limits of every upload of the application.

The uploads (every FileField of a form, every request.FILES):
- the HR list of agents (agents:import), limit settings.AGENT_IMPORT_MAX_BYTES;
- a Pix Orga export (programmes:import_upload), limit settings.PIX_EXPORT_MAX_BYTES;
- the resources catalogue CSV (programmes:resource_import), limit resources.files.MAX_BYTES;
- a list of matricules or e-mails to enrol (programmes:enrolment_paste), LIST_MAX_BYTES.
The admin uploads nothing: imports cannot be added there and their fields are read-only.

A file over its limit, or not named .csv, is refused by the form with a French message before
anything is stored. A binary file named .csv (a PNG, a PDF, a workbook) is refused with a
French message naming the problem; nothing is written but, for a Pix export, the import's own
row in the history, marked refused with the reason (its results are never written).
"""

import zlib
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.enums import ImportStatus
from campaigns.models import ResultImport
from programmes.accompaniment.resources.files import MAX_BYTES as RESOURCES_MAX_BYTES
from programmes.forms import LIST_MAX_BYTES
from tests.test_csrf_matrix import _changed, _snapshot

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 36 /Filter /FlateDecode >>\nstream\n"
    + zlib.compress(b"BT /F1 12 Tf (Bonjour) Tj ET")
    + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
XLSX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"[Content_Types].xml" * 4
TEXT_LINE = b"matricule;nom;prenom;courriel\n"


@dataclass(frozen=True)
class Upload:
    url_name: str
    limit_setting: str | None  # a setting the test lowers; else a fixed limit
    fixed_limit: int | None
    wrong_name_message: str
    # the French words of the refusal of each binary kind
    binary_messages: dict


UPLOADS = {
    "agents": Upload(
        "agents:import",
        "AGENT_IMPORT_MAX_BYTES",
        None,
        "Choisissez un fichier CSV (.csv)",
        {"png": "contenu binaire", "pdf": "document PDF", "xlsx": "document XLSX"},
    ),
    "pix": Upload(
        "programmes:import_upload",
        "PIX_EXPORT_MAX_BYTES",
        None,
        "Choisissez un fichier CSV (.csv)",
        {
            "png": "pas un fichier texte (CSV)",
            "pdf": "un document PDF",
            "xlsx": "un classeur (xlsx, ods)",
        },
    ),
    "resources": Upload(
        "programmes:resource_import",
        None,
        RESOURCES_MAX_BYTES,
        "Choisissez un fichier CSV (.csv)",
        {"png": "contenu binaire", "pdf": "document PDF", "xlsx": "document XLSX"},
    ),
    "enrolment": Upload(
        "programmes:enrolment_paste",
        None,
        LIST_MAX_BYTES,
        "Choisissez un fichier .csv ou .txt.",
        {
            "png": "pas un fichier texte",
            "pdf": "pas un fichier texte",
            "xlsx": "pas un fichier texte",
        },
    ),
}
BINARIES = {"png": PNG, "pdf": PDF, "xlsx": XLSX}


def _url(cast, upload):
    if upload.url_name == "agents:import":
        return reverse(upload.url_name)
    if upload.url_name == "programmes:enrolment_paste":
        return reverse(upload.url_name, kwargs={"pk": cast.population.pk})
    return reverse(upload.url_name, kwargs={"slug": cast.programme.slug})


def _stored_files(settings):
    media = settings.MEDIA_ROOT
    return sorted(str(p) for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.fixture
def owner_client(client, cast):
    # The owner uses the three uploads of their programme (an owner manages its populations);
    # the HR list is an organisation administrator's, so this owner is made « gestionnaire RH ».
    cast.owner.user_permissions.add(
        Permission.objects.get(content_type__app_label="agents", codename="manage_hr_list")
    )
    client.force_login(cast.owner)
    return client


def test_every_upload_form_is_listed_here():
    """A new FileField in a form of the app must be added to UPLOADS (and to this test)."""
    import inspect

    from django import forms

    import agents.forms
    import programmes.accompaniment.resources.forms
    import programmes.forms
    import programmes.imports.forms

    with_files = set()
    for module in (
        agents.forms,
        programmes.forms,
        programmes.imports.forms,
        programmes.accompaniment.resources.forms,
    ):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            own_form = issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
            if own_form and any(isinstance(f, forms.FileField) for f in cls.base_fields.values()):
                with_files.add(name)
    assert with_files == {
        "AgentImportForm",
        "ResultImportForm",
        "ResourceImportForm",
        "EnrolmentListForm",
    }


@pytest.mark.parametrize("key", sorted(UPLOADS))
def test_file_over_the_limit_is_refused_and_nothing_is_written(owner_client, cast, settings, key):
    upload = UPLOADS[key]
    if upload.limit_setting:
        setattr(settings, upload.limit_setting, 1000)
        limit = 1000
    else:
        limit = upload.fixed_limit
    data = TEXT_LINE * (limit // len(TEXT_LINE) + 1)
    assert len(data) > limit
    before = _snapshot()
    response = owner_client.post(
        _url(cast, upload), {"file": SimpleUploadedFile("liste.csv", data, "text/csv")}
    )
    assert response.status_code == 200
    assert "au-delà de la limite" in response.content.decode()
    assert _changed(before, _snapshot()) == []
    assert _stored_files(settings) == []


@pytest.mark.parametrize("key", sorted(UPLOADS))
def test_file_not_named_csv_is_refused_and_nothing_is_written(owner_client, cast, settings, key):
    upload = UPLOADS[key]
    before = _snapshot()
    response = owner_client.post(
        _url(cast, upload), {"file": SimpleUploadedFile("photo.png", PNG, "image/png")}
    )
    assert response.status_code == 200
    assert upload.wrong_name_message in response.content.decode()
    assert _changed(before, _snapshot()) == []
    assert _stored_files(settings) == []


@pytest.mark.parametrize("kind", sorted(BINARIES))
@pytest.mark.parametrize("key", sorted(set(UPLOADS) - {"pix"}))
def test_binary_file_named_csv_is_refused_and_nothing_is_written(
    owner_client, cast, settings, key, kind
):
    upload = UPLOADS[key]
    before = _snapshot()
    response = owner_client.post(
        _url(cast, upload), {"file": SimpleUploadedFile("liste.csv", BINARIES[kind], "text/csv")}
    )
    assert response.status_code == 200
    assert upload.binary_messages[kind] in response.content.decode()
    assert _changed(before, _snapshot()) == []
    assert _stored_files(settings) == []


@pytest.mark.parametrize("kind", sorted(BINARIES))
def test_binary_pix_export_named_csv_is_refused_with_its_reason(owner_client, cast, kind):
    """The import is kept in the history as refused, with the reason; nothing else is
    written (no campaign, participation or result)."""
    upload = UPLOADS["pix"]
    before = _snapshot()
    response = owner_client.post(
        _url(cast, upload),
        {"file": SimpleUploadedFile("Resultats-x.csv", BINARIES[kind], "text/csv")},
        follow=True,
    )
    assert response.status_code == 200
    result_import = ResultImport.objects.get()
    assert result_import.status == ImportStatus.REFUSED
    messages = " ".join(error["message"] for error in result_import.errors)
    assert upload.binary_messages[kind] in messages
    assert "Le fichier n’a pas été importé" in response.content.decode()
    changed = _changed(before, _snapshot())
    assert changed == ["campaigns.ResultImport", "programmes.ProgrammeImport"]


def test_django_request_size_settings_are_bounded(settings):
    """Form fields (not files) are capped at 10 MB in memory; files past 5 MB stream to a
    temporary file rather than memory; every upload limit is checked by its form."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 10 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert settings.AGENT_IMPORT_MAX_BYTES > 0 and settings.PIX_EXPORT_MAX_BYTES > 0
