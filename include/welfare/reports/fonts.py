"""The report's typeface: a TrueType family with every Vietnamese letter, embedded in the PDF.

Decree 30/2020/NĐ-CP asks for Times New Roman. In order of preference:

1. `WELFARE_REPORT_FONT_DIR`: a folder with the four styles of one family, named like
   `*-Regular.ttf`, `*-Bold.ttf`, `*-Italic.ttf`, `*-BoldItalic.ttf` (e.g. Times New Roman
   itself, where the licence allows);
2. Times New Roman installed on the machine (`times.ttf`, … from ttf-mscorefonts);
3. Liberation Serif (metric-compatible with Times New Roman; Debian `fonts-liberation2`);
4. DejaVu Serif shipped inside matplotlib (a dependency): always there, full Vietnamese
   coverage, wider than Times — the fallback, announced in the log.

A candidate is used only if it has every letter of Vietnamese; the chosen family is written in
the report's provenance so two builds with different fonts can be told apart.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

# Every precomposed Vietnamese letter (upper and lower case) plus the symbols the report prints.
VIETNAMESE = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ"
REQUIRED = VIETNAMESE + VIETNAMESE.upper() + "0123456789%.,;:–—≥≤−“”‘’…/()"

STYLES = ("", "B", "I", "BI")


class FontError(RuntimeError):
    """No usable font: the message says how to provide one."""


@dataclass(frozen=True)
class FontFamily:
    name: str
    source: str  # where it came from, for the provenance
    files: dict[str, Path]  # fpdf style ("", "B", "I", "BI") → TTF


def _covers(path: Path) -> bool:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, lazy=True) as font:
            cmap = font.getBestCmap() or {}
    except Exception:  # noqa: BLE001 - an unreadable font file is simply not a candidate
        return False
    return all(ord(c) in cmap for c in REQUIRED)


def _family(name: str, source: str, files: dict[str, Path]) -> FontFamily | None:
    if set(files) != set(STYLES) or not all(p.is_file() for p in files.values()):
        return None
    if not all(_covers(p) for p in files.values()):
        log.info("font %s (%s) lacks Vietnamese letters; skipped", name, source)
        return None
    return FontFamily(name, source, files)


_STYLE_SUFFIXES = {
    "": "",
    "regular": "",
    "roman": "",
    "book": "",
    "bold": "B",
    "italic": "I",
    "oblique": "I",
    "bolditalic": "BI",
    "boldoblique": "BI",
}


def _from_dir(folder: Path) -> FontFamily | None:
    """The first family (by name) in `folder` with all four styles: Name[-Regular], -Bold, -Italic, -BoldItalic."""
    families: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.glob("*.[tT][tT][fF]")):
        name, _, suffix = path.stem.partition("-")
        style = _STYLE_SUFFIXES.get(suffix.lower())
        if style is not None:
            families.setdefault(name, {}).setdefault(style, path)
    for name, files in sorted(families.items()):
        family = _family(name, str(folder), files)
        if family is not None:
            return family
    return None


def _system_candidates() -> list[tuple[str, dict[str, Path]]]:
    roots = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts"]
    names = {
        "Times New Roman": {"": "times.ttf", "B": "timesbd.ttf", "I": "timesi.ttf", "BI": "timesbi.ttf"},
        "Liberation Serif": {
            "": "LiberationSerif-Regular.ttf",
            "B": "LiberationSerif-Bold.ttf",
            "I": "LiberationSerif-Italic.ttf",
            "BI": "LiberationSerif-BoldItalic.ttf",
        },
    }
    out: list[tuple[str, dict[str, Path]]] = []
    for family, styles in names.items():
        for root in roots:
            if not root.is_dir():
                continue
            hits: dict[str, Path] = {}
            for style, filename in styles.items():
                matches = sorted(root.rglob(filename)) or sorted(root.rglob(filename.capitalize()))
                if matches:
                    hits[style] = matches[0]
            if len(hits) == len(STYLES):
                out.append((family, hits))
                break
    return out


def matplotlib_font_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise FontError("matplotlib is not installed: run `make install` (or `uv sync`)")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


@lru_cache(maxsize=4)
def _resolve(env_dir: str | None) -> FontFamily:
    if env_dir:
        family = _from_dir(Path(env_dir))
        if family is None:
            raise FontError(
                f"WELFARE_REPORT_FONT_DIR={env_dir} does not hold a usable family: it needs four TTF files "
                "(*-Regular, *-Bold, *-Italic, *-BoldItalic) covering every Vietnamese letter"
            )
        return family
    for name, files in _system_candidates():
        family = _family(name, "system fonts", files)
        if family is not None:
            return family
    mpl = matplotlib_font_dir()
    family = _family(
        "DejaVu Serif",
        "matplotlib (mpl-data/fonts/ttf)",
        {
            "": mpl / "DejaVuSerif.ttf",
            "B": mpl / "DejaVuSerif-Bold.ttf",
            "I": mpl / "DejaVuSerif-Italic.ttf",
            "BI": mpl / "DejaVuSerif-BoldItalic.ttf",
        },
    )
    if family is None:
        raise FontError(
            "no font with Vietnamese letters was found: install Debian's fonts-liberation2, or set "
            "WELFARE_REPORT_FONT_DIR to a folder with a TTF family"
        )
    log.warning(
        "Times New Roman / Liberation Serif not found; the PDF uses DejaVu Serif from matplotlib "
        "(install fonts-liberation2 or set WELFARE_REPORT_FONT_DIR for a Times-like face)"
    )
    return family


def report_font() -> FontFamily:
    """The body font family of the PDF (see the module docstring for the order)."""
    return _resolve(os.environ.get("WELFARE_REPORT_FONT_DIR") or None)


def chart_font() -> Path:
    """DejaVu Sans from matplotlib: the same on every machine, so charts are byte-identical."""
    return matplotlib_font_dir() / "DejaVuSans.ttf"
