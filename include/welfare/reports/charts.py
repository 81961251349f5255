"""The report's charts, drawn with matplotlib's Agg backend into PNG bytes.

Charts use DejaVu Sans shipped with matplotlib and PNGs carry no software or time metadata, so
the same snapshot gives byte-identical images on any machine with the same matplotlib.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from welfare.config import TIMEZONE
from welfare.reports import formatting as fmt
from welfare.reports.content import BASELINE_YEAR, Data, Scope
from welfare.reports.model import Chart

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MM = 1 / 25.4
STATUS_COLOURS = {"met": "#7cc47f", "on_track": "#ffd966", "behind": "#f08080", None: "#d9d9d9"}
TARGET_END = 2030


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from welfare.reports.fonts import chart_font

    font = chart_font()
    font_manager.fontManager.addfont(str(font))
    plt.rcParams.update(
        {
            "font.family": font_manager.FontProperties(fname=str(font)).get_name(),
            "font.size": 8,
            "axes.titlesize": 8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "welfare",
            "path.simplify": True,
        }
    )
    return plt


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def _percent_axis(ax: Any, top: float = 1.05) -> None:
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    ax.set_ylim(0, top)
    ax.yaxis.set_major_locator(MultipleLocator(0.25))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.percent(v, 0)))


def indicator_paths(data: Data, scope: Scope) -> Chart:
    """Each indicator from the 2024 baseline toward its target, with the straight on-track line."""
    plt = _pyplot()
    level = scope.level
    n = len(data.indicators)
    cols = 3
    rows = (n + cols) // cols
    width, height = 165, 50 * rows
    fig, axes = plt.subplots(rows, cols, figsize=(width * MM, height * MM), squeeze=False)
    # A fixed grid: explicit spacing is several times faster than the constrained layout engine.
    fig.subplots_adjust(left=0.075, right=0.985, top=0.955, bottom=0.035, hspace=0.62, wspace=0.32)
    for index, ind in enumerate(data.indicators):
        ax = axes[index // cols][index % cols]
        code = ind["indicator_code"]
        target, target_year = float(ind["target_value"]), int(ind["target_year"])
        current = data.value(code, data.year, level, scope.unit_code)
        points = [
            (y, r["value"])
            for y in data.years
            if (r := data.value(code, y, level, scope.unit_code)) is not None and r["value"] is not None
        ]
        baseline = current["baseline_value"] if current else None
        ax.axhline(target, color="#c0392b", linestyle=":", linewidth=1, label="Mục tiêu")
        if baseline is not None:
            end = min(target_year, TARGET_END)
            at_end = baseline + (target - baseline) * (end - BASELINE_YEAR) / (target_year - BASELINE_YEAR)
            ax.plot([BASELINE_YEAR, end], [baseline, at_end], color="#7f8c8d", linestyle="--", linewidth=1,
                    label="Lộ trình")  # fmt: skip
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, color="#1f4e79", marker="o", markersize=3, linewidth=1.4, label="Kết quả")
            if current is not None and current["value"] is not None:
                ax.scatter([data.year], [current["value"]], s=36, zorder=3,
                           color=STATUS_COLOURS.get(current["status"], "#d9d9d9"), edgecolor="#1f4e79")  # fmt: skip
                ax.annotate(fmt.percent(current["value"]), (data.year, current["value"]), textcoords="offset points",
                            xytext=(4, 5), fontsize=7)  # fmt: skip
        else:
            ax.text(0.5, 0.5, "Chưa có số liệu", transform=ax.transAxes, ha="center", va="center", color="#7f8c8d")
        ax.set_xlim(BASELINE_YEAR - 0.3, TARGET_END + 0.3)
        ax.set_xticks([BASELINE_YEAR, 2026, 2028, TARGET_END])
        _percent_axis(ax)
        ax.grid(axis="y", color="#eeeeee", linewidth=0.6)
        lines = textwrap.wrap(f"{code}. {fmt.quotes(fmt.text(ind['name_vi']))}", 36)
        if len(lines) > 2:
            lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), 36, placeholder="…")]
        ax.set_title("\n".join(lines), loc="left", fontsize=6.5)
    for index in range(n, rows * cols):
        ax = axes[index // cols][index % cols]
        ax.axis("off")
    handles, names = axes[0][0].get_legend_handles_labels()
    if n < rows * cols:
        legend_ax = axes[(rows * cols - 1) // cols][(rows * cols - 1) % cols]
        legend_ax.legend(handles, names, loc="center", frameon=False, title="Chú giải")
    return Chart(
        "indicator_paths",
        f"Biểu đồ 1. Diễn biến các chỉ tiêu từ năm cơ sở {BASELINE_YEAR} so với lộ trình đến năm 2030",
        _png(fig),
        width,
        height,
    )


def units_compared(data: Data, scope: Scope) -> Chart:
    """The upper-level unions side by side: each indicator's value, coloured by status."""
    plt = _pyplot()
    uppers = data.active("CAP_TREN")
    row_keys = [("province", scope.province_code)] + [("upper", u) for u in uppers]
    codes = [i["indicator_code"] for i in data.indicators]
    width = 165
    height = 22 + 7 * len(row_keys)
    fig, ax = plt.subplots(figsize=(width * MM, height * MM), layout="constrained")
    from matplotlib.patches import Rectangle

    for r, (level, unit) in enumerate(row_keys):
        for c, code in enumerate(codes):
            row = data.value(code, data.year, level, unit)
            value = row["value"] if row else None
            status = row["status"] if row and value is not None else None
            colour = STATUS_COLOURS.get(status, STATUS_COLOURS[None])
            if value is not None and status is None:
                colour = "#cfe2f3"  # a value without a baseline yet
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=colour, edgecolor="white", linewidth=1.5))
            ax.text(c + 0.5, r + 0.5, fmt.percent(value, 0), ha="center", va="center", fontsize=7)
        if unit == scope.unit_code:
            ax.add_patch(Rectangle((0, r), len(codes), 1, fill=False, edgecolor="#1f4e79", linewidth=1.6))
    ax.set_xlim(0, len(codes))
    ax.set_ylim(len(row_keys), 0)
    ax.set_xticks([c + 0.5 for c in range(len(codes))], codes)
    ax.xaxis.tick_top()
    labels = [
        textwrap.shorten(("Toàn tỉnh" if level == "province" else data.name(unit)), 34, placeholder="…")
        for level, unit in row_keys
    ]
    ax.set_yticks([r + 0.5 for r in range(len(row_keys))], labels)
    for tick, (_level, unit) in zip(ax.get_yticklabels(), row_keys, strict=True):
        if unit == scope.unit_code:
            tick.set_fontweight("bold")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    from matplotlib.patches import Patch

    legend = [
        Patch(facecolor=STATUS_COLOURS["met"], label="Đạt"),
        Patch(facecolor=STATUS_COLOURS["on_track"], label="Đúng lộ trình"),
        Patch(facecolor=STATUS_COLOURS["behind"], label="Chậm"),
        Patch(facecolor="#cfe2f3", label="Chưa có năm cơ sở"),
        Patch(facecolor=STATUS_COLOURS[None], label="Không có số liệu"),
    ]
    fig.legend(handles=legend, loc="outside lower center", ncol=5, frameon=False, fontsize=7)
    return Chart(
        "units_compared",
        f"Biểu đồ 2. So sánh các công đoàn cấp trên trực tiếp cơ sở năm {data.year}",
        _png(fig),
        width,
        height,
    )


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(TIMEZONE).replace(tzinfo=None)


