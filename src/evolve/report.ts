/**
 * What an evolution run leaves besides the search space: the supernet's loss and
 * accuracy curves over the run (the paper's Figure 3), drawings of the winning cells
 * (Figure 4), and a Markdown summary of which cells won in which layers and whether the
 * fitness steps told the cells apart.
 */
import type { Cell } from "../space/cell.ts";
import { formatCell } from "../space/cell.ts";
import { writeCellDrawings } from "../space/draw_cell.ts";
import { formatMAdds } from "../space/counting.ts";
import { writeLineChart } from "../report/line_chart.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { fitnessEvidenceMarkdown } from "./fitness_evidence.ts";
import type { RegenerationRecord } from "./history.ts";

export interface LayerWinners {
  layer: number;
  top: { id: string; cell: Cell; fitness: number; madds: number }[];
}

export async function writeEvolveReport(
  out: string,
  history: readonly RegenerationRecord[],
  winners: readonly LayerWinners[],
): Promise<void> {
  const pts = (f: (r: RegenerationRecord) => number) =>
    history.map((r) => [r.step, f(r)] as [number, number]);
  await writeLineChart(`${out}/supernet_loss`, [
    { name: "train (weights)", points: pts((r) => r.trainLoss) },
    { name: "held-out (fitness)", points: pts((r) => r.valLoss) },
  ], { title: "Supernet loss during evolution", xLabel: "step", yLabel: "cross-entropy" });
  await writeLineChart(`${out}/supernet_accuracy`, [
    { name: "train top-1", points: pts((r) => r.trainTop1) },
    { name: "held-out top-1", points: pts((r) => r.valTop1) },
  ], { title: "Supernet accuracy during evolution", xLabel: "step", yLabel: "top-1" });

  // Every distinct winning cell once, named by how many layers chose it.
  const counts = new Map<string, { cell: Cell; layers: number[] }>();
  for (const w of winners) {
    for (const t of w.top) {
      const e = counts.get(t.id) ?? { cell: t.cell, layers: [] };
      e.layers.push(w.layer);
      counts.set(t.id, e);
    }
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1].layers.length - a[1].layers.length);
  await writeCellDrawings(
    ranked.map(([, e], i) => ({ name: `cell_${String(i + 1).padStart(2, "0")}`, cell: e.cell })),
    `${out}/cells`,
  );
  const lines = [
    "# Evolution report",
    "",
    `Regenerations: ${history.length}; final supernet train loss ${
      history.at(-1)?.trainLoss.toFixed(4) ?? "-"
    }, held-out loss ${history.at(-1)?.valLoss.toFixed(4) ?? "-"}.`,
    "",
    "## Top cells per layer (fitness α, MAdds at the layer's shape)",
    "",
    "| layer | rank | cell | α | MAdds |",
    "| --- | --- | --- | --- | --- |",
    ...winners.flatMap((w) =>
      w.top.map((t, i) =>
        `| ${w.layer} | ${i + 1} | \`${formatCell(t.cell)}\` | ${t.fitness.toFixed(3)} | ${
          formatMAdds(t.madds)
        } |`
      )
    ),
    "",
    "## Distinct winning cells (drawn in cells/)",
    "",
    "| drawing | cell | layers |",
    "| --- | --- | --- |",
    ...ranked.map(([, e], i) =>
      `| cell_${String(i + 1).padStart(2, "0")} | \`${formatCell(e.cell)}\` | ${
        e.layers.join(", ")
      } |`
    ),
    "",
    ...fitnessEvidenceMarkdown(
      history.map((r) => ({
        regeneration: r.regeneration,
        layers: r.layers.map((l) => l.evidence),
      })),
    ),
  ];
  await atomicWrite(`${out}/report.md`, lines.join("\n"));
}
