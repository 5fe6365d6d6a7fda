/**
 * Scatter plots as SVG (and PNG): one panel per series side by side, each with its own
 * x range and a shared y range — e.g. a supernet's score of each network (x) against
 * its stand-alone accuracy (y), one panel per supernet setting.
 */
import {
  escapeXml,
  middleText,
  niceTicks,
  PALETTE,
  plotFrame,
  verticalText,
  writeSvgAndPng,
} from "./chart_parts.ts";

export interface ScatterPanel {
  /** The panel's title (a setting's name and its τ). */
  readonly title: string;
  readonly xLabel: string;
  readonly points: readonly [number, number][];
}

const PANEL_W = 300;
const PANEL_H = 280;
const M = { left: 56, right: 16, top: 56, bottom: 44 };

function range(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.06;
  return [lo - pad, hi + pad];
}

/** Panels in a row sharing the y axis. */
export function scatterPanelsSvg(
  panels: readonly ScatterPanel[],
  opts: { title: string; yLabel: string },
): string {
  const W = panels.length * PANEL_W;
  const H = PANEL_H;
  const [y0, y1] = range(panels.flatMap((p) => p.points.map((q) => q[1])));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(opts.title)}</text>`,
  ];
  panels.forEach((panel, i) => {
    const ox = i * PANEL_W;
    const [x0, x1] = range(panel.points.map((q) => q[0]));
    const px = (x: number) => ox + M.left + ((x - x0) / (x1 - x0)) * (PANEL_W - M.left - M.right);
    const py = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
    const middle = ox + (M.left + PANEL_W - M.right) / 2;
    parts.push(
      middleText(middle, M.top - 10, panel.title),
      plotFrame(ox + M.left, M.top, PANEL_W - M.left - M.right, H - M.top - M.bottom),
      middleText(middle, H - 8, panel.xLabel),
    );
    for (const t of niceTicks(y0, y1, 4)) {
      parts.push(
        `<line x1="${ox + M.left}" x2="${ox + PANEL_W - M.right}" y1="${py(t)}" y2="${
          py(t)
        }" stroke="#eee"/>`,
        `<text x="${ox + M.left - 4}" y="${py(t) + 4}" text-anchor="end">${t}</text>`,
      );
    }
    for (const t of niceTicks(x0, x1, 3)) parts.push(middleText(px(t), H - M.bottom + 14, t));
    const color = PALETTE[i % PALETTE.length];
    for (const [x, y] of panel.points) {
      if (!Number.isFinite(x + y)) continue;
      parts.push(
        `<circle cx="${px(x).toFixed(1)}" cy="${
          py(y).toFixed(1)
        }" r="3.5" fill="${color}" fill-opacity="0.8"/>`,
      );
    }
  });
  parts.push(
    verticalText(14, H / 2, opts.yLabel),
    "</svg>",
  );
  return parts.join("\n");
}

/** Writes `base.svg` and `base.png`. */
export async function writeScatterPanels(
  base: string,
  panels: readonly ScatterPanel[],
  opts: { title: string; yLabel: string },
): Promise<void> {
  await writeSvgAndPng(base, scatterPanelsSvg(panels, opts));
}
