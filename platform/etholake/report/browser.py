"""Check report pages in headless Chromium over the DevTools protocol: screenshots, images, console errors."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etholake.errors import EtholakeError
from etholake.output_files import output_folder

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)
IMAGE_STATES = "JSON.stringify(Array.from(document.images, i => [i.alt, i.complete && i.naturalWidth > 0]))"
MAX_SCREENSHOT_HEIGHT = 16000


@dataclass(frozen=True)
class PageCheck:
    """What the browser saw on one page."""

    page: Path
    screenshot: Path
    images: int
    broken_images: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every image loaded and the console showed no error."""
        return not self.broken_images and not self.console_errors


def find_browser() -> str | None:
    """The first of chromium, chromium-browser, google-chrome found on PATH, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


class _DevTools:
    """A minimal synchronous DevTools client over the browser's websocket."""

    def __init__(self, url: str, timeout: float) -> None:
        from websockets.sync.client import connect

        self.socket = connect(url, max_size=None, open_timeout=timeout)
        self.timeout = timeout
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv(timeout=self.timeout))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise EtholakeError(f"browser refused {method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        if any(event.get("method") == method for event in self.events):
            return
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            event = json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            self.events.append(event)
            if event.get("method") == method:
                return
        raise EtholakeError(f"browser did not report {method} within {self.timeout:g} s")

    def close(self) -> None:
        self.socket.close()


def _console_errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        params = event.get("params", {})
        if event.get("method") == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif event.get("method") == "Runtime.exceptionThrown":
            errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif event.get("method") == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    return errors


def _devtools_url(profile: Path, process: subprocess.Popen, timeout: float) -> str:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.is_file():
            lines = port_file.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if process.poll() is not None:
            raise EtholakeError(f"browser exited with code {process.returncode} before opening DevTools")
        time.sleep(0.05)
    raise EtholakeError(f"browser did not open DevTools within {timeout:g} s")


def _check_page(devtools: _DevTools, page: Path, screenshot: Path, width: int) -> PageCheck:
    target = devtools.call("Target.createTarget", url="about:blank")["targetId"]
    session = devtools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        devtools.call(f"{domain}.enable", session)
    devtools.events.clear()
    devtools.call("Page.navigate", session, url=page.resolve().as_uri())
    devtools.wait_for("Page.loadEventFired")
    states = json.loads(
        devtools.call("Runtime.evaluate", session, expression=IMAGE_STATES, returnByValue=True)["result"]["value"]
    )
    height = devtools.call("Page.getLayoutMetrics", session)["cssContentSize"]["height"]
    devtools.call(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=int(min(max(height, 600), MAX_SCREENSHOT_HEIGHT)),
        deviceScaleFactor=1,
        mobile=False,
    )
    shot = devtools.call("Page.captureScreenshot", session, format="png")
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    errors = _console_errors(devtools.events)
    devtools.call("Target.closeTarget", targetId=target)
    return PageCheck(page, screenshot, len(states), [alt for alt, loaded in states if not loaded], errors)


def check_pages(
    pages: Sequence[str | Path],
    screenshot_dir: str | Path,
    *,
    browser: str | None = None,
    width: int = 1280,
    timeout: float = 60.0,
) -> list[PageCheck]:
    """Load each page in headless Chromium, save a full-page PNG screenshot, report broken images and errors.

    Parameters
    ----------
    pages
        HTML files to open (as ``file://`` URLs).
    screenshot_dir
        Folder for ``<page name>.png`` screenshots (created if needed).
    browser
        Browser executable; default: :func:`find_browser`.
    width
        Viewport width in CSS pixels; the height follows the page (capped at 16000 px).
    timeout
        Seconds to wait for the browser and for each page.

    Returns
    -------
    list of PageCheck
        One per page, in order.
    """
    executable = browser or find_browser()
    if executable is None:
        raise EtholakeError(f"no browser found on PATH (looked for {', '.join(BROWSERS)})")
    out = output_folder(screenshot_dir)
    profile = tempfile.mkdtemp(prefix="etholake-browser-")
    browser_temp = Path(profile, "tmp")
    browser_temp.mkdir()
    try:
        process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},900", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "TMPDIR": str(browser_temp)},
        )
        try:
            devtools = _DevTools(_devtools_url(Path(profile), process, timeout), timeout)
            try:
                return [_check_page(devtools, Path(page), out / f"{Path(page).stem}.png", width) for page in pages]
            finally:
                devtools.close()
        finally:
            _stop_browser(process)
    finally:
        _remove_profile(Path(profile))


def _stop_browser(process: subprocess.Popen) -> None:
    """Stop the browser and every process it started (renderers, utility processes write to the profile too)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _remove_profile(profile: Path, attempts: int = 50) -> None:
    """Remove the browser profile, retrying while processes that were just killed still write to it."""
    for _ in range(attempts):
        try:
            shutil.rmtree(profile)
            return
        except FileNotFoundError:
            return
        except OSError as error:
            problem = error
            time.sleep(0.1)
    warnings.warn(f"could not remove the browser profile {profile}: {problem}", stacklevel=3)
