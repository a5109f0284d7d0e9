"""JupyterLab in a real browser, as a student and an instructor use it.

One ``jupyter lab`` server per module, rooted at a tiny nbgrader course (one topic, t05):
the course folder also holds the untouched release notebook and a copy filled with the
reference solution. Debian's chromium, driven by Playwright, runs every cell of both
notebooks through the Run menu and reads the rendered outputs; then it opens the formgrader
and nbgrader's assignment list. Screenshots go to ``build/screenshots/``.

Needs ``/usr/bin/chromium`` and the ``playwright`` package (``.ci/browser-deps`` installs
both); never a browser downloaded by ``playwright install``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.build import prepare_course
from autograder.mutation import reference_cell, submission_notebook
from autograder.topics import ROOT, get_topic

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]  # one server and browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} missing: run .ci/browser-deps (installs Debian's chromium)", allow_module_level=True)
try:
    from playwright.sync_api import Page, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:
    pytest.skip("playwright missing: run .ci/browser-deps (pip installs it into .venv)", allow_module_level=True)

SLUG = "t05_attention"
COURSE_ID = "mmqb"  # nbgrader_config.py
BIN = Path(sys.executable).parent
SHOTS = ROOT / "build" / "screenshots"
UNTOUCHED = f"{SLUG}_untouched.ipynb"
FILLED = f"{SLUG}_filled.ipynb"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 120  # s, until /api/status answers
RUN_TIMEOUT = 180  # s, for a whole notebook (TensorFlow's import alone can take 20 s on a busy box)
UI_TIMEOUT = 60_000  # ms, for a page element to show up

# JupyterLab user settings for the test server: keep every cell in the DOM (the default
# windowing mode may detach cells scrolled out of view) and ask nothing about news.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


@dataclass
class Server:
    url: str
    token: str
    root: Path
    log: Path

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def page_url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={self.token}"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TF_CPP_MIN_LOG_LEVEL="2",
        TF_ENABLE_ONEDNN_OPTS="0",
        PATH=str(BIN) + os.pathsep + env.get("PATH", ""),
        # Isolated from the user's Jupyter config, settings, workspaces and runtime files;
        # the server extensions are enabled in the venv's etc/jupyter, which still applies.
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"),
        IPYTHONDIR=str(home / "ipython"),
    )
    return env


def _nbgrader(course: Path, env: dict[str, str], *args: str) -> None:
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"


def _make_course(base: Path, env: dict[str, str]) -> Path:
    """A one-topic course, generated and released to a private exchange, plus two notebooks."""
    course = base / "course"
    prepare_course(course, [get_topic(SLUG)])
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(
            "\n# test_browser.py: a private exchange and cache instead of /srv and ~.\n"
            f"c.Exchange.root = {str(base / 'exchange')!r}\n"
            f"c.Exchange.cache = {str(base / 'cache')!r}\n"
        )
    _nbgrader(course, env, "generate_assignment", SLUG, "--force", "--create")
    _nbgrader(course, env, "release_assignment", SLUG, "--force")
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    nbformat.write(release, course / UNTOUCHED)
    nbformat.write(submission_notebook(release, reference_cell(SLUG)), course / FILLED)
    return course


def _stop(proc: subprocess.Popen, server: Server) -> None:
    """Shut the server down cleanly (it stops its kernels), then kill its process group."""
    if proc.poll() is None:
        try:
            server.api("/api/shutdown", method="POST")
            proc.wait(timeout=30)
        except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=15)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    home = base / "home"
    for name, settings in LAB_SETTINGS.items():
        path = home / "lab-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings), encoding="utf-8")
    env = _env(home)
    course = _make_course(base, env)
    port, token = _free_port(), secrets.token_hex(16)
    srv = Server(url=f"http://127.0.0.1:{port}", token=token, root=course, log=base / "jupyter.log")
    cmd = [
        str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={course}",
        "--ServerApp.port_retries=0", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    with open(srv.log, "wb") as log:
        # cwd = course: the formgrader reads nbgrader_config.py from the server's cwd.
        proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{srv.log_tail()}")
            try:
                srv.api("/api/status")
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer /api/status in {START_TIMEOUT} s:\n{srv.log_tail()}")
                time.sleep(0.5)
        yield srv
    finally:
        _stop(proc, srv)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium for the module, with a fresh profile."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(UI_TIMEOUT)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def _screenshot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path))
    return path


def _kernel_idle(server: Server, name: str) -> bool:
    """Whether the kernel of the notebook ``name`` (its session's) is idle."""
    sessions = [s for s in server.api("/api/sessions") if s["path"] == name]
    return bool(sessions) and all(s["kernel"]["execution_state"] == "idle" for s in sessions)


# The notebook on show (others may be open in hidden tabs).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
# Every code cell's prompt: "[ ]:" (never run), "[*]:" (queued or running), "[3]:" (done).
_PROMPTS_JS = f"""() => [...document.querySelectorAll('{NOTEBOOK} .jp-CodeCell .jp-InputArea-prompt')]
    .map(e => e.textContent.trim())"""


def _accept_kernel_dialog(page: Page) -> None:
    """Accept JupyterLab's "Select Kernel" dialog if it shows (it does when a kernel start is
    slow or a previous session is restored); its default choice is the notebook's kernel."""
    dialog = page.locator(".jp-Dialog").filter(has=page.locator(".jp-Dialog-header", has_text="Select Kernel"))
    if dialog.count() and dialog.first.is_visible():
        dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
        dialog.first.wait_for(state="detached", timeout=UI_TIMEOUT)


def _run_all_cells(page: Page, name: str, attempts: int = 3) -> None:
    """Click Run > Run All Cells until a cell is queued (the item is disabled, or the click
    lost, while JupyterLab is still making the notebook the current widget)."""
    item = page.locator(".lm-Menu-item:not(.lm-mod-disabled)").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
    )
    for _ in range(attempts):
        _accept_kernel_dialog(page)
        page.locator(f"{NOTEBOOK} .jp-Cell").first.click(timeout=UI_TIMEOUT)  # focus it, as a user would
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        try:
            item.click(timeout=10_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any("*" in p or re.search(r"\d", p) for p in page.evaluate(_PROMPTS_JS)):
                return
            time.sleep(0.5)
    shot = _screenshot(page, f"{Path(name).stem}-not-started.png")
    pytest.fail(f"{name}: Run All Cells started no cell in {attempts} attempts; see {shot}")


def _run_all(page: Page, server: Server, name: str) -> str:
    """Open ``name`` in JupyterLab, Run > Run All Cells, wait until done; the outputs' text."""
    # A workspace of its own, so JupyterLab does not restore the other notebook's tab.
    page.goto(server.page_url(f"/lab/workspaces/{Path(name).stem}/tree/{name}?reset"))
    page.wait_for_selector(f"{NOTEBOOK} .jp-CodeCell", timeout=UI_TIMEOUT)
    _accept_kernel_dialog(page)
    # The kernel has started once the notebook's execution indicator says so.
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=RUN_TIMEOUT * 1000)
    _run_all_cells(page, name)
    # Queued cells show [*] at once; done when none does, some ran, and the kernel is idle.
    deadline = time.monotonic() + RUN_TIMEOUT
    settled = 0
    while settled < 2:
        prompts = page.evaluate(_PROMPTS_JS)
        done = (
            prompts
            and not any("*" in p for p in prompts)
            and any(re.search(r"\[\d+\]", p) for p in prompts)
            and _kernel_idle(server, name)
        )
        settled = settled + 1 if done else 0
        if time.monotonic() > deadline:
            shot = _screenshot(page, f"{Path(name).stem}-timeout.png")
            pytest.fail(
                f"{name}: cells not done after {RUN_TIMEOUT} s; prompts {prompts}; see {shot}\n{server.log_tail()}"
            )
        time.sleep(1)
    return "\n".join(page.locator(f"{NOTEBOOK} .jp-OutputArea-output").all_inner_texts())


