/**
 * deno task inspect <network> [--input N] [--json] [--draw DIR] [--backbone NAME]
 *
 * <network> is a built-in ("mobilenetv2", "mobilenetv2-28", "baseline:proxyless-224",
 * "baseline:proxyless-28"), "open-space" (cell counts and space sizes), or a JSON file:
 * a network spec, a ProxylessNAS net.config, a SuperProxylessNASNets search-space
 * config, a search-space spec or a learned search-space file (told apart by content).
 *
 * Prints a per-layer table (shapes, op, params, MAdds) and totals; --json prints the
 * same as JSON; --draw DIR draws every distinct cell as SVG and PNG. Errors are one
 * line (file, path inside it, problem) and exit with status 1.
 */
import {
  baselineSpace,
  type BlockSpec,
  builtinBackbone,
  type Cell,
  cellCost,
  cellId,
  cellToJson,
  countDistinctCells,
  countNetwork,
  countSearchSpace,
  describeBlock,
  fileSafe,
  formatMAdds,
  formatParams,
  type Loaded,
  loadTarget,
  log10OpenSpace,
  log10SpaceSize,
  type NetworkCount,
  PAPER_RAW_CELLS,
  PER_NODE_RAW_CELLS,
  type SpaceLayerCount,
  writeCellDrawings,
} from "../src/space/mod.ts";
import { INSPECT_USAGE, parseInspectArgs } from "../src/space/inspect_command.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(INSPECT_USAGE);
  Deno.exit(0);
}

const describe = describeBlock;

function shape(s: readonly number[]): string {
  return s.join("x");
}

function table(rows: string[][], rightAligned: Set<number>): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r.map((cell, c) => rightAligned.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))
      .join("  ").trimEnd()
  ).join("\n");
}

/** Distinct cells (by id) in order of first use, with where they are used. */
interface DistinctCell {
  id: string;
  cell: Cell;
  uses: string[];
  first: { cin: number; cout: number; stride: number; size: number };
}

function collectCells(
  items: { where: string; block: BlockSpec; size: number }[],
): DistinctCell[] {
  const byId = new Map<string, DistinctCell>();
  for (const { where, block, size } of items) {
    if (block.type !== "cell") continue;
    const id = cellId(block.cell);
    const entry = byId.get(id);
    if (entry) entry.uses.push(where);
    else {
      byId.set(id, {
        id,
        cell: block.cell,
        uses: [where],
        first: { cin: block.cin, cout: block.cout, stride: block.stride, size },
      });
    }
  }
  return [...byId.values()];
}

async function draw(cells: DistinctCell[], dir: string): Promise<string[]> {
  return await writeCellDrawings(
    cells.map((c, index) => {
      const cost = cellCost(
        c.cell,
        c.first.cin,
        c.first.cout,
        c.first.stride,
        c.first.size,
        c.first.size,
      );
      const uses = c.uses.length > 4 ? `${c.uses.slice(0, 4).join(", ")}, ...` : c.uses.join(", ");
      return {
        name: `cell_${String(index + 1).padStart(2, "0")}_${fileSafe(c.id)}`,
        cell: c.cell,
        options: {
          title: `cell ${index + 1} · id ${c.id}`,
          subtitle: `used in ${uses} (${c.uses.length}x) · ${c.first.cin}->${c.first.cout} ` +
            `s${c.first.stride} at ${c.first.size}x${c.first.size}: ${formatMAdds(cost.madds)} ` +
            `MAdds, ${formatParams(cost.weights)} weights`,
        },
      };
    }),
    dir,
  );
}

function networkText(count: NetworkCount, source: string, cells: DistinctCell[]): string {
  const rows = [["#", "layer", "op", "input", "output", "res", "params", "MAdds"]];
  // params = conv and linear weights, the papers' convention; the total adds BN and biases.
  count.layers.forEach((layer, index) => {
    rows.push([
      String(index),
      layer.name,
      layer.op,
      shape(layer.input),
      shape(layer.output),
      layer.residual ? "+" : "",
      formatParams(layer.weights),
      formatMAdds(layer.madds),
    ]);
  });
  const lines = [
    `${count.name} (${source}) at ${count.inputSize}x${count.inputSize}`,
    table(rows, new Set([0, 6, 7])),
    `total: ${formatMAdds(count.total.madds)} MAdds, ${formatParams(count.total.weights)} ` +
    `conv+linear weights (${formatParams(count.total.params)} params incl. BN and biases)`,
  ];
  if (cells.length > 0) {
    lines.push(`distinct cells: ${cells.length}`);
    cells.forEach((c, index) =>
      lines.push(`  ${index + 1}. ${c.id}  used in ${c.uses.join(", ")}`)
    );
  }
  return lines.join("\n");
}

function spaceText(
  loaded: Extract<Loaded, { kind: "space" }>,
  layers: SpaceLayerCount[],
  cells: DistinctCell[],
): string {
  const lines = [
    `${loaded.space.name} (${loaded.source}): ${layers.length} layers ` +
    `(${layers.filter((l) => l.candidates.length > 1).length} with a choice), ` +
    `log10(#networks) = ${log10SpaceSize(loaded.space).toFixed(2)}`,
    "columns: candidate, block (cells as written), canonical cell id, fitness, weights, MAdds",
  ];
  for (const layer of layers) {
    lines.push(
      `layer ${layer.index}: ${layer.cin}->${layer.cout} s${layer.stride} at ` +
        `${layer.inputSize}x${layer.inputSize}, ${layer.candidates.length} candidate(s)`,
    );
    const learned = loaded.learned?.layers.find((l) => l.layer === layer.index);
    const rows = layer.candidates.map(({ block, cost }, k) => {
      const fitness = block.type === "cell"
        ? learned?.cells.find((c) => c.cell === block.cell)?.fitness
        : undefined;
      return [
        `  [${k}]`,
        describe(block),
        block.type === "cell" ? cellId(block.cell) : "",
        fitness === undefined ? "" : `fitness ${fitness.toPrecision(4)}`,
        formatParams(cost.weights),
        formatMAdds(cost.madds),
      ];
    });
    lines.push(table(rows, new Set([4, 5])));
  }
  if (cells.length > 0) lines.push(`distinct cells: ${cells.length}`);
  return lines.join("\n");
}

