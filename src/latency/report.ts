/** Text tables of a latency table and of a prediction check, for the terminal. */
import { fmt, formatTable } from "../report/text_table.ts";
import { describeBlock } from "../space/network_spec.ts";
import { countSearchSpace, formatMAdds } from "../space/counting.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import {
  type BatchCheck,
  CHECK_STATISTICS,
  type ErrorStats,
  type PredictionCheck,
} from "./prediction_check.ts";
import type { LatencyTable } from "./table.ts";

/** "+3.1%" (signed) or "3.1%". */
function percent(v: number, signed = true): string {
  return `${signed && v >= 0 ? "+" : ""}${(100 * v).toFixed(1)}%`;
}

/** One row per candidate: layer, input map, block, MAdds, forward ms. */
export function latencyTableText(space: SearchSpaceSpec, table: LatencyTable): string {
  const layers = countSearchSpace(space);
  const rows: string[][] = [["stem", "", "", "", fmt(table.stemMs)]];
  for (const [l, layer] of layers.entries()) {
    for (const [i, c] of layer.candidates.entries()) {
      rows.push([
        i === 0 ? String(l) : "",
        i === 0 ? `${layer.cin}->${layer.cout} s${layer.stride} @${layer.inputSize}` : "",
        describeBlock(c.block),
        formatMAdds(c.cost.madds),
        fmt(table.perLayer[l][i]),
      ]);
    }
  }
  rows.push(["head", "", "", "", fmt(table.headMs)]);
  return formatTable(
    ["layer", "shape", "candidate", "MAdds", `ms (b${table.batch})`],
    rows,
    [false, false, false, true, true],
  );
}

/** The sampled networks of one batch (median and min columns), then the error summary. */
export function batchCheckText(check: BatchCheck): string {
  const rows = check.rows.map((r, i) => [
    String(i),
    r.choices.join(""),
    formatMAdds(r.madds),
    fmt(r.median.predictedMs),
    fmt(r.median.measuredMs),
    percent(r.median.relError),
    fmt(r.min.predictedMs),
    fmt(r.min.measuredMs),
    percent(r.min.relError),
  ]);
  const table = formatTable(
    [
      "net",
      "choices",
      "MAdds",
      "median: predicted ms",
      "measured ms",
      "error",
      "min: predicted ms",
      "measured ms",
      "error",
    ],
    rows,
    [true, false, true, true, true, true, true, true, true],
  );
  const load = check.loadavg
    ? ` (load average ${check.loadavg.map((v) => v.toFixed(1)).join(" → ")})`
    : "";
  return `${table}\nbatch ${check.batch}${load}: ` +
    CHECK_STATISTICS.map((s) => `${s} ${errorText(check.errors[s])}`).join("; ");
}

function errorText(e: ErrorStats): string {
  return `mean |error| ${percent(e.meanAbsRelError, false)}, ` +
    `worst ${percent(e.worstAbsRelError, false)}, ` +
    `mean signed ${percent(e.meanRelError)}`;
}

/** Every batch of a check, then one summary table. */
export function predictionCheckText(check: PredictionCheck): string {
  const parts = check.batches.map(batchCheckText);
  const summary = formatTable(
    [
      "batch",
      "networks",
      "statistic",
      "mean |error|",
      "worst |error|",
      "mean signed",
      "ρ table",
      "ρ MAdds",
    ],
    check.batches.flatMap((b) =>
      CHECK_STATISTICS.map((s) => [
        String(b.batch),
        String(b.rows.length),
        s,
        percent(b.errors[s].meanAbsRelError, false),
        percent(b.errors[s].worstAbsRelError, false),
        percent(b.errors[s].meanRelError),
        b.rankCorrelation[s].table.toFixed(2),
        b.rankCorrelation[s].madds.toFixed(2),
      ])
    ),
    [true, true, false, true, true, true, true, true],
  );
  const note = "ρ: Spearman's rank correlation with the measured latencies, of the table's " +
    "predictions and of MAdds";
  return [...parts, `${summary}\n${note}`].join("\n\n");
}