def test_untouched_notebook_shows_not_implemented_error(server, page):
    text = _run_all(page, server, UNTOUCHED)
    assert "NotImplementedError" in text, text[-3000:]
    page.locator(f"{NOTEBOOK} .jp-OutputArea-output", has_text="NotImplementedError").last.scroll_into_view_if_needed()
    _screenshot(page, "untouched.png")


def test_filled_notebook_passes_every_check(server, page):
    text = _run_all(page, server, FILLED)
    nb = nbformat.read(server.root / FILLED, as_version=4)
    graded = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    passed = re.findall(r"All (?:visible )?checks of (\w+) passed", text)
    assert len(passed) == len(graded), f"{passed} for {len(graded)} graded cells:\n{text[-3000:]}"
    assert "[PASS]" in text
    for bad in ("[FAIL]", "NotImplementedError", "AssertionError", "Traceback"):
        assert bad not in text, f"{bad} in the outputs:\n{text[-3000:]}"
    # View > Collapse All Code: the screenshot then shows every check's verdict at once.
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^View$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Collapse All Code$")).click()
    first = page.locator(f"{NOTEBOOK} .jp-OutputArea-output", has_text="[PASS]").first
    first.evaluate("e => e.closest('.jp-Cell').scrollIntoView({block: 'start'})")
    _screenshot(page, "filled.png")


