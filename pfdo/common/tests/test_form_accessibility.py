"""Every form of the site ties its hints and errors to its fields (issue 17, item 1).

Each demo role (and an anonymous visitor) walks the site from its start pages by the links it
is shown; every HTML page is checked, and every data-entry form met on the way (a POST form
with a field to fill) is sent empty. On each page:

- every id an `aria-describedby` names is an element of the page, and every hint
  (`<auto_id>_helptext`) and error list (`<auto_id>_error`) is named by one;
- for every Django form of the view whose field is on the page: a hint has its
  `<auto_id>_helptext` element; a field with errors has `aria-invalid="true"` and its
  `<auto_id>_error` list; the page has the error summary (`#error-summary`, role=alert,
  tabindex=-1) linking to the field.

A template that renders a field by hand (hint without the id Django's describedby names, error
list with another id, no summary) fails here; and `test_templates_render_fields_only_through_
the_shared_template` reads the templates themselves for hand-made hints and error lists.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.forms import BaseForm
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from pfdo.common.tests.worlds import world_once

ROLES = ["anonymous", "parent", "provider", "operator", "payer", "expert", "region", "admin"]
MAX_PAGES = 250  # per role: one page per view (and per non-numeric argument) is enough
SKIP = re.compile(
    r"^/(admin|api|media|static|__)|/logout/|\.(csv|xlsx|pdf|json)$|/print/|/template|/export"
    r"|/notifications/read/|" + re.escape("/" + settings.PFDO_COMPAT_API_PREFIX.strip("/"))
)

# The data-entry forms of the list: the walk must have sent each of them empty, so
# that a page dropping out of reach fails here instead of passing unchecked.
MUST_POST = {
    "anonymous": {
        "family:apply",  # the issue: 9 of 11 invalid fields pointed at missing ids
        "providers:apply",  # 4 of 16
        "accounts:login",
        "accounts:password_reset",
        "family:application_status",
        "enrolment:check",
    },
    "parent": {"family:add_child", "accounts:password_change"},
    "operator": {"certificates:register", "certificates:import"},  # family registration: 8 of 8
    "provider": {
        "enrolment:provider_enrol",
        "enrolment:provider_lookup",
        "providers:organisation_edit",
        "providers:organisation_bank",
        "catalog_manage:program_create",
    },
    "region": {"financing:period_create", "financing:calendar", "content:manage_create"},
}


# Fields of a view's form that a page renders by hand, with the reason their hint is not shown.
HINT_NOT_SHOWN = {
    # the catalogue filter's help text documents the API parameter; the search box is named
    # by its aria-label and shows no hint
    ("/catalog/", "id_q"),
}


class Page(HTMLParser):
    """The elements of a page that matter here: ids, describedby, invalid marks, forms."""

    VISIBLE_FIELDS = {"select", "textarea"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, dict] = {}
        self.duplicates: set[str] = set()
        self.described: list[tuple[str, dict]] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self.feed(html)
        self.summary = re.search(r'<div\b[^>]*\bid="error-summary"[^>]*>(.*?)</div>', html, re.S)
        self.summary_links = (
            re.findall(r'<a\b[^>]*href="#([^"]+)"', self.summary.group(1)) if self.summary else []
        )

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        a["<tag>"] = tag
        if a.get("id"):
            if a["id"] in self.ids:
                self.duplicates.add(a["id"])
            self.ids[a["id"]] = a
        if a.get("aria-describedby"):
            self.described.append((a["aria-describedby"], a))
        if tag == "form":
            self._form = {
                "method": a.get("method", "get").lower(),
                "action": a.get("action", ""),
                "fields": 0,
            }
            self.forms.append(self._form)
        elif self._form is not None and (
            tag in self.VISIBLE_FIELDS
            or (tag == "input" and a.get("type", "text") not in ("hidden", "submit", "button"))
        ):
            self._form["fields"] += 1

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def forms_of(response) -> list[BaseForm]:
    """The Django forms the view handed to its templates (in lists and dicts too)."""
    found: dict[int, BaseForm] = {}

    def walk(value, depth=0):
        if isinstance(value, BaseForm):
            found[id(value)] = value
        elif depth < 3 and isinstance(value, list | tuple):
            for item in value:
                walk(item, depth + 1)
        elif depth < 3 and isinstance(value, dict):
            for item in value.values():
                walk(item, depth + 1)

    contexts = response.context
    if contexts is None:
        return []
    for context in contexts if isinstance(contexts, list) else [contexts]:
        for layer in getattr(context, "dicts", [context]):
            if isinstance(layer, dict):
                for value in layer.values():
                    walk(value)
    return list(found.values())


def problems_of(response, url: str) -> list[str]:
    html = response.content.decode()
    page = Page(html)
    out = []
    named = set()
    for value, element in page.described:
        for ref in value.split():
            named.add(ref)
            if ref not in page.ids:
                out.append(
                    f"{url}: <{element['<tag>']} id={element.get('id')!r}> aria-describedby "
                    f"names #{ref}, which is not on the page"
                )
    for ident in page.ids:
        if (ident.endswith("_helptext") or ident.endswith("_error")) and ident not in named:
            out.append(f"{url}: #{ident} is named by no aria-describedby")
    for ident in sorted(page.duplicates & (named | {"error-summary"})):
        out.append(f"{url}: id {ident!r} is on the page more than once")
    for target in page.summary_links:
        if target not in page.ids:
            out.append(f"{url}: the error summary links to #{target}, which is not on the page")
    if page.summary:
        head = html[page.summary.start() : page.summary.start() + 300]
        if 'role="alert"' not in head or 'tabindex="-1"' not in head:
            out.append(f"{url}: the error summary lacks role=alert or tabindex=-1")

    for form in forms_of(response):
        for field in form:
            ident = field.auto_id
            if not ident or field.is_hidden or ident not in page.ids:
                continue  # a form of the view not rendered here, or this field of it
            widget = page.ids[ident]
            hint_hidden = (urlsplit(url.split(" ", 1)[-1]).path, ident) in HINT_NOT_SHOWN
            if field.help_text and not hint_hidden and f"{ident}_helptext" not in page.ids:
                out.append(f"{url}: the hint of {ident} has no #{ident}_helptext")
            if not field.errors:
                continue
            if f"{ident}_error" not in page.ids:
                out.append(f"{url}: the errors of {ident} are not #{ident}_error")
            if field.use_fieldset:
                described = widget.get("aria-describedby", "")
                invalid = page.ids.get(f"{ident}_0", {}).get("aria-invalid")
            else:
                described = widget.get("aria-describedby", "")
                invalid = widget.get("aria-invalid")
            if invalid != "true":
                out.append(f"{url}: {ident} has errors but no aria-invalid=true")
            if f"{ident}_error" not in described.split():
                out.append(f"{url}: {ident} is not described by its errors ({described!r})")
            if not page.summary:
                out.append(f"{url}: {ident} has errors but the page has no #error-summary")
            elif ident not in page.summary_links:
                out.append(f"{url}: the error summary does not link to #{ident}")
        rendered = any(f.auto_id in page.ids for f in form)
        if form.non_field_errors() and rendered and not page.summary:
            out.append(f"{url}: a form error is not in an #error-summary")
    return out


def _seed():
    from pfdo.demo.seed import seed

    seed("small", generated=False)
    return True


demo_world = world_once(_seed)


def route_of(path: str):
    try:
        match = resolve(path)
    except Resolver404:
        return None, None
    # one page per view; the content editor's kinds are different forms
    words = tuple(sorted(match.kwargs.items())) if match.view_name.startswith("content:") else ()
    return match.view_name, tuple((k, v) for k, v in words if not isinstance(v, int))


def walk_as(client: Client, starts=()):
    """GET every page reachable by links (one per view), then POST every data-entry form empty.
    Returns (problems, views posted, pages checked)."""
    problems: list[str] = []
    seen_routes: set = set()
    queue = deque(["/", "/cabinet/", *starts])
    queued = set(queue)
    post_targets: dict = {}
    pages = 0
    while queue and pages < MAX_PAGES:
        url = queue.popleft()
        route = route_of(urlsplit(url).path)
        if route[0] is None or route in seen_routes:
            continue
        seen_routes.add(route)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        problems += problems_of(response, f"GET {url}")
        html = response.content.decode()
        page = Page(html)
        for form in page.forms:
            if form["method"] != "post" or not form["fields"]:
                continue
            action = form["action"] or url
            target = route_of(urlsplit(action).path)
            if target[0] and target not in post_targets:
                post_targets[target] = action
        for href in re.findall(r'<a\b[^>]*\bhref="([^"#]+)', html):
            href = href.replace("&amp;", "&")
            path = urlsplit(href).path
            if not path.startswith("/") or path.startswith("//") or SKIP.search(path):
                continue
            if href not in queued:
                queued.add(href)
                queue.append(href)
    posted = set()
    for (view_name, _), action in post_targets.items():
        response = client.post(action, {})
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        posted.add(view_name)
        problems += problems_of(response, f"POST {action}")
    return problems, posted, pages


@pytest.mark.parametrize("role", ROLES)
def test_every_form_ties_hints_and_errors_to_its_fields(demo_world, db, role):
    from pfdo.accounts.models import User

    client = Client()
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))
    # The walk starts where the role starts, and at the forms (parameterless views)
    starts = [
        reverse(name) for name in sorted(MUST_POST.get(role, ())) if name != "content:manage_create"
    ]
    problems, posted, pages = walk_as(client, starts)
    assert pages > 3, f"{role}: the walk found almost nothing ({pages} pages)"
    missing = MUST_POST.get(role, set()) - posted
    assert not missing, f"{role}: these forms were not sent empty and checked: {sorted(missing)}"
    assert not problems, "\n".join(problems[:40])


# --------------------------------------------------------------- the templates themselves

ROOT = Path(settings.BASE_DIR)
SHARED = {"templates/_field.html", "templates/_error_summary.html"}
# Hand-made on purpose, each for its reason (none of them a Django form field's hint or error):
ALLOWED = {
    # a whole import row's problems in a table cell, not a form field's
    "pfdo/certificates/templates/certificates/operator/import_report.html",
    # the attendance marks of a lesson column: checkboxes tied to a form by form="…",
    # the errors list named after the column (billing journal tests)
    "pfdo/billing/templates/billing/provider/journal.html",
    # GET filter forms written as plain inputs (no Django field hint or error list)
    "pfdo/audit/templates/audit/action_list.html",
    "pfdo/enrolment/templates/enrolment/operator/lookups.html",
    "pfdo/catalog/templates/catalog/public/list.html",
    "pfdo/providers/templates/providers/public_list.html",
}
# Rendering a field's errors or hint, an error list, a label tag, the old copies' ids
# (asking `{% if form.x.errors %}` to show something else is fine).
HAND_MADE = re.compile(
    r"\{\{[^}]*\.(errors|help_text)\b|\bin [\w.]+\.errors\b|errorlist|\blabel_tag\b"
    r"|_errors\"|_help\""
)


def test_templates_render_fields_only_through_the_shared_template():
    offenders = []
    for path in sorted(
        [*ROOT.glob("pfdo/*/templates/**/*.html"), *ROOT.glob("templates/**/*.html")]
    ):
        name = path.relative_to(ROOT).as_posix()
        if name in SHARED or name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if HAND_MADE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:120]}")
    assert not offenders, "render fields through templates/_field.html:\n" + "\n".join(offenders)


def test_the_shared_field_template_uses_the_ids_django_describes_by(rf):
    from django import forms
    from django.template.loader import render_to_string

    class Sample(forms.Form):
        email = forms.EmailField(label="Почта", help_text="Для уведомлений.")
        sex = forms.ChoiceField(
            label="Пол",
            choices=[("m", "м"), ("f", "ж")],
            widget=forms.RadioSelect,
            help_text="Как в документе.",
        )
        agree = forms.BooleanField(label="Согласен")

    form = Sample(data={"email": "нет"})
    html = "".join(
        render_to_string("_field.html", {"field": field}) for field in form
    ) + render_to_string("_error_summary.html", {"form": form})

    class FakeResponse:
        content = html.encode()
        context = [{"form": form}]

    assert problems_of(FakeResponse(), "sample") == []
    page = Page(html)
    assert page.ids["id_email"]["aria-describedby"] == "id_email_helptext id_email_error"
    assert page.ids["id_sex"]["<tag>"] == "fieldset"
    assert page.ids["id_sex"]["aria-describedby"] == "id_sex_helptext id_sex_error"
    assert page.summary_links == ["id_email", "id_sex", "id_agree"]
    # and the check can fail: the old copies' ids are refused
    broken = FakeResponse()
    broken.content = html.replace('id="id_email_error"', 'id="id_email_errors"').encode()
    assert any("id_email_error" in p for p in problems_of(broken, "old"))
