/**
 * Line charts as SVG (rasterised to PNG by sharp): training curves, and the
 * supernet's loss over evolution (the paper's Figure 3).
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

export interface Series {
  name: string;
  points: readonly [number, number][];
  color?: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

/** An SVG line chart of one or more series. */
export function lineChartSvg(series: readonly Series[], opts: ChartOptions): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  const longest = Math.max(0, ...series.map((s) => s.name.length));
  const m = { left: 64, right: Math.max(150, 48 + 7 * longest), top: 36, bottom: 48 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x + y));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs, 0), Math.max(...xs, 1)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  if (x1 === x0) x1 = x0 + 1;
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const px = (x: number) => m.left + ((x - x0) / (x1 - x0)) * (W - m.left - m.right);
  const py = (y: number) => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2 - m.right / 2}" y="22" text-anchor="middle" font-size="15">${
      escapeXml(opts.title)
    }</text>`,
  ];
  for (const t of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/>`,
      `<text x="${m.left - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1)) parts.push(middleText(px(t), H - m.bottom + 16, t));
  parts.push(
    plotFrame(m.left, m.top, W - m.left - m.right, H - m.top - m.bottom),
    middleText((m.left + W - m.right) / 2, H - 10, opts.xLabel),
    verticalText(16, H / 2, opts.yLabel),
  );
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x + y));
    if (pts.length) {
      const d = pts.map(([x, y], k) => `${k ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
        .join("");
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    const ly = m.top + 16 + i * 18;
    parts.push(
      `<line x1="${W - m.right + 10}" x2="${W - m.right + 30}" y1="${ly - 4}" y2="${
        ly - 4
      }" stroke="${color}" stroke-width="2"/>`,
      `<text x="${W - m.right + 36}" y="${ly}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Writes `base.svg` and `base.png` (each atomically). */
export async function writeLineChart(
  base: string,
  series: readonly Series[],
  opts: ChartOptions,
): Promise<void> {
  await writeSvgAndPng(base, lineChartSvg(series, opts));
}