def test_instructor_sees_assignment_in_formgrader_and_assignment_list(server, page):
    # Formgrader: "Manage Assignments" lists the generated (and released) assignment.
    page.goto(server.page_url("/formgrader"))
    row = page.locator("tr", has_text=SLUG).first
    row.wait_for(timeout=UI_TIMEOUT)
    assert SLUG in page.inner_text("body")
    _screenshot(page, "formgrader.png")

    # The assignment list's server endpoint, as the labextension calls it.
    listing = server.api(f"/assignments?course_id={COURSE_ID}")
    assert listing["success"], listing
    assert any(a["assignment_id"] == SLUG and a["status"] == "released" for a in listing["value"]), listing

    # JupyterLab: Nbgrader > Assignment List opens the "Assignments" panel.
    page.goto(server.page_url("/lab"))
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Assignment List$")).click()
    panel = page.locator("#nbgrader-assignment-list")
    panel.get_by_text(SLUG).first.wait_for(timeout=UI_TIMEOUT)
    assert SLUG in panel.inner_text()
    _screenshot(page, "assignments.png")


def _report_page(path: Path) -> None:
    """A report of a constructed 30-assignment, four-student course (no nbgrader, no notebook run)."""
    from autograder.course.exports import Row
    from autograder.report import render_html, summarise
    from autograder.results import CheckResult, SubmissionResult

    skill = {"alice": 6, "bob": 0, "carol": 4, "dave": 2}  # checks passed of six
    rows = []
    for n in range(1, 31):
        assignment = f"t{n:02d}_topic"
        for student, passes in skill.items():
            tests = [CheckResult(f"check_{k}", "g", k >= 3, k < passes, "" if k < passes else "wrong")
                     for k in range(6)]
            status = "crashed" if student == "bob" else "ok"
            result = SubmissionResult(path="x.ipynb", slug=assignment, status=status, message="", score=passes * 1.0,
                                      max_score=6.0, tests=tests, execution_time=1.0 + n % 7 + passes)
            rows.append(Row(assignment, student, passes * 1.0, 6.0, status, "", result.execution_time, result))
    summary = summarise(rows, path)
    path.write_text(render_html(path.parent, "sqlite:///gradebook.db", rows, summary, 0), encoding="utf-8")


def test_report_is_readable_at_a_glance(browser, tmp_path):
    """The students are on the first screen, and 30 assignments make a page of a few screens, not 30."""
    html = tmp_path / "report.html"
    _report_page(html)
    page = browser.new_page()
    try:
        page.goto(html.as_uri())
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 6000, height  # the per-topic charts made ~29,000 px for the demo's 30 topics
        table = page.locator("#student-table")
        box = table.bounding_box()
        assert box is not None and box["y"] + box["height"] < 1000  # whole table in the first 1000 px
        assert page.locator("#student-table td.student").all_inner_texts() == ["bob", "dave", "carol", "alice"]
        _screenshot(page, "report-top.png")
    finally:
        page.close()
