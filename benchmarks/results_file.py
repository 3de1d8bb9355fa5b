"""benchmarks/RESULTS.md: each benchmark owns one ``## `` section and replaces it whole."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(heading: str, section: str) -> None:
    """Replace the section that starts with `heading` (or append it), keeping the others."""
    existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    head, _, rest = existing.partition(heading)
    tail = rest[rest.find("\n## ") + 1 :] if "\n## " in rest else ""
    RESULTS.write_text(
        head.rstrip() + "\n\n" + section + ("\n" + tail if tail else ""), encoding="utf-8"
    )
