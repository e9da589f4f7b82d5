"""The explorer in a real browser: JupyterLab on 127.0.0.1 + Debian chromium driven by Playwright.

Runs ``explorer_demo.ipynb`` (a model with heads in a plain list), clicks the unregistered head in
the SVG and checks the kernel saw it (an ipywidgets Label and a file written by a Python
observer), then sets the selection from Python (a Button) and checks both views highlight it.
Screenshot: ``build/screenshots/explorer.png``. A second test switches JupyterLab to its dark
theme and checks the explorer's text contrast (``build/screenshots/explorer-dark.png``). Skips
without chromium, playwright or jupyterlab.
"""

import json
import os
import pathlib
import re
import shutil
import time
import urllib.request

import pytest

from tests.jupyterlab import CHROMIUM, CHROMIUM_FLAGS as FLAGS, running_lab

UNUSED_SERVER_EXTENSIONS = [
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
    "jupyter_lsp",
    "voila.server_extension",
    "jupyter_server_terminals",
]
HERE = pathlib.Path(__file__).parent
REPO = HERE.parents[1]
SHOTS = REPO / "build" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free port with a token, scratch JUPYTER_* dirs; always stopped."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed")
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    shutil.copy(HERE / "explorer_demo.ipynb", root / "explorer_demo.ipynb")
    selection_file = base / "selection.txt"
    env = dict(os.environ)
    for name in ("CONFIG", "DATA", "RUNTIME"):
        env[f"JUPYTER_{name}_DIR"] = str(base / name.lower())
    env["IPYTHONDIR"] = str(base / "ipython")
    # server extensions this test does not need cost seconds at start-up and shutdown
    (base / "config").mkdir()
    (base / "config" / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {
                    "jpserver_extensions": {name: False for name in UNUSED_SERVER_EXTENSIONS}
                }
            }
        )
    )
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["D2LMODS_SELECTION_FILE"] = str(selection_file)
    with running_lab(base, root, env, start_seconds=45) as (url, token):
        yield {
            "url": url,
            "token": token,
            "selection": selection_file,
            "log": base / "server.log",
            "config": base / "config",
            "root": root,
        }


def run_all_cells(page, tries=4):
    """Run > Run All Cells, again if it was dropped: on a busy machine the kernel can still be
    starting (JupyterLab then asks which kernel to use; the notebook's own is accepted)."""
    started = page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]")).first
    for _ in range(tries):
        accept_dialog(page)
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        accept_dialog(page, wait_ms=1_000)
        try:
            started.wait_for(timeout=15_000)
            return
        except Exception:
            page.keyboard.press("Escape")
    pytest.fail("JupyterLab never ran the demo notebook's cells")


def wait_for_connected_kernel(lab, timeout=60):
    """Until the server has one idle kernel with the page connected to it: clicking Run before
    that can race JupyterLab's own kernel start-up (it then starts and drops a second one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(
            f"{lab['url']}/api/kernels?token={lab['token']}", timeout=5
        ) as r:
            kernels = json.load(r)
        if (
            len(kernels) == 1
            and kernels[0]["execution_state"] == "idle"
            and kernels[0]["connections"] >= 1
        ):
            return
        time.sleep(0.3)
    pytest.fail(f"no kernel became ready; server says {kernels}")


def accept_dialog(page, wait_ms=0):
    """Accept a modal dialog such as "Select Kernel" (its default is the notebook's kernel)."""
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.first.wait_for(timeout=wait_ms) if wait_ms else None
    except Exception:
        return
    if dialog.count():
        dialog.locator(".jp-mod-accept").first.click()
        page.wait_for_timeout(500)


def dismiss_news(page):
    """The "official Jupyter news?" toast can cover the widget; answer it."""
    no = page.get_by_role("button", name="No", exact=True)
    if no.count():
        no.first.click()


def test_explorer_selection_round_trip_in_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.on("pageerror", lambda e: errors.append(str(e)))
            try:
                drive(page, lab, expect)
            except BaseException:  # pytest.fail is not an Exception
                page.screenshot(path=str(SHOTS / "explorer-failure.png"))
                raise
        finally:
            browser.close()
    assert errors == [], errors
    assert (SHOTS / "explorer.png").stat().st_size > 10_000


def drive(page, lab, expect):
    """Open the notebook, run it, and check the selection in both directions."""
    page.goto(f"{lab['url']}/lab/tree/explorer_demo.ipynb?reset&token={lab['token']}")
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=45_000)
    wait_for_connected_kernel(lab)
    run_all_cells(page)
    dismiss_news(page)
    main = page.locator(".d2lm-explorer").first  # the second one is the no-dot explorer

    head = main.locator(".d2lm-drawing g.node[id='heads[0]']").first
    head.wait_for(timeout=45_000)
    head.scroll_into_view_if_needed()
    # the unregistered head is drawn red and dashed, and the tree badges it
    assert "unregistered" in head.get_attribute("class")
    expect(main.locator(".d2lm-tree .d2lm-item.unregistered")).to_have_count(2)

    # click in the SVG -> the kernel's observer sees it
    head.click()
    expect(page.locator(".sel-label")).to_contain_text("selected: heads[0]", timeout=15_000)
    expect(main.locator(".d2lm-detail")).to_contain_text("self.heads = nn.ModuleList")
    assert "heads[0]" in lab["selection"].read_text().split()

    # click in the tree -> kernel, and the SVG node is highlighted
    main.locator(".d2lm-tree .d2lm-item[data-path='heads[1]']").click()
    expect(page.locator(".sel-label")).to_contain_text("selected: heads[1]", timeout=15_000)
    expect(main.locator(".d2lm-drawing g.d2lm-selected")).to_have_attribute("id", "heads[1]")

    # set from Python (a Button's callback assigns w.selected) -> both views follow
    page.locator(".select-body button, button.select-body").first.click()
    expect(main.locator(".d2lm-tree .d2lm-item.d2lm-selected")).to_contain_text(
        "body: Linear", timeout=15_000
    )
    expect(main.locator(".d2lm-drawing g.d2lm-selected")).to_have_attribute("id", "body")
    expect(main.locator(".d2lm-detail")).to_contain_text("(2, 4) \u2192 (2, 8)")

    # the refresh button asks the kernel to analyse again; the selection survives
    page.evaluate("document.querySelector('.d2lm-drawing svg').setAttribute('data-old', '1')")
    main.locator(".d2lm-bar button", has_text="refresh").click()
    expect(main.locator(".d2lm-drawing svg[data-old]")).to_have_count(0)  # redrawn
    expect(main.locator(".d2lm-drawing g.d2lm-selected")).to_have_attribute("id", "body")

    main.locator(".d2lm-drawing g.node[id='heads[0]']").click()
    expect(page.locator(".sel-label")).to_contain_text("selected: heads[0]", timeout=15_000)
    page.locator(".d2lm-explorer").first.screenshot(path=str(SHOTS / "explorer.png"))

    # the third cell: an explorer built where `dot` is not on PATH
    fallback = page.locator(".d2lm-explorer").nth(1)
    expect(fallback.locator(".d2lm-hint")).to_contain_text("install Graphviz")
    expect(fallback.locator(".d2lm-drawing pre")).to_contain_text("heads[0]: Linear")
    fallback.locator(".d2lm-tree .d2lm-item[data-path='heads[1]']").click()
    expect(fallback.locator(".d2lm-detail")).to_contain_text("NOT registered (plain list 'heads')")
    fallback.screenshot(path=str(SHOTS / "explorer-no-dot.png"))
    page.screenshot(path=str(SHOTS / "explorer-lab.png"))


