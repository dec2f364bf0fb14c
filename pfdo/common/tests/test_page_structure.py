"""The structure of every page a role can reach (issue 17): one h1, no heading level skipped
going down, tables with a caption and no empty header cell, skip links whose target exists,
the persistent live region outside every htmx-swapped part, and every region named.

Each role's pages are found the way a user finds them: from its home page and menu, then the
links on those pages (one step further), on the demo seeded once for the module.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client

from pfdo.common.tests.worlds import world_once

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
# Not pages: downloads, the API, the log-out form's target, the admin, print-only documents
# that are checked below on their own.
SKIP_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/accounts/logout", "/compat/")
MAX_PAGES = 70


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        out = []
        for child in self.children:
            out.append(child if isinstance(child, str) else child.text())
        return " ".join("".join(out).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class Tree(HTMLParser):
    """A forgiving DOM: enough of one to read headings, tables and attributes."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.current = self.root
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def accessible_name(node: Node, tree: Tree) -> str:
    label = (node.attrs.get("aria-label") or "").strip()
    if label:
        return label
    ids = (node.attrs.get("aria-labelledby") or "").split()
    by_id = {n.attrs.get("id"): n for n in tree.root.iter() if n.attrs.get("id")}
    return " ".join(by_id[i].text() for i in ids if i in by_id).strip()


def structure_problems(html: str) -> list[str]:
    tree = Tree(html)
    nodes = list(tree.root.iter())
    problems = []
    ids = {n.attrs["id"] for n in nodes if n.attrs.get("id")}
    headings = [n for n in nodes if n.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}]
    h1s = [n for n in headings if n.tag == "h1"]
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} h1 elements")
    level = 0
    for h in headings:
        this = int(h.tag[1])
        if this > level + 1:
            problems.append(f"heading skips from h{level} to h{this}: {h.text()[:60]!r}")
        level = this
    for table in (n for n in nodes if n.tag == "table"):
        captions = [c for c in table.children if isinstance(c, Node) and c.tag == "caption"]
        if not captions or not captions[0].text():
            problems.append(f"table without a caption: {table.attrs}")
        for th in (n for n in table.iter() if n.tag == "th"):
            if not th.text() and not (th.attrs.get("aria-label") or "").strip():
                problems.append(f"empty <th> in table {table.attrs}")
    skips = [n for n in nodes if "skip-link" in (n.attrs.get("class") or "").split()]
    if not skips:
        problems.append("no skip link")
    for link in skips:
        target = (link.attrs.get("href") or "").lstrip("#")
        if target not in ids:
            problems.append(f"skip link to missing #{target}")
    live = [n for n in nodes if n.attrs.get("id") == "live-status"]
    if len(live) != 1:
        problems.append(f"{len(live)} #live-status regions")
    else:
        targets = {
            (n.attrs.get("hx-target") or "").lstrip("#") for n in nodes if n.attrs.get("hx-target")
        }
        for anc in live[0].ancestors():
            if anc.attrs.get("id") in targets or "hx-target" in anc.attrs:
                problems.append(f"#live-status inside the swapped #{anc.attrs.get('id')}")
        attrs = live[0].attrs
        if attrs.get("role") != "status" or attrs.get("aria-live") != "polite":
            problems.append("#live-status is not a polite status region")
    for node in nodes:
        if node.attrs.get("role") == "region" and not accessible_name(node, tree):
            problems.append(f"unnamed region <{node.tag} {node.attrs}>")
        focusable_box = node.attrs.get("tabindex") == "0" and node.tag in {"div", "section"}
        if focusable_box and (
            node.attrs.get("role") != "region" or not accessible_name(node, tree)
        ):
            problems.append(f"focusable <{node.tag}> without a named region role")
    return problems


def links_of(html: str) -> list[str]:
    out = []
    for node in Tree(html).root.iter():
        if node.tag != "a" or "download" in node.attrs:
            continue
        href = node.attrs.get("href") or ""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(SKIP_PREFIXES):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def _seed():
    from pfdo.demo.seed import seed

    seed("small", generated=False)
    return True


demo_world = world_once(_seed)

ROLES = ["anonymous", "parent", "provider", "operator", "payer", "expert", "region"]
# Pages each role must have been shown (the issue names them), whatever else the crawl finds.
MUST = {
    "anonymous": ["/", "/catalog/", "/catalog/N/", "/providers/", "/providers/N/"],
    "provider": ["/cabinet/provider/billing/journal/N/"],
    "payer": ["/cabinet/billing/", "/cabinet/billing/reconciliation/"],
    "operator": ["/cabinet/certificate-applications/"],
}
START = [
    "/",
    "/catalog/",
    "/providers/",
    "/enrolment-check/",
    "/certificates/apply/status/",
    "/news/",
    "/certificates/apply/",
]


def crawl(client: Client, start: list[str]) -> dict[str, str]:
    """Pages reachable in two steps from the start pages: one address per kind of page (paths
    that differ only in their numbers are the same template: /catalog/1/ and /catalog/2/)."""
    seen_paths: set[str] = set()
    pages: dict[str, str] = {}
    frontier = list(start)
    for _depth in range(3):
        following = []
        for url in frontier:
            path = re.sub(r"\d+", "N", urlsplit(url).path)
            if path in seen_paths or len(pages) >= MAX_PAGES:
                continue
            seen_paths.add(path)
            response = client.get(url)
            if response.status_code != 200:
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            html = response.content.decode()
            if "<html" not in html[:300]:
                continue  # an htmx fragment or an embedded document
            pages[url] = html
            following += links_of(html)
        frontier = following
    return pages


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_well_structured(demo_world, db, role):
    from pfdo.accounts.models import User

    client = Client()
    start = list(START)
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))
        start = ["/cabinet/", *start]
    if role == "provider":
        start.append("/cabinet/provider/billing/journal/")
    pages = crawl(client, start)
    kinds = {re.sub(r"\d+", "N", urlsplit(url).path) for url in pages}
    assert set(MUST.get(role, [])) <= kinds, sorted(kinds)
    assert len(pages) >= (5 if role == "anonymous" else 10), sorted(pages)
    failures = {url: p for url, html in pages.items() if (p := structure_problems(html))}
    assert not failures, "\n".join(f"{url}: {p}" for url, p in failures.items())


def test_error_pages_are_structured_too(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert structure_problems(response.content.decode()) == []


def test_the_checker_catches_what_it_is_for():
    """The checker must fail a page with each of the faults it looks for."""
    bad = (
        '<html><body><a class="skip-link" href="#nowhere">x</a>'
        '<div id="results" hx-target="#results"><div id="live-status" role="status"'
        ' aria-live="polite"></div></div><main><h1>A</h1><h3>B</h3>'
        "<table><tr><th></th><td>1</td></tr></table>"
        '<div role="region">x</div><div tabindex="0">y</div></main></body></html>'
    )
    problems = " | ".join(structure_problems(bad))
    for fault in ("skip link to missing #nowhere", "skips from h1 to h3", "without a caption",
                  "empty <th>", "inside the swapped", "unnamed region", "focusable <div>"):  # fmt: skip
        assert fault in problems, (fault, problems)
    assert "2 h1" in " ".join(structure_problems("<h1>a</h1><h1>b</h1>"))
