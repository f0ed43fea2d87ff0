"""The filter form drawn from plain controls shows exactly what Django's widgets show."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms as django_forms
from django.http import QueryDict
from django.template import engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from jixiao.org import forms, services
from jixiao.org.views import MAIN_FILTERS, MORE_FILTERS
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


class _Markup(HTMLParser):
    """Tags with their attributes as sets, and text with its whitespace collapsed: the
    order of attributes and the layout of the source do not matter to a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[Any] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Django writes for="" on a checkbox group's label; a label without ``for`` is the same.
        kept = sorted((k, v) for k, v in attrs if not (k == "for" and v == ""))
        self.tokens.append(("start", tag, tuple(kept)))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag))

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.tokens.append(("text", text))


def _tokens(html: str) -> list[Any]:
    parser = _Markup()
    parser.feed(html)
    return parser.tokens


_WIDGETS = engines["django"].from_string(
    "{% for field in form %}{% if field.name in names %}"
    '{% include "org/_field.html" %}{% endif %}{% endfor %}'
)

QUERIES = [
    "",
    "sort=-name",
    "q=%3Cb%3E%22x%22&status=active&status=left&include_subdepartments=on&department={sales}",
    "department=999999&status=nope&hired_from=not-a-date&tag=abc&sort=bad",
    "tag={tag}&custom_field=nope&hired_from=2020-01-01",
    "include_subdepartments=false&job_family=rd&employment_type=intern"
    "&working_hour_system=shift&hired_to=2024-02-03&custom_field=language&custom_value=德语",
    "q=a&q=b&department=&status=probation",
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("query", QUERIES)
def test_plain_controls_render_like_the_widgets(in_a: World, query: str, language: str) -> None:
    world = in_a
    services.custom_field_create(
        company=world.company,
        actor=world.hr,
        code="language",
        label="语种",
        field_type="choice",
        choices=["德语"],
    )
    tag = services.tag_create(company=world.company, actor=world.hr, name="外派")
    data = QueryDict(query.format(sales=world.sales.pk, tag=tag.pk))
    with translation.override(language):
        for names in (MAIN_FILTERS, MORE_FILTERS):
            form = forms.EmployeeFilterForm(data or None, viewer=world.hr)
            form.filters()
            expected = _WIDGETS.render({"form": form, "names": names})
            drawn = render_to_string(
                "org/_controls.html", {"controls": forms.plain_controls(form, names)}
            )
            assert _tokens(drawn) == _tokens(expected)
    if "not-a-date" in query:
        assert 'data-testid="error-hired_from"' in drawn


def test_selected_department_and_status_are_shown_on_the_page(world: World) -> None:
    body = (
        login(world.hr)
        .get(reverse("org:employee_list"), {"department": world.sales.pk, "status": "active"})
        .content.decode()
    )
    assert f'<option value="{world.sales.pk}" selected>' in body
    assert 'value="active" id="id_status_1" checked' in body
    # Unticked “含下级部门” stays unticked once a department was submitted.
    assert 'name="include_subdepartments" id="id_include_subdepartments">' in body
    unfiltered = login(world.hr).get(reverse("org:employee_list")).content.decode()
    assert 'id="id_include_subdepartments" checked>' in unfiltered


def test_a_widget_without_a_plain_control_is_refused() -> None:
    class Upload(django_forms.Form):
        file = django_forms.FileField()
        grouped = django_forms.ChoiceField(choices=[("组", [("a", "A")])])

    with pytest.raises(TypeError):
        forms.plain_controls(Upload(), ["file"])
    with pytest.raises(TypeError):
        forms.plain_controls(Upload(), ["grouped"])
