"""The dsfr_crispy template pack renders crispy forms with the DSFR markup.

Forms are plain Django forms (no DsfrBaseForm); the output is parsed into a small tree
so assertions bear on elements and attributes rather than on whitespace.
"""

from html.parser import HTMLParser

import pytest
from crispy_forms.bootstrap import FormActions, InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import (
    HTML,
    Button,
    ButtonHolder,
    Column,
    Div,
    Field,
    Fieldset,
    Hidden,
    Layout,
    MultiField,
    Row,
    Submit,
)
from django import forms
from django.template import Context, Template, TemplateDoesNotExist
from django.template.loader import get_template

# --- A minimal HTML tree -------------------------------------------------------------

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children = []

    @property
    def classes(self):
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self):
        return " ".join(
            " ".join(child.split()) if isinstance(child, str) else child.text
            for child in self.children
        ).strip()

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (cls is None or set(cls.split()) <= node.classes)
            and all(node.attrs.get(name.rstrip("_")) == value for name, value in attrs.items())
        ]

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag or '*'}> class={cls!r} {attrs} in output"
        return found[0]

    def by_id(self, element_id):
        return self.find(id=element_id)

    def ancestor(self, tag=None, cls=None):
        node = self.parent
        while node is not None:
            if (tag is None or node.tag == tag) and (
                cls is None or set(cls.split()) <= node.classes
            ):
                return node
            node = node.parent
        raise AssertionError(f"<{self.tag} id={self.attrs.get('id')}> has no {tag} {cls} ancestor")


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: ("" if value is None else value) for name, value in attrs})
        node.parent = self.current
        self.current.children.append(node)
        if tag not in VOID_ELEMENTS:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.current = self.current.parent

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        assert node is not self.root, f"stray </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html):
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root


# --- Forms ---------------------------------------------------------------------------


class IdentityForm(forms.Form):
    last_name = forms.CharField(label="Nom", help_text="Tel qu'inscrit à l'état civil")
    email = forms.EmailField(label="Courriel professionnel", required=False)
    service = forms.ChoiceField(
        label="Service", choices=[("", "Choisir un service"), ("rh", "RH"), ("si", "SI")]
    )
    consent = forms.BooleanField(label="J'accepte les conditions")
    days = forms.MultipleChoiceField(
        label="Jours de présence",
        choices=[("mon", "Lundi"), ("tue", "Mardi")],
        widget=forms.CheckboxSelectMultiple,
    )
    level = forms.ChoiceField(
        label="Niveau", choices=[("1", "Débutant"), ("2", "Confirmé")], widget=forms.RadioSelect
    )
    attachment = forms.FileField(label="Pièce jointe", required=False)
    comment = forms.CharField(label="Commentaire", widget=forms.Textarea, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                "Identité",
                "last_name",
                Row(Column("email"), Column("service")),
                "consent",
                "days",
                "level",
                "attachment",
                Field("comment", rows=3),
            ),
            FormActions(
                Submit("save", "Enregistrer"),
                Button("cancel", "Annuler", css_class="fr-btn--secondary"),
            ),
        )

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("email", "").endswith("@exemple.com"):
            raise forms.ValidationError("Utilisez votre adresse professionnelle.")
        return cleaned_data


INVALID_DATA = {"email": "agent@exemple.com", "level": "9", "service": "rh", "consent": "on"}

TEXT_INPUTS = ["id_last_name", "id_email", "id_comment"]


def render(template_code, **context):
    return Template("{% load crispy_forms_tags %}" + template_code).render(Context(context))


def crispy_tag(form):
    return parse(render("{% crispy form %}", form=form))


def crispy_filter(form):
    return parse(render("{{ form|crispy }}", form=form))


def assert_accessible(doc):
    """Every control is labelled, every fieldset has a legend, every ARIA id exists."""
    ids = {node.attrs["id"] for node in doc.iter() if "id" in node.attrs}
    labelled = {node.attrs.get("for") for node in doc.find_all("label")}
    for node in doc.iter():
        if node.tag in {"select", "textarea"} or (
            node.tag == "input" and node.attrs.get("type") not in {"hidden", "submit", "button"}
        ):
            assert node.attrs.get("id") in labelled, f"unlabelled control {node.attrs}"
        for aria in ("aria-describedby", "aria-labelledby"):
            for ref in node.attrs.get(aria, "").split():
                assert ref in ids, f"{aria}={ref!r} points at nothing"
    for fieldset in doc.find_all("fieldset"):
        legends = [child for child in fieldset.children if getattr(child, "tag", "") == "legend"]
        assert len(legends) == 1 and legends[0].text, "fieldset without legend"


