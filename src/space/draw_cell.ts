/**
 * Drawings of cells in the style of the paper's Figures 2 and 4: grey numbered boxes
 * for the inner nodes, curved arrows coloured and labelled by op ("DConv k3", "Conv k1",
 * "Identity"), a ⊕ (add) or ⊙ (product) circle where a node aggregates several inputs,
 * and the input/output nodes with their 1×1 convs ("r" is the expansion ratio). Dead
 * edges are not drawn; dead nodes are drawn faded. SVG is generated here and rasterised
 * to PNG with sharp.
 */
import { type Cell, INNER_NODES } from "./cell.ts";
import { cellPlan, type PlanEdge } from "./cell_graph.ts";
import { AGGREGATION_SYMBOL, EDGE_OP_LABEL, type EdgeOp } from "./ops.ts";

/** Colours per op (zero is never drawn). */
const OP_COLOUR: Readonly<Record<EdgeOp, string>> = {
  zero: "#bbbbbb",
  identity: "#7f7f7f",
  conv1x1: "#1f77b4",
  conv3x3: "#d62728",
  dwconv3x3: "#2ca02c",
  dwconv5x5: "#ff7f0e",
  dwconv7x7: "#9467bd",
};

const WIDTH = 1010;
const HEIGHT = 390;
const MID_Y = 215;
const NODE_HALF = 18;
const AGG_RADIUS = 12;

/** Positions of input, inner nodes 0..3, output (node 1 below, node 2 above, as in Fig. 2). */
const NODE_POS: readonly { x: number; y: number }[] = [
  { x: 250, y: MID_Y },
  { x: 430, y: MID_Y + 70 },
  { x: 600, y: MID_Y - 40 },
  { x: 780, y: MID_Y },
];
const INPUT_POS = { x: 70, y: MID_Y };
const OUTPUT_POS = { x: 950, y: MID_Y };

/** Bend of each edge's curve (perpendicular offset of the control point, + = up). */
const BEND: Readonly<Record<string, number>> = {
  "0-1": 0,
  "0-2": 40,
  "1-2": 0,
  "0-3": 150,
  "1-3": -45,
  "2-3": 0,
};

