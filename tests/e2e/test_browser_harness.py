"""The Chromium harness itself: every openvidu-browser bundle loads and gets the fake camera and mic."""

from __future__ import annotations

import pytest

from tests.support.browser import BUNDLE_VERSIONS, Browser, StaticServer

pytestmark = [pytest.mark.e2e]


@pytest.mark.parametrize("version", sorted(BUNDLE_VERSIONS))
def test_bundle_loads_and_gets_fake_devices(browser: Browser, pages: StaticServer, version: str) -> None:
    page = browser.open(pages.page_url(version))
    try:
        assert page.wait_for("ovLoaded()", timeout=20), page.log_text()
        assert page.eval("ovLibraryVersion()") == BUNDLE_VERSIONS[version]
        media = page.eval("ovInitPublisher()", timeout=30)
        assert media["audioTracks"] == 1, page.log_text()
        assert media["videoTracks"] == 1, page.log_text()
        # The fake capture device announces itself; a real camera would not be there in a netns anyway.
        assert media["videoLabel"], media
        assert page.errors == [], page.log_text()
    finally:
        page.close()


def test_driver_reports_javascript_errors(browser: Browser, pages: StaticServer) -> None:
    page = browser.open(pages.page_url("2.10"))
    try:
        with pytest.raises(Exception, match="boom"):
            page.eval("(async () => { throw new Error('boom'); })()")
        with pytest.raises(Exception, match="Timeout"):
            page.wait_for("false", timeout=0.5)
        page.eval("console.log('hello from the page')")
        assert page.wait_for("true") is True
    finally:
        page.close()
    assert any(line.text == "hello from the page" for line in page.console)