# --- Tests ---------------------------------------------------------------------------


def test_form_widget_templates_are_reachable():
    # FORM_RENDERER = TemplatesSetting loads Django's widget templates through TEMPLATES.
    try:
        get_template("django/forms/widgets/text.html")
    except TemplateDoesNotExist:
        pytest.fail("add 'django.forms' to INSTALLED_APPS for the TemplatesSetting form renderer")


@pytest.mark.parametrize(
    "name",
    [
        "whole_uni_form.html",
        "whole_uni_formset.html",
        "whole_uneditable_form.html",
        "display_form.html",
        "uni_form.html",
        "uni_formset.html",
        "errors.html",
        "errors_formset.html",
        "field.html",
        "inputs.html",
        "multifield.html",
        "table_inline_formset.html",
        "layout/attrs.html",
        "layout/baseinput.html",
        "layout/buttonholder.html",
        "layout/checkboxselectmultiple.html",
        "layout/checkboxselectmultiple_inline.html",
        "layout/column.html",
        "layout/div.html",
        "layout/field_errors.html",
        "layout/field_errors_block.html",
        "layout/fieldset.html",
        "layout/formactions.html",
        "layout/help_text.html",
        "layout/help_text_and_errors.html",
        "layout/multifield.html",
        "layout/radioselect.html",
        "layout/radioselect_inline.html",
        "layout/row.html",
    ],
)
def test_pack_provides_the_templates_crispy_loads(name):
    assert get_template(f"dsfr_crispy/{name}")


def test_crispy_tag_wraps_the_layout_in_a_form():
    doc = crispy_tag(IdentityForm())

    form = doc.find("form")
    assert form.attrs["method"] == "post"
    assert form.attrs["enctype"] == "multipart/form-data"
    fieldset = form.find("fieldset", cls="fr-fieldset")
    legend = next(child for child in fieldset.children if isinstance(child, Node))
    assert legend.tag == "legend"
    assert "fr-fieldset__legend" in legend.classes
    assert legend.text == "Identité"
    # Fields sit in a fieldset element, inside the crispy Fieldset.
    assert doc.by_id("id_last_name").ancestor("fieldset") is fieldset
    assert "fr-fieldset__element" in doc.by_id("div_id_last_name").parent.classes
    assert doc.find("div", cls="fr-grid-row fr-grid-row--gutters")
    assert len(doc.find_all("div", cls="fr-col-12 fr-col-md")) == 2


def test_text_inputs_select_and_file_use_dsfr_groups():
    doc = crispy_tag(IdentityForm())

    for control_id in TEXT_INPUTS:
        control = doc.by_id(control_id)
        assert "fr-input" in control.classes
        assert "fr-input-group" in control.parent.classes
        label = doc.find("label", for_=control_id)
        assert "fr-label" in label.classes
        assert label.parent is control.parent
    assert doc.by_id("id_comment").tag == "textarea"
    assert doc.by_id("id_comment").attrs["rows"] == "3"
    assert doc.by_id("id_email").attrs["type"] == "email"

    select = doc.by_id("id_service")
    assert select.tag == "select"
    assert "fr-select" in select.classes
    assert "fr-select-group" in select.parent.classes

    upload = doc.by_id("id_attachment")
    assert upload.attrs["type"] == "file"
    assert "fr-upload" in upload.classes
    assert "fr-upload-group" in upload.parent.classes


def test_label_carries_required_marker_and_hint():
    doc = crispy_tag(IdentityForm())

    label = doc.find("label", for_="id_last_name")
    assert label.text.startswith("Nom")
    assert label.find("span", cls="fr-required-marker").attrs["aria-hidden"] == "true"
    assert label.find("span", cls="fr-sr-only").text == "(obligatoire)"
    hint = label.find("span", cls="fr-hint-text")
    assert hint.text == "Tel qu'inscrit à l'état civil"
    assert hint.attrs["id"] == "id_last_name_helptext"
    assert doc.by_id("id_last_name").attrs["aria-describedby"] == "id_last_name_helptext"
    # Optional fields carry no marker.
    assert not doc.find("label", for_="id_email").find_all("span", cls="fr-required-marker")


