"""What a learner's Chromium fetches for a block, and how soon the block can be used.

Bytes: the JS and CSS the page loads (network, including files a block's JavaScript adds later)
plus the inline `<style>`/`<script>` of the server's HTML, minus everything the floor page
(helloworld, which has no resources of its own) also has and minus the workbench's shared
runtime under `/static/workbench/` (jQuery, the XBlock runtime): what remains is the block's own.
Gzip is per file at level 6, as a web server would send it.

Ready: from navigation start (`performance.now()` origin) until both the load event has fired
and the block's `ready_selector` exists, i.e. the block's JavaScript has drawn what a learner
acts on. Each load uses a fresh browser context: a learner's first, uncached view.
"""

import gzip
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing off this machine is reachable; fail such requests at once instead of waiting on
    # DNS, without intercepting (and slowing) the local ones. They are reported per block.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SHARED_PREFIX = "/static/workbench/"
JS_TYPES = {"", "text/javascript", "application/javascript", "module"}

# Set up in each fresh context: records when the page has loaded and the block is drawn.
READY_SCRIPT = """
(() => {
  const selector = %s;
  let loadedAt = null, seenAt = null;
  const settle = () => {
    if (seenAt === null && document.querySelector(selector)) seenAt = performance.now();
    if (loadedAt !== null && seenAt !== null && window.__benchReady === undefined) {
      window.__benchReady = Math.max(loadedAt, seenAt);
    }
  };
  new MutationObserver(settle).observe(document, {childList: true, subtree: true});
  addEventListener("load", () => { loadedAt = performance.now(); settle(); });
})();
"""


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


class _InlineResources(HTMLParser):
    """Collects the text of inline `<style>` and JavaScript `<script>` elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[str, str]] = []
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "style" or (
            tag == "script"
            and "src" not in attributes
            and (attributes.get("type") or "").lower() in JS_TYPES
        ):
            self._open, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open == tag:
            self.found.append((tag, "".join(self._text)))
            self._open = None


def inline_resources(html: str) -> list[tuple[str, str]]:
    parser = _InlineResources()
    parser.feed(html)
    return parser.found


@dataclass
class PageLoad:
    """The JS/CSS one page load fetched, its inline resources and failed requests."""

    files: dict[str, bytes] = field(default_factory=dict)  # URL path -> body
    inline: list[tuple[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def load_page(browser: Browser, url: str, ready_selector: str) -> PageLoad:
    """Load `url` once in a fresh context and collect its JS and CSS."""
    context = browser.new_context()
    try:
        page = context.new_page()
        responses = []
        load = PageLoad()
        page.on(
            "response",
            lambda r: (
                responses.append(r) if r.request.resource_type in ("script", "stylesheet") else None
            ),
        )
        page.on("requestfailed", lambda r: load.failed.append(r.url))
        document = page.goto(url, wait_until="load")
        if document is None or document.status != 200:
            raise AssertionError(f"{url}: HTTP {document and document.status}")
        page.wait_for_selector(ready_selector, state="attached", timeout=30_000)
        page.wait_for_load_state("networkidle")
        load.inline = inline_resources(document.text())
        for response in responses:
            if response.ok:
                load.files[urlsplit(response.url).path] = response.body()
        return load
    finally:
        context.close()


def own_bytes(block: PageLoad, floor: PageLoad) -> dict:
    """The block's own JS and CSS: raw and gzipped totals, and the list of what was counted."""
    items = []
    for path, body in block.files.items():
        if path.startswith(SHARED_PREFIX) or path in floor.files:
            continue
        items.append({"resource": path, "raw": len(body), "gzip": len(gzip.compress(body, 6))})
    floor_inline = set(floor.inline)
    for index, (tag, text) in enumerate(block.inline):
        if (tag, text) in floor_inline:
            continue
        body = text.encode()
        items.append(
            {
                "resource": f"inline <{tag}> #{index}: {' '.join(text.split())[:60]}",
                "raw": len(body),
                "gzip": len(gzip.compress(body, 6)),
            }
        )
    return {
        "raw_bytes": sum(i["raw"] for i in items),
        "gzip_bytes": sum(i["gzip"] for i in items),
        "resources": items,
    }


def time_ready(browser: Browser, url: str, ready_selector: str) -> float:
    """Milliseconds from navigation start until loaded and `ready_selector` present."""
    context = browser.new_context()
    try:
        context.add_init_script(READY_SCRIPT % json.dumps(ready_selector))
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_function("window.__benchReady !== undefined", timeout=30_000)
        return float(page.evaluate("window.__benchReady"))
    finally:
        context.close()


def measure_ready(
    browser: Browser, pages: list[tuple[str, str, str]], rounds: int, warmup: int = 2
) -> dict[str, list[float]]:
    """(name, url, selector) pages timed interleaved, rotating the order each round."""
    samples: dict[str, list[float]] = {name: [] for name, _url, _sel in pages}
    for round_no in range(-warmup, rounds):
        start_at = round_no % len(pages)
        for name, url, selector in pages[start_at:] + pages[:start_at]:
            elapsed = time_ready(browser, url, selector)
            if round_no >= 0:
                samples[name].append(elapsed)
    return samples
