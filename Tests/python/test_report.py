# test_report.py: the HTML report of a matmul run, opened in headless Chromium: one track per engine and DMA
# queue, every instruction a labelled box; a screenshot is written to .build/python-report/matmul_report.png.
import html.parser
import os
import shutil
import subprocess

import ml_dtypes
import numpy as np
import pytest

import kiln
from api_support import EXAMPLES, REPO, requires_library, rng

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [requires_library, pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test installs it)")]
OUTPUT = REPO / ".build" / "python-report"


class Page(html.parser.HTMLParser):
    """The tracks of a report page and the boxes in each: {track: [(label, tooltip), ...]}; and what it loads."""

    def __init__(self):
        super().__init__()
        self.tracks, self.loads = {}, []
        self._track, self._box, self._in_title, self._depth = None, None, False, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = attrs.get("class", "").split()
        if tag in ("script", "link", "img", "iframe") or "src" in attrs:
            self.loads.append(tag)
        if tag == "g" and "kiln-track" in classes:
            self._track = attrs["data-track"]
            self.tracks[self._track] = []
        elif tag == "g" and "kiln-box" in classes:
            self._box = [attrs.get("data-label", ""), ""]
        elif tag == "title" and self._box is not None:
            self._in_title = True

    def handle_data(self, data):
        if self._in_title:
            self._box[1] += data

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "g" and self._box is not None:
            self.tracks[self._track].append(tuple(self._box))
            self._box = None
        elif tag == "g":
            self._track = None


def chromium(*arguments, tmp_path):
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1250,1500", *arguments],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def matmul_run():
    a = rng(1).standard_normal((256, 512)).astype(ml_dtypes.bfloat16)
    b = rng(2).standard_normal((512, 512)).astype(ml_dtypes.bfloat16)
    return kiln.compile(EXAMPLES / "matmul.kiln").run(a, b, backend="sim")


def test_report_opens_with_a_track_per_engine_and_dma_queue(tmp_path):
    run = matmul_run()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    report = OUTPUT / "matmul_report.html"
    run.report(report)
    page = Page()
    page.feed(chromium("--dump-dom", report.as_uri(), tmp_path=tmp_path))
    assert page.loads == [], "the report must load nothing"
    engines = run.stats["engines"]
    assert sorted(page.tracks) == sorted(engines)   # pe, act, dve, pool and every DMA queue the run used
    for name, boxes in page.tracks.items():
        assert len(boxes) == engines[name]["instructions"], name
        for label, tooltip in boxes:
            assert label.startswith("line ") and label in tooltip, (name, label, tooltip)
    assert sum(len(boxes) for boxes in page.tracks.values()) > 0
    assert any(name.startswith("dma.q") for name in page.tracks) and page.tracks["pe"]
    screenshot = OUTPUT / "matmul_report.png"
    screenshot.unlink(missing_ok=True)
    chromium(f"--screenshot={screenshot}", report.as_uri(), tmp_path=tmp_path)
    assert screenshot.stat().st_size > 20_000   # a drawn page, not a blank one
    assert run._repr_html_() == report.read_text()


@pytest.mark.skipif(not os.environ.get("KILN"), reason="set KILN to the kiln binary to check kiln report")
def test_cli_report_from_run_record(tmp_path):
    record, page_path = tmp_path / "run.json", tmp_path / "report.html"
    proc = subprocess.run([os.environ["KILN"], "run", str(EXAMPLES / "matmul.kiln"), "--backend", "sim", "--random", "1",
                           "--run-json", str(record)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([os.environ["KILN"], "report", str(record), "-o", str(page_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    from_cli, from_python = Page(), Page()
    from_cli.feed(page_path.read_text())
    run = matmul_run()
    run.save(tmp_path / "python.json")
    proc = subprocess.run([os.environ["KILN"], "report", str(tmp_path / "python.json")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    from_python.feed(proc.stdout)
    assert {k: len(v) for k, v in from_cli.tracks.items()} == {k: len(v) for k, v in from_python.tracks.items()}
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    proc = subprocess.run([os.environ["KILN"], "report", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1 and "bad.json: error: it is not a kiln run record" in proc.stderr
