/**
 * OUT/report.md of an autospace run: one row per stage linking what it wrote and its
 * own report, then the found network — MAdds, params, test accuracy, latency on this
 * adapter and the ONNX file's path, last. Read from the stages' files, so a run whose
 * stages finished in earlier parts reports the same way.
 */
import { relative } from "node:path";
import type { SearchResult } from "../search/outputs.ts";
import { countNetwork, formatMAdds, formatParams } from "../space/counting.ts";
import { loadTarget } from "../space/load.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import type { EpochRecord } from "../train/trainer.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { type AdapterLatency, measureAdapterLatency } from "./adapter_latency.ts";
import { type AutospaceConfig, stageLayout } from "./config.ts";
import type { StageName } from "./stage_flags.ts";

/** What a stage did in this invocation of the command. */
export interface StageOutcome {
  readonly stage: StageName;
  readonly status: "ran" | "resumed" | "skipped";
  readonly seconds: number;
}

/** The found network's numbers, as the report ends with them. */
export interface FoundNetwork {
  readonly name: string;
  /** The search that found it, and its held-out top-1 with the supernet's weights. */
  readonly search: { readonly algo: string; readonly heldOutTop1: number };
  readonly madds: number;
  readonly maddsMax: number | null;
  /** Conv and linear weights (the papers' count). */
  readonly params: number;
  readonly test: EpochRecord["test"];
  readonly epochs: number;
  readonly steps: number;
  readonly latency: AdapterLatency;
  /** The ONNX file, as given by `--out`. */
  readonly onnx: string;
  readonly onnxBytes: number;
}

/** Reads the stages' outputs and measures the latency (the engine must be started). */
export async function foundNetwork(config: AutospaceConfig): Promise<FoundNetwork> {
  const paths = stageLayout(config.out);
  const loaded = await loadTarget(paths.network);
  if (loaded.kind !== "network") throw new Error(`${paths.network}: not a network spec`);
  const spec: NetworkSpec = loaded.spec;
  const result = JSON.parse(
    await Deno.readTextFile(`${paths.search}/result.json`),
  ) as Omit<SearchResult, "network">;
  const metrics = (await Deno.readTextFile(`${paths.train}/metrics.jsonl`)).trim().split("\n");
  const last = JSON.parse(metrics.at(-1)!) as EpochRecord;
  const { total } = countNetwork(spec);
  return {
    name: spec.name,
    search: { algo: result.algo, heldOutTop1: result.heldOut.top1 },
    madds: total.madds,
    maddsMax: result.maddsMax,
    params: total.weights,
    test: last.test,
    epochs: last.epoch,
    steps: last.steps,
    latency: await measureAdapterLatency(spec, 1),
    onnx: paths.model,
    onnxBytes: (await Deno.stat(paths.model)).size,
  };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** A Markdown link to `path` relative to the report. */
function link(config: AutospaceConfig, path: string, text = relative(config.out, path)): string {
  return `[${text}](${relative(config.out, path)})`;
}

/** Writes OUT/report.md; returns its text. */
export async function writeAutospaceReport(
  config: AutospaceConfig,
  outcomes: readonly StageOutcome[],
  found: FoundNetwork,
): Promise<string> {
  const paths = stageLayout(config.out);
  const { search } = found;
  const l = (path: string, text?: string) => link(config, path, text);
  const what: Record<StageName, [string, string]> = {
    evolve: [
      `${l(paths.space)}: the learned search space`,
      l(`${paths.evolve}/report.md`),
    ],
    search: [
      `${l(paths.network)}: ${search.algo}'s network (held-out top-1 ` +
      `${pct(search.heldOutTop1)} with the supernet's weights)`,
      l(`${paths.search}/report.md`),
    ],
    train: [
      `${l(paths.checkpoint)}: the trained weights (test top-1 ${pct(found.test.top1)})`,
      `${l(`${paths.train}/metrics.jsonl`)}, ${l(`${paths.train}/accuracy.png`, "accuracy")}, ` +
      l(`${paths.train}/loss.png`, "loss"),
    ],
    export: [`${l(paths.model)}: the network for deployment`, "–"],
  };
  const done = (o: StageOutcome) =>
    o.status === "skipped" ? "skipped (done earlier)" : `${o.status}, ${o.seconds.toFixed(0)} s`;
  const { latency } = found;
  const timer = latency.method === "timestamp" ? "GPU timestamps" : "wall clock";
  const cap = found.maddsMax === null ? "no cap" : `cap ${formatMAdds(found.maddsMax)}`;
  const lines = [
    "# AutoSpace run",
    "",
    `\`deno task autospace\` on ${config.data}` +
    (found.maddsMax === null ? "" : ` under ${formatMAdds(found.maddsMax)} MAdds`) +
    (config.quick ? " (--quick: a smoke run on a tiny subset)" : "") +
    `; adapter ${latency.adapter}. Each stage's settings are in \`autospace.json\`.`,
    "",
    "| stage | wrote | its report | in the last invocation |",
    "| --- | --- | --- | --- |",
    ...outcomes.map((o, i) =>
      `| ${i + 1}. ${o.stage} | ${what[o.stage][0]} | ${what[o.stage][1]} | ${done(o)} |`
    ),
    "",
    `![test accuracy while training](${relative(config.out, `${paths.train}/accuracy.png`)})`,
    "",
    `## The found network: ${found.name}`,
    "",
    `- MAdds: **${formatMAdds(found.madds)}** (${cap})`,
    `- params: **${formatParams(found.params)}** (conv and linear weights)`,
    `- test top-1: **${pct(found.test.top1)}** (top-5 ${pct(found.test.top5)}, ` +
    `${found.test.examples} test images, after ${found.epochs} epoch${
      found.epochs === 1 ? "" : "s"
    } = ${found.steps} steps)`,
    `- latency on this adapter: **${latency.ms.toFixed(2)} ms** per forward pass at batch ` +
    `${latency.batch} (median of ${latency.reps} repetitions of ${latency.callsPerRep} calls, ` +
    `${timer}; fastest ${latency.minMs.toFixed(2)} ms)`,
    `- ONNX: **\`${found.onnx}\`** (${(found.onnxBytes / 1024).toFixed(1)} KiB, opset 13, ` +
    `BN folded, batch ${config.export.batch})`,
    "",
  ];
  const text = lines.join("\n");
  await atomicWrite(paths.report, text);
  return text;
}
