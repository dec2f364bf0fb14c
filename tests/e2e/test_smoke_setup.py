"""The browser starts and the live server answers (the base every journey stands on)."""

import pytest

pytestmark = pytest.mark.e2e


def test_home_page_names_the_municipality(page, live_server, demo):
    page.goto(live_server.url + "/")
    assert "Воркута" in page.locator("h1").inner_text()