def test_checkbox_and_choice_fields():
    doc = crispy_tag(IdentityForm())

    consent = doc.by_id("id_consent")
    assert consent.attrs["type"] == "checkbox"
    group = consent.parent
    assert "fr-checkbox-group" in group.classes
    assert group.find("label", cls="fr-label", for_="id_consent").text.startswith("J'accepte")

    for name, item_class, input_type in (
        ("days", "fr-checkbox-group", "checkbox"),
        ("level", "fr-radio-group", "radio"),
    ):
        fieldset = doc.by_id(f"div_id_{name}")
        assert fieldset.tag == "fieldset"
        assert "fr-fieldset" in fieldset.classes
        legend = fieldset.find("legend", cls="fr-fieldset__legend")
        assert fieldset.attrs["aria-labelledby"] == legend.attrs["id"]
        options = fieldset.find_all("input", type=input_type)
        assert len(options) == 2
        for index, option in enumerate(options):
            assert option.attrs["id"] == f"id_{name}_{index}"
            assert item_class in option.parent.classes
            assert "fr-fieldset__element" in option.parent.parent.classes
            assert option.parent.find("label", cls="fr-label", for_=option.attrs["id"]).text
    assert doc.find("label", for_="id_level_1").text == "Confirmé"


def test_form_actions_render_a_dsfr_button_group():
    doc = crispy_tag(IdentityForm())

    group = doc.find("ul", cls="fr-btns-group fr-btns-group--inline-md")
    items = [child for child in group.children if isinstance(child, Node)]
    assert [item.tag for item in items] == ["li", "li"]
    save, cancel = (item.find("button") for item in items)
    assert save.attrs["type"] == "submit"
    assert save.attrs["name"] == "save"
    assert save.classes == {"fr-btn"}
    assert save.text == "Enregistrer"
    assert cancel.attrs["type"] == "button"
    assert cancel.classes == {"fr-btn", "fr-btn--secondary"}
    assert cancel.text == "Annuler"


def test_errors_are_announced_and_linked():
    form = IdentityForm(data=INVALID_DATA)
    assert not form.is_valid()
    doc = crispy_tag(form)

    alert = doc.find("div", cls="fr-alert fr-alert--error fr-alert--sm")
    assert alert.text == "Utilisez votre adresse professionnelle."

    last_name = doc.by_id("id_last_name")
    assert last_name.attrs["aria-invalid"] == "true"
    assert last_name.attrs["aria-describedby"].split() == [
        "id_last_name_helptext",
        "id_last_name_error",
    ]
    assert "fr-input-group--error" in last_name.parent.classes
    error = doc.by_id("id_last_name_error")
    assert error.tag == "p"
    assert "fr-error-text" in error.classes
    assert error.text == "Ce champ est obligatoire."

    assert "fr-select-group--error" not in doc.by_id("id_service").parent.classes
    assert "aria-invalid" not in doc.by_id("id_service").attrs

    level = doc.by_id("div_id_level")
    assert "fr-fieldset--error" in level.classes
    assert level.attrs["aria-labelledby"].split() == ["id_level_legend", "id_level_error"]
    assert doc.by_id("id_level_error").find("p", cls="fr-error-text")
    assert doc.by_id("id_level_0").attrs["aria-invalid"] == "true"

    days = doc.by_id("div_id_days")
    assert "fr-fieldset--error" in days.classes
    assert doc.by_id("id_days_error").ancestor("fieldset") is days
    assert_accessible(doc)


def test_crispy_filter_renders_fields_without_form_tag():
    form = IdentityForm(data=INVALID_DATA)
    doc = crispy_filter(form)

    assert not doc.find_all("form")
    assert not doc.find_all("button")
    assert doc.find("div", cls="fr-alert fr-alert--error fr-alert--sm")
    assert "fr-input" in doc.by_id("id_last_name").classes
    assert "fr-select" in doc.by_id("id_service").classes
    assert "fr-upload" in doc.by_id("id_attachment").classes
    assert doc.find("p", cls="fr-error-text", id="id_last_name_error")
    assert doc.by_id("div_id_level").tag == "fieldset"
    assert doc.by_id("id_consent").parent.classes >= {"fr-checkbox-group"}
    assert_accessible(doc)


@pytest.mark.parametrize("renderer", [crispy_tag, crispy_filter])
def test_unbound_output_is_accessible(renderer):
    doc = renderer(IdentityForm())

    assert not doc.find_all(cls="fr-error-text")
    assert "aria-invalid" not in doc.by_id("id_last_name").attrs
    assert_accessible(doc)


