"""HTML → PDF with the Debian Chromium in headless mode (``chromium --print-to-pdf``).

Chromium is already what the browser tests drive (``make e2e-deps``, ``.ci/run``), so PDFs
need nothing more: no LibreOffice (hundreds of MB) and no pango for WeasyPrint. It renders
MathML and Vietnamese text with the system fonts (Liberation Serif / DejaVu as Times-like
fallbacks). The page is written to a private temporary folder and opened from there; it may
load nothing else: a Content-Security-Policy allows only inline styles and ``data:`` images
(pictures are embedded by the caller), and network use is switched off.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # noqa: S404 - a fixed argument list, never a shell
import tempfile
import threading
from pathlib import Path

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--disable-extensions", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
        "--virtual-time-budget=5000"]
DEFAULT_BINARY = "chromium"
TIMEOUT_S = 90
#: Chromium processes one web process runs at once (each needs ~200 MB); others wait.
_RUNNING = threading.BoundedSemaphore(2)


class PdfUnavailable(RuntimeError):
    """No Chromium on this machine (``apt-get install chromium``, or ``make e2e-deps``)."""


class PdfFailed(RuntimeError):
    """Chromium ran but produced no PDF (the message holds the end of its error output)."""


def chromium_binary(configured: str | None = None) -> str | None:
    """The Chromium to use: the configured path or name (only that one), else ``chromium``
    on PATH, else ``/usr/bin/chromium``; None when there is none."""
    candidates = (configured,) if configured else (DEFAULT_BINARY, "/usr/bin/chromium")
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def html_to_pdf(page_html: str, binary: str | None = None, timeout: int = TIMEOUT_S) -> bytes:
    """Print one self-contained HTML page (A4, the page's own @page rules) to PDF bytes."""
    executable = chromium_binary(binary)
    if executable is None:
        raise PdfUnavailable("Chromium không có trên máy chủ (apt-get install chromium).")
    with tempfile.TemporaryDirectory(prefix="hoclieu-pdf-") as folder:
        source, target = Path(folder) / "page.html", Path(folder) / "page.pdf"
        source.write_text(page_html, encoding="utf-8")
        command = [executable, *ARGS, f"--user-data-dir={Path(folder) / 'profile'}",
                   f"--print-to-pdf={target}", source.as_uri()]
        env = {**os.environ, "HOME": folder}
        try:
            with _RUNNING:
                done = subprocess.run(command, capture_output=True, timeout=timeout,  # noqa: S603
                                      env=env, check=False, cwd=folder)
        except subprocess.TimeoutExpired:
            raise PdfFailed(f"Chromium không in xong PDF trong {timeout} giây.") from None
        if not target.exists() or target.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace")[-500:]
            raise PdfFailed(f"Chromium không tạo được PDF: {tail}")
        return target.read_bytes()