/** Text for a drawing: a title line and a subtitle line (both optional). */
export interface DrawOptions {
  title?: string;
  subtitle?: string;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

function label(x: number, y: number, text: string, colour: string, size = 13): string {
  const width = text.length * size * 0.56 + 8;
  return `<rect x="${(x - width / 2).toFixed(1)}" y="${(y - size * 0.8).toFixed(1)}" ` +
    `width="${width.toFixed(1)}" height="${(size * 1.25).toFixed(1)}" rx="3" fill="white" ` +
    `fill-opacity="0.9"/>` +
    `<text x="${x.toFixed(1)}" y="${(y + size * 0.3).toFixed(1)}" font-size="${size}" ` +
    `text-anchor="middle" fill="${colour}">${escapeXml(text)}</text>`;
}

function markerId(colour: string): string {
  return `arrow-${colour.slice(1)}`;
}

/** A quadratic curve from p to q bent by `bend`, clipped by the shapes at both ends. */
function curve(
  p: { x: number; y: number },
  q: { x: number; y: number },
  bend: number,
  startClip: number,
  endClip: number,
): { path: string; mid: { x: number; y: number } } {
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const length = Math.hypot(dx, dy);
  // Perpendicular pointing up for left-to-right edges.
  const nx = dy / length;
  const ny = -dx / length;
  const c = { x: (p.x + q.x) / 2 + nx * bend * 2, y: (p.y + q.y) / 2 + ny * bend * 2 };
  const startDir = normalise(c.x - p.x, c.y - p.y);
  const endDir = normalise(q.x - c.x, q.y - c.y);
  const s = { x: p.x + startDir.x * startClip, y: p.y + startDir.y * startClip };
  const e = { x: q.x - endDir.x * endClip, y: q.y - endDir.y * endClip };
  const mid = { x: 0.25 * s.x + 0.5 * c.x + 0.25 * e.x, y: 0.25 * s.y + 0.5 * c.y + 0.25 * e.y };
  const path = `M ${s.x.toFixed(1)} ${s.y.toFixed(1)} Q ${c.x.toFixed(1)} ${c.y.toFixed(1)} ` +
    `${e.x.toFixed(1)} ${e.y.toFixed(1)}`;
  return { path, mid };
}

function normalise(x: number, y: number): { x: number; y: number } {
  const length = Math.hypot(x, y) || 1;
  return { x: x / length, y: y / length };
}

/** Where edges into `node` end: its aggregation circle when it has one, else the node. */
function targetOf(node: number, aggregated: boolean): { x: number; y: number; clip: number } {
  const pos = NODE_POS[node];
  return aggregated
    ? { x: pos.x - NODE_HALF - AGG_RADIUS - 14, y: pos.y, clip: AGG_RADIUS + 2 }
    : { x: pos.x, y: pos.y, clip: NODE_HALF + 4 };
}

/** SVG text of a cell drawing. */
export function cellSvg(cell: Cell, options: DrawOptions = {}): string {
  const plan = cellPlan(cell);
  const colours = new Set<string>(["#333333", ...Object.values(OP_COLOUR)]);
  const defs = [...colours].map((colour) =>
    `<marker id="${markerId(colour)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" ` +
    `markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" ` +
    `fill="${colour}"/></marker>`
  ).join("");
  const body: string[] = [];
  const live = new Set<number>(plan.zero ? [] : [0, ...plan.nodes.map((n) => n.node)]);
  const aggregated = new Map<number, string>();
  for (const node of plan.nodes) {
    if (node.aggregation) aggregated.set(node.node, AGGREGATION_SYMBOL[node.aggregation]);
  }

  // Input and output nodes.
  const ioBox = (pos: { x: number; y: number }, text: string) =>
    `<rect x="${pos.x - 44}" y="${pos.y - 20}" width="88" height="40" rx="8" fill="#dae8fc" ` +
    `stroke="#6c8ebf" stroke-width="1.5"/><text x="${pos.x}" y="${pos.y + 5}" font-size="14" ` +
    `text-anchor="middle" fill="#222">${text}</text>`;
  body.push(ioBox(INPUT_POS, "input"), ioBox(OUTPUT_POS, "output"));

  if (plan.zero) {
    const arrow = curve(INPUT_POS, OUTPUT_POS, 0, 48, 48);
    body.push(
      `<path d="${arrow.path}" stroke="#bbbbbb" stroke-width="2" stroke-dasharray="6 4" fill="none"/>`,
      label(arrow.mid.x, arrow.mid.y, "zero cell: output unreachable", "#888888", 15),
    );
  } else {
    // Expansion and projection.
    const expand = curve(INPUT_POS, NODE_POS[0], 0, 48, NODE_HALF + 4);
    body.push(
      `<path d="${expand.path}" stroke="#333333" stroke-width="2" fill="none" ` +
        `marker-end="url(#${markerId("#333333")})"/>`,
      label(
        expand.mid.x,
        expand.mid.y - 16,
        plan.expand ? `Conv k1, r=${cell.ratio}` : "r=1 (no expand)",
        "#333333",
      ),
    );
    const project = curve(NODE_POS[3], OUTPUT_POS, 0, NODE_HALF + 4, 48);
    body.push(
      `<path d="${project.path}" stroke="#333333" stroke-width="2" fill="none" ` +
        `marker-end="url(#${markerId("#333333")})"/>`,
      label(project.mid.x, project.mid.y - 16, cell.se ? "SE, Conv k1" : "Conv k1", "#333333"),
    );
    // Inner edges.
    const edges: PlanEdge[] = plan.nodes.flatMap((node) => [...node.inputs]);
    for (const edge of edges) {
      const colour = OP_COLOUR[edge.op];
      const target = targetOf(edge.to, aggregated.has(edge.to));
      const bend = BEND[`${edge.from}-${edge.to}`] ?? 0;
      const c = curve(NODE_POS[edge.from], target, bend, NODE_HALF + 3, target.clip);
      body.push(
        `<path d="${c.path}" stroke="${colour}" stroke-width="2.2" fill="none" ` +
          `marker-end="url(#${markerId(colour)})"/>`,
        label(c.mid.x, c.mid.y, EDGE_OP_LABEL[edge.op], colour),
      );
    }
    // Aggregation circles.
    for (const [node, symbol] of aggregated) {
      const t = targetOf(node, true);
      body.push(
        `<circle cx="${t.x}" cy="${t.y}" r="${AGG_RADIUS}" fill="white" stroke="#333" stroke-width="1.5"/>`,
        `<text x="${t.x}" y="${
          t.y + 6
        }" font-size="18" text-anchor="middle" fill="#333">${symbol}</text>`,
        `<line x1="${t.x + AGG_RADIUS}" y1="${t.y}" x2="${NODE_POS[node].x - NODE_HALF - 2}" ` +
          `y2="${t.y}" stroke="#333" stroke-width="1.5" marker-end="url(#${
            markerId("#333333")
          })"/>`,
      );
    }
  }
  // Inner nodes on top.
  for (let node = 0; node < INNER_NODES; node++) {
    const pos = NODE_POS[node];
    const alive = live.has(node);
    body.push(
      `<rect x="${pos.x - NODE_HALF}" y="${pos.y - NODE_HALF}" width="${2 * NODE_HALF}" ` +
        `height="${2 * NODE_HALF}" fill="${alive ? "#d9d9d9" : "#f4f4f4"}" ` +
        `stroke="${alive ? "#595959" : "#c8c8c8"}" stroke-width="1.5"` +
        `${alive ? "" : ' stroke-dasharray="4 3"'}/>` +
        `<text x="${pos.x}" y="${pos.y + 6}" font-size="16" text-anchor="middle" ` +
        `fill="${alive ? "#222" : "#aaa"}">${node}</text>`,
    );
  }
  const title = options.title
    ? `<text x="20" y="28" font-size="18" font-weight="bold" fill="#222">${
      escapeXml(options.title)
    }</text>`
    : "";
  const subtitle = options.subtitle
    ? `<text x="20" y="${HEIGHT - 18}" font-size="14" fill="#444">${
      escapeXml(options.subtitle)
    }</text>`
    : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
    `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif">` +
    `<defs>${defs}</defs><rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>` +
    `${title}${body.join("")}${subtitle}</svg>\n`;
}

/**
 * Rasterises SVG text to PNG bytes (2× scale for crisp text). sharp is loaded on first
 * use, so importing the space layer never loads the native module.
 */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { default: sharp } = await import("sharp");
  const buffer = await sharp(new TextEncoder().encode(svg), { density: 144 }).png().toBuffer();
  return new Uint8Array(buffer);
}

/** A file-name-safe form of a cell id. */
export function fileSafe(text: string): string {
  return text.replace(/\+/g, "a").replace(/\*/g, "p").replace(/-/g, "z").replace(
    /[^A-Za-z0-9]+/g,
    "_",
  );
}

/** Writes `<dir>/<name>.svg` and `<dir>/<name>.png` for each item; returns the PNG paths. */
export async function writeCellDrawings(
  items: readonly { name: string; cell: Cell; options?: DrawOptions }[],
  dir: string,
): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const item of items) {
    const svg = cellSvg(item.cell, item.options);
    const base = `${dir}/${item.name}`;
    await Deno.writeTextFile(`${base}.svg`, svg);
    await Deno.writeFile(`${base}.png`, await svgToPng(svg));
    written.push(`${base}.png`);
  }
  return written;
}