function openSpaceReport(): Record<string, unknown> {
  const shared = countDistinctCells({ aggregation: "shared" });
  const perNode = countDistinctCells({ aggregation: "per-node" });
  const backbone = builtinBackbone("proxyless-224")!;
  return {
    paperSpace: { ...shared, note: "5^6 ops x 3 ratios x 2 aggregations (one per cell)" },
    perNodeSpace: { ...perNode, note: "aggregation chosen at nodes 2 and 3 separately" },
    log10Networks21Layers: {
      open: log10OpenSpace(backbone, PAPER_RAW_CELLS),
      openDistinct: log10OpenSpace(backbone, shared.distinct),
      openPerNode: log10OpenSpace(backbone, PER_NODE_RAW_CELLS),
      baseline: log10SpaceSize(baselineSpace(backbone)),
      baselineUniform7: log10OpenSpace(backbone, 7),
    },
  };
}

function openSpaceText(report: Record<string, unknown>): string {
  const paper = report.paperSpace as { raw: number; distinct: number; zeroRaw: number };
  const perNode = report.perNodeSpace as { raw: number; distinct: number; zeroRaw: number };
  const sizes = report.log10Networks21Layers as Record<string, number>;
  const n = (x: number) => x.toLocaleString("en-US");
  return [
    `open space, one aggregation per cell (the paper's count): ${n(paper.raw)} raw cells -> ` +
    `${n(paper.distinct)} distinct (${n(paper.zeroRaw)} raw zero cells count as one)`,
    `open space, aggregation per node (released configs): ${n(perNode.raw)} raw cells -> ` +
    `${n(perNode.distinct)} distinct`,
    `log10(#networks), 21 layers: open ${
      sizes.open.toFixed(2)
    } (paper Table 1: 104.37 = 21 x 4.97), ` +
    `distinct cells only ${sizes.openDistinct.toFixed(2)}, per-node aggregation ${
      sizes.openPerNode.toFixed(2)
    }`,
    `log10(#networks), ProxylessNAS baseline: ${sizes.baseline.toFixed(2)} exact ` +
    `(zero only where a layer can be skipped), ${
      sizes.baselineUniform7.toFixed(2)
    } with 7 choices ` +
    `everywhere (paper: 17.74)`,
  ].join("\n");
}

async function main(): Promise<void> {
  const request = parseInspectArgs(Deno.args);
  const { target, inputSize } = request;
  if (target === "open-space") {
    const report = openSpaceReport();
    console.log(request.json ? JSON.stringify(report, null, 2) : openSpaceText(report));
    return;
  }
  const loaded = await loadTarget(target, { backbone: request.backbone, inputSize });
  let cells: DistinctCell[];
  let output: string;
  if (loaded.kind === "network") {
    const count = countNetwork(loaded.spec, { inputSize, describe });
    let size = count.layers[0].output[1];
    cells = collectCells(loaded.spec.blocks.map((block, index) => {
      const item = { where: `blocks[${index}]`, block, size };
      size = count.layers[index + 1].output[1];
      return item;
    }));
    output = request.json
      ? JSON.stringify(
        {
          ...count,
          layers: count.layers.map((layer) => ({ ...layer })),
          source: loaded.source,
          cells: cells.map((c) => ({ id: c.id, uses: c.uses, cell: cellToJson(c.cell) })),
        },
        null,
        2,
      )
      : networkText(count, loaded.source, cells);
  } else {
    const layers = countSearchSpace(loaded.space, { inputSize });
    cells = collectCells(layers.flatMap((layer) =>
      layer.candidates.map(({ block }, k) => ({
        where: `layer ${layer.index}[${k}]`,
        block,
        size: layer.inputSize,
      }))
    ));
    output = request.json
      ? JSON.stringify(
        {
          name: loaded.space.name,
          source: loaded.source,
          log10Networks: log10SpaceSize(loaded.space),
          layers: layers.map((layer) => ({
            ...layer,
            candidates: layer.candidates.map(({ block, cost }) => {
              const learned = block.type === "cell"
                ? loaded.learned?.layers.find((l) => l.layer === layer.index)?.cells
                  .find((c) => c.cell === block.cell)
                : undefined;
              return {
                op: describe(block),
                ...(block.type === "cell" ? { id: cellId(block.cell) } : {}),
                ...(learned ? { fitness: learned.fitness } : {}),
                ...cost,
              };
            }),
          })),
          cells: cells.map((c) => ({ id: c.id, uses: c.uses, cell: cellToJson(c.cell) })),
        },
        null,
        2,
      )
      : spaceText(loaded, layers, cells);
  }
  console.log(output);
  if (request.draw !== undefined) {
    const written = await draw(cells, request.draw);
    const message = `drew ${written.length} distinct cell(s) in ${request.draw}`;
    if (request.json) console.error(message);
    else console.log(message);
  }
}

await runCli("inspect", main);