def season_arrivals(data: Data, scope: Scope) -> dict[str, list[datetime]]:
    """Per form, when each expected unit's report first arrived in an accepted version (counted reports only)."""
    expected = {"CDCS": scope.grassroots, "CAPTREN": scope.uppers}
    first: dict[tuple[str, str], datetime] = {}
    counted: set[tuple[str, str]] = set()
    for s in data.payload["submissions"]:
        key = (s["form"], s["unit_code"])
        if s["is_counted"]:
            counted.add(key)
        if s["state"] in ("accepted", "accepted_with_warnings") and s["unit_code"]:
            at = _local(s["received_at"])
            if key not in first or at < first[key]:
                first[key] = at
    return {
        form: sorted(first[(form, u)] for u in units if (form, u) in counted and (form, u) in first)
        for form, units in expected.items()
    }


def season(data: Data, scope: Scope) -> Chart:
    """Reports received by day against the deadline, for grassroots and upper-level reports."""
    plt = _pyplot()
    import matplotlib.dates as mdates

    arrivals = season_arrivals(data, scope)
    deadlines = {
        "CDCS": _local(data.calendar["grassroots_deadline_at"]),
        "CAPTREN": _local(data.calendar["upper_deadline_at"]),
    }
    lock = _local(data.calendar["lock_at"])
    expected = {"CDCS": len(scope.grassroots), "CAPTREN": len(scope.uppers)}
    titles = {"CDCS": "Báo cáo của CĐCS", "CAPTREN": "Báo cáo của CĐ cấp trên"}
    all_times = [t for times in arrivals.values() for t in times]
    start = min([deadlines["CDCS"] - timedelta(days=14), *all_times]).replace(hour=0, minute=0, second=0)
    end = max([lock + timedelta(days=3), *all_times])
    width, height = 165, 70
    fig, axes = plt.subplots(1, 2, figsize=(width * MM, height * MM), layout="constrained")
    for ax, form in zip(axes, ("CDCS", "CAPTREN"), strict=True):
        times = arrivals[form]
        xs = [start, *times, end]
        ys = [0, *range(1, len(times) + 1), len(times)]
        ax.step(xs, ys, where="post", color="#1f4e79", linewidth=1.4, label="Đã nhận (lũy kế)")
        ax.axhline(expected[form], color="#7f8c8d", linestyle="--", linewidth=1, label="Phải nộp")
        ax.axvline(deadlines[form], color="#c0392b", linewidth=1, label="Hạn nộp")
        ax.axvline(lock, color="#8e44ad", linestyle=":", linewidth=1, label="Khóa sổ")
        on_time = sum(1 for t in times if t <= deadlines[form])
        ax.set_title(
            f"{titles[form]}: {fmt.number(len(times))}/{fmt.number(expected[form])}, đúng hạn {fmt.number(on_time)}",
            loc="left",
        )
        ax.set_ylim(0, max(expected[form], len(times), 1) * 1.1)
        ax.set_xlim(start, end)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=6))
        ax.grid(axis="y", color="#eeeeee", linewidth=0.6)
    axes[0].legend(loc="lower right", fontsize=6, frameon=False)
    return Chart(
        "season",
        f"Biểu đồ 3. Báo cáo nhận được theo ngày so với hạn nộp, năm {data.year}",
        _png(fig),
        width,
        height,
    )


def all_charts(data: Data, scope: Scope) -> dict[str, Chart]:
    charts = [indicator_paths(data, scope), units_compared(data, scope), season(data, scope)]
    return {c.key: c for c in charts}
