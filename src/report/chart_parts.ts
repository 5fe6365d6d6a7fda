/**
 * What the SVG charts share: series colours, text escaping, round tick values, and
 * writing a chart as SVG and PNG (rasterised by sharp).
 */
import sharp from "sharp";
import { atomicWrite } from "../util/atomic_write.ts";

/** Series colours, in order. */
export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

/** Text safe inside SVG markup. */
export function escapeXml(s: string): string {
  return s.replace(
    /[<>&"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!,
  );
}

/** About `count` round values between lo and hi (1, 2 or 5 × a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) {
    out.push(+v.toPrecision(10));
  }
  return out;
}

/** Text centred on (x, y). */
export function middleText(x: number, y: number, text: string | number): string {
  return `<text x="${x}" y="${y}" text-anchor="middle">${escapeXml(String(text))}</text>`;
}

/** An axis label read bottom to top, centred on (x, y). */
export function verticalText(x: number, y: number, text: string): string {
  return `<text transform="translate(${x} ${y}) rotate(-90)" text-anchor="middle">${
    escapeXml(text)
  }</text>`;
}

/** The outline of a plot area. */
export function plotFrame(x: number, y: number, width: number, height: number): string {
  return `<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="none" stroke="#333"/>`;
}

/** Writes `base.svg` and `base.png` (each atomically). */
export async function writeSvgAndPng(base: string, svg: string): Promise<void> {
  await atomicWrite(`${base}.svg`, svg);
  const png = await sharp(new TextEncoder().encode(svg)).png().toBuffer();
  await atomicWrite(`${base}.png`, new Uint8Array(png));
}