# The WCAG contrast ratio between an element's text colour and the first opaque background
# behind it (computed styles, so JupyterLab's theme variables are resolved).
CONTRAST_JS = """
(el) => {
  const rgb = (s) => (s.match(/[0-9.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = null;
  for (let n = el; n && !bg; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length >= 3 && (c.length === 3 || c[3] > 0.5)) bg = c;
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color);
  const [a, b] = [lum(fg) + 0.05, lum(bg) + 0.05];
  return Math.max(a, b) / Math.min(a, b);
}
"""


def test_explorer_is_readable_in_the_dark_theme(lab):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    settings = lab["config"] / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    theme = settings / "themes.jupyterlab-settings"
    theme.write_text(json.dumps({"theme": "JupyterLab Dark"}))
    errors = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                page.on("pageerror", lambda e: errors.append(str(e)))
                try:
                    check_dark(page, lab)
                except BaseException:
                    page.screenshot(path=str(SHOTS / "explorer-dark-failure.png"))
                    raise
            finally:
                browser.close()
    finally:
        theme.unlink()
    assert errors == [], errors


def check_dark(page, lab):
    page.goto(f"{lab['url']}/lab/tree/explorer_demo.ipynb?reset&token={lab['token']}")
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=45_000)
    assert page.evaluate("document.body.dataset.jpThemeLight") == "false"  # JupyterLab Dark
    wait_for_connected_kernel(lab)
    run_all_cells(page)
    dismiss_news(page)
    main = page.locator(".d2lm-explorer").first
    main.locator(".d2lm-drawing g.node[id='heads[0]']").first.wait_for(timeout=45_000)
    main.scroll_into_view_if_needed()
    registered = main.locator(".d2lm-tree .d2lm-item.registered").first
    assert registered.evaluate(CONTRAST_JS) >= 4.5  # readable body text (WCAG AA)
    hidden = main.locator(".d2lm-tree .d2lm-item.unregistered").first
    assert hidden.evaluate(CONTRAST_JS) >= 3
    hidden.click()
    detail = main.locator(".d2lm-detail h4")
    detail.wait_for(timeout=15_000)
    assert detail.evaluate(CONTRAST_JS) >= 4.5
    assert main.locator(".d2lm-bar .d2lm-title").evaluate(CONTRAST_JS) >= 4.5
    main.screenshot(path=str(SHOTS / "explorer-dark.png"))


STORED_CELL = """\
import warnings
import d2lmods
from d2lmods import nn
from d2lmods.viz import explore

with warnings.catch_warnings():
    warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    net.extra = [nn.Linear(8, 2)]
explore(net)
"""


def test_a_stored_explorer_output_says_what_it_is_before_it_runs(lab):
    """A notebook saved with an explorer output, opened (untrusted, not run) in JupyterLab."""
    import nbformat
    from nbclient import NotebookClient
    from playwright.sync_api import expect, sync_playwright

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(STORED_CELL))
    NotebookClient(nb, timeout=120, store_widget_state=False).execute()
    nbformat.write(nb, lab["root"] / "stored.ipynb")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"{lab['url']}/lab/tree/stored.ipynb?reset&token={lab['token']}")
            output = page.locator(".jp-OutputArea-output").first
            output.wait_for(timeout=45_000)
            expect(output).to_contain_text("Model explorer of Sequential", timeout=15_000)
            expect(output).to_contain_text("run the notebook in Jupyter")
            text = output.inner_text()
            assert "object at 0x" not in text and "Error displaying widget" not in text
            assert "extra[0]: Linear" in text  # the tree of the static copy
            image = output.locator("img.d2lm-drawing-image")  # kept by the sanitizer
            assert image.evaluate("(img) => img.complete && img.naturalWidth") > 100
            output.screenshot(path=str(SHOTS / "explorer-stored.png"))
        finally:
            browser.close()