def test_hidden_labels_stay_available_to_screen_readers():
    form = IdentityForm()
    form.helper.form_show_labels = False
    doc = crispy_tag(form)

    assert "fr-sr-only" in doc.find("label", for_="id_last_name").classes
    assert "fr-sr-only" in doc.by_id("id_level_legend").classes
    assert_accessible(doc)


def test_custom_aria_describedby_is_kept_and_completed():
    class NoteForm(forms.Form):
        note = forms.CharField(
            label="Note", widget=forms.TextInput(attrs={"aria-describedby": "note-aide"})
        )

    form = NoteForm(data={})
    rendered = render('<p id="note-aide">Aide</p>{{ form|crispy }}', form=form)
    control = parse(rendered).by_id("id_note")

    assert control.attrs["aria-describedby"].split() == ["note-aide", "id_note_error"]


def test_helper_inputs_buttonholder_and_other_layout_objects():
    class SearchForm(forms.Form):
        query = forms.CharField(label="Recherche", required=False)
        start = forms.DateField(label="Du", required=False)
        end = forms.DateField(label="Au", required=False)
        scope = forms.ChoiceField(
            label="Périmètre",
            choices=[("a", "Tout"), ("b", "Mon équipe")],
            widget=forms.RadioSelect,
        )

    form = SearchForm()
    form.helper = FormHelper()
    form.helper.form_method = "get"
    form.helper.form_id = "recherche"
    form.helper.layout = Layout(
        Div("query", css_class="fr-mb-2w", css_id="bloc-recherche"),
        MultiField("Période", "start", "end"),
        InlineRadios("scope"),
        HTML('<p class="fr-text--sm">Résultats limités à {{ limit }}.</p>'),
        ButtonHolder(HTML('<a class="fr-btn fr-btn--tertiary" href="/">Retour</a>')),
    )
    form.helper.add_input(Submit("search", "Rechercher"))
    form.helper.add_input(Hidden("page", "1"))
    doc = parse(render("{% crispy form %}", form=form, limit=50))

    form_node = doc.by_id("recherche")
    assert form_node.attrs["method"] == "get"
    assert not form_node.find_all("input", name="csrfmiddlewaretoken")
    assert doc.by_id("bloc-recherche").classes == {"fr-mb-2w"}
    period = doc.find("fieldset", cls="fr-fieldset")
    assert period.find("legend").text == "Période"
    assert period.find("input", id="id_start").attrs["class"].split()[-1] == "fr-input"
    assert doc.find_all("div", cls="fr-fieldset__element fr-fieldset__element--inline")
    assert doc.find("p", cls="fr-text--sm").text == "Résultats limités à 50."
    # A holder with other content than buttons stays a <div> button group.
    holder = doc.find("div", cls="fr-btns-group fr-btns-group--inline-md")
    assert holder.find("a", cls="fr-btn").text == "Retour"
    # helper.add_input(): hidden inputs outside the <ul>, buttons in <li>.
    assert doc.find("input", type="hidden", name="page").parent is form_node
    button = doc.find("ul", cls="fr-btns-group").find("li").find("button", type="submit")
    assert button.classes == {"fr-btn"}
    assert_accessible(doc)


def test_formsets_render_with_filter_and_table_template():
    ItemFormSet = forms.formset_factory(IdentityForm, extra=2)
    formset = ItemFormSet()

    doc = parse(render("{{ formset|crispy }}", formset=formset))
    assert doc.find("input", name="form-TOTAL_FORMS").attrs["value"] == "2"
    assert "fr-input" in doc.by_id("id_form-1-last_name").classes
    assert_accessible(doc)

    helper = FormHelper()
    helper.template = "dsfr_crispy/table_inline_formset.html"
    helper.add_input(Submit("save", "Enregistrer"))
    doc = parse(render("{% crispy formset helper %}", formset=formset, helper=helper))
    table = doc.find("div", cls="fr-table").find("table")
    headers = [th.text for th in table.find("thead").find_all("th", scope="col")]
    assert headers[0].startswith("Nom")
    assert len(table.find("tbody").find_all("tr")) == 2
    assert "fr-sr-only" in doc.find("label", for_="id_form-0-last_name").classes
    assert doc.find("ul", cls="fr-btns-group").find("button").text == "Enregistrer"
    assert_accessible(doc)
