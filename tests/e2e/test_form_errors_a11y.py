"""A failed submit (issue 17, item 1): the focus lands on the error summary, its links lead to
the fields, and every invalid field is described by ids that exist on the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

DESCRIBED_IDS_EXIST = """
el => (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
        .map(id => [id, !!document.getElementById(id)])
"""


def test_an_empty_application_focuses_the_error_summary(page: Page, live_server, demo):
    page.goto(live_server.url + "/certificates/apply/")
    page.locator("main form").get_by_role("button", name="Подать заявление").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("Форма заполнена с ошибками")
    # The focus is on the summary, not left at <body>.
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'error-summary'"
    )
    assert page.evaluate("document.activeElement.id") == "error-summary"

    invalid = page.locator('main form [aria-invalid="true"]')
    assert invalid.count() >= 9, "the empty application marks its required fields invalid"
    first = invalid.first
    described = first.evaluate(DESCRIBED_IDS_EXIST)
    assert described, "the first invalid field names its hint and error by aria-describedby"
    assert all(exists for _, exists in described), described
    assert any(ident.endswith("_error") for ident, _ in described), described
    # Every invalid text field, not only the first: no describedby id is missing.
    for i in range(invalid.count()):
        pairs = invalid.nth(i).evaluate(DESCRIBED_IDS_EXIST)
        assert all(exists for _, exists in pairs), pairs

    # A link of the summary moves the focus to its field.
    link = summary.locator('a[href="#id_parent_last_name"]')
    link.click()
    assert page.evaluate("document.activeElement.id") == "id_parent_last_name"
    # A choice list (a fieldset): the link leads to its first option.
    choice = page.evaluate(
        """() => [...document.querySelectorAll('#error-summary a')]
              .map(a => a.getAttribute('href').slice(1))
              .find(id => (document.getElementById(id) || {}).tagName === 'FIELDSET')"""
    )
    assert choice, "the empty application has an invalid choice list (the child's sex)"
    summary.locator(f'a[href="#{choice}"]').click()
    focused = page.evaluate(
        "() => [document.activeElement.type, document.activeElement.closest('fieldset').id]"
    )
    assert focused == ["radio", choice]
