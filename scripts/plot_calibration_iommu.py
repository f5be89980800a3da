#!/usr/bin/env python3
"""Plot the pcie-bench IOMMU comparison (docs/calibration.md) as an SVG, python3 stdlib only.

Reads the table the calibration test writes (tests/calibration/pcie_bench_iommu_test.cpp:
pcie_bench_iommu.csv in its build directory) and draws throughput with the IOMMU on relative
to IOMMU off against the DMA window: published points with their +-10 point band, the
simulated 4 KiB-page curve and the simulated 2 MiB-superpage curve.

Usage: scripts/plot_calibration_iommu.py [CSV] [SVG]
  CSV defaults to build/release/tests/calibration/pcie_bench_iommu.csv,
  SVG to docs/calibration_iommu.svg.
"""
import csv
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT / "build/release/tests/calibration/pcie_bench_iommu.csv"
DEFAULT_SVG = ROOT / "docs/calibration_iommu.svg"

WIDTH, HEIGHT = 720, 430
LEFT, RIGHT, TOP, BOTTOM = 70, 190, 40, 60
Y_MIN, Y_MAX = 0.0, 110.0
BAND_PP = 10.0  # the acceptance band around each published point, in percentage points

COLOURS = {"published": "#000000", "sim": "#1f77b4", "superpage": "#2ca02c", "band": "#cccccc"}


def window_label(b):
    return f"{b // (1 << 20)}M" if b >= 1 << 20 else f"{b // 1024}K"


def load(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows.append({
                "window": int(r["window_bytes"]),
                "published": float(r["published_drop_pct"]) + 100 if r["published_drop_pct"] else None,
                "sim": float(r["drop_pct"]) + 100,
                "superpage": float(r["superpage_drop_pct"]) + 100,
            })
    if not rows:
        sys.exit(f"{path}: no rows")
    return rows


def main():
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CSV
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_SVG
    if not src.exists():
        sys.exit(f"{src}: not found; run the calibration test first "
                 "(ctest --test-dir build/release -R PcieBenchIommu)")
    rows = load(src)
    lo = math.log2(min(r["window"] for r in rows))
    hi = math.log2(max(r["window"] for r in rows))
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(b):
        return LEFT + (math.log2(b) - lo) / (hi - lo) * pw

    def y(v):
        v = max(Y_MIN, min(Y_MAX, v))
        return TOP + (Y_MAX - v) / (Y_MAX - Y_MIN) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT + pw / 2}" y="22" text-anchor="middle" font-size="14">'
           'pcie-bench IOMMU experiment on intel-bdw-ep-vtd: random 64 B reads</text>']
    # Grid and axes.
    for v in range(0, int(Y_MAX) + 1, 20):
        out.append(f'<line x1="{LEFT}" y1="{y(v):.1f}" x2="{LEFT + pw}" y2="{y(v):.1f}" '
                   'stroke="#eeeeee"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v}%</text>')
    for r in rows:
        out.append(f'<line x1="{x(r["window"]):.1f}" y1="{TOP}" x2="{x(r["window"]):.1f}" '
                   f'y2="{TOP + ph}" stroke="#eeeeee"/>')
        out.append(f'<text x="{x(r["window"]):.1f}" y="{TOP + ph + 18}" text-anchor="middle">'
                   f'{window_label(r["window"])}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="black"/>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{HEIGHT - 15}" text-anchor="middle">'
               'DMA window (bytes, log scale)</text>')
    out.append(f'<text transform="translate(18,{TOP + ph / 2}) rotate(-90)" text-anchor="middle">'
               'throughput, IOMMU on / IOMMU off</text>')
    # Acceptance band and published points.
    pub = [r for r in rows if r["published"] is not None]
    for r in pub:
        top, bot = y(r["published"] + BAND_PP), y(r["published"] - BAND_PP)
        out.append(f'<line x1="{x(r["window"]):.1f}" y1="{top:.1f}" x2="{x(r["window"]):.1f}" '
                   f'y2="{bot:.1f}" stroke="{COLOURS["band"]}" stroke-width="9"/>')
    for r in pub:
        out.append(f'<rect x="{x(r["window"]) - 4:.1f}" y="{y(r["published"]) - 4:.1f}" '
                   f'width="8" height="8" fill="{COLOURS["published"]}"/>')

    def curve(key, dash=""):
        pts = " ".join(f'{x(r["window"]):.1f},{y(r[key]):.1f}' for r in rows)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{COLOURS[key]}" '
                   f'stroke-width="2" {dash}/>')
        for r in rows:
            out.append(f'<circle cx="{x(r["window"]):.1f}" cy="{y(r[key]):.1f}" r="3.5" '
                       f'fill="{COLOURS[key]}"/>')

    curve("sim")
    curve("superpage", 'stroke-dasharray="6,4"')
    # Legend.
    lx, ly = LEFT + pw + 15, TOP + 10
    legend = [("published (Neugebauer et al.)", "published", "square"),
              ("+-10 points", "band", "bar"),
              ("simulated, 4 KiB pages", "sim", "line"),
              ("simulated, 2 MiB pages", "superpage", "dash")]
    for i, (label, key, kind) in enumerate(legend):
        yy = ly + i * 22
        if kind == "square":
            out.append(f'<rect x="{lx + 6}" y="{yy - 4}" width="8" height="8" fill="{COLOURS[key]}"/>')
        elif kind == "bar":
            out.append(f'<line x1="{lx + 10}" y1="{yy - 8}" x2="{lx + 10}" y2="{yy + 8}" '
                       f'stroke="{COLOURS[key]}" stroke-width="9"/>')
        else:
            dash = 'stroke-dasharray="6,4"' if kind == "dash" else ""
            out.append(f'<line x1="{lx}" y1="{yy}" x2="{lx + 20}" y2="{yy}" '
                       f'stroke="{COLOURS[key]}" stroke-width="2" {dash}/>')
        out.append(f'<text x="{lx + 26}" y="{yy + 4}">{label}</text>')
    out.append("</svg>")
    dst.write_text("\n".join(out) + "\n")
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
