/**
 * Plots the supernet loss of several evolution runs on one chart (the paper's
 * Figure 3: with and without the reference DAG):
 *
 *   deno run -A scripts/plot_evolve_runs.ts --out docs/figures/ablation \
 *     "with reference=runs/evolve-default" "no reference=runs/evolve-noref"
 */
import { writeLineChart } from "../src/report/line_chart.ts";
import type { RegenerationRecord } from "../src/evolve/evolve.ts";
import { parseCli, runCli } from "./_cli.ts";

const PLOT = {
  usage: 'deno run -A scripts/plot_evolve_runs.ts --out BASE "LABEL=RUN_DIR" ...',
  summary:
    "Plots the supernet train and held-out loss of evolution runs (their history.jsonl) on\n" +
    "one chart, the paper's Figure 3; writes BASE.png and BASE.svg.",
  positionals: true,
  flags: { out: { type: "string", arg: "BASE", help: "output path without extension (required)" } },
} as const;

await runCli("plot", async () => {
  const { values, positionals } = parseCli(PLOT, Deno.args);
  if (!values.out || positionals.length === 0) throw new Error(`usage: ${PLOT.usage}`);
  const runs = await Promise.all(positionals.map(async (arg) => {
    const eq = arg.indexOf("=");
    if (eq < 1) throw new Error(`"${arg}": expected label=RUN_DIR`);
    const dir = arg.slice(eq + 1);
    const text = await Deno.readTextFile(`${dir}/history.jsonl`).catch(() => {
      throw new Error(`${dir}/history.jsonl: not found (is it an evolve output folder?)`);
    });
    const history = text.trim().split("\n").map((l) => JSON.parse(l) as RegenerationRecord);
    return { label: arg.slice(0, eq), history };
  }));
  const series = (f: (r: RegenerationRecord) => number, what: string) =>
    runs.map(({ label, history }) => ({
      name: `${label}, ${what}`,
      // JSON has no NaN: a regeneration with no held-out step stores null.
      points: history.map((r) => [r.step, f(r) ?? NaN] as [number, number]),
    }));
  await writeLineChart(values.out, [
    ...series((r) => r.trainLoss, "train"),
    ...series((r) => r.valLoss, "held-out"),
  ], {
    title: "Supernet loss during evolution",
    xLabel: "step",
    yLabel: "cross-entropy",
    width: 760,
  });
  console.log(`wrote ${values.out}.png and .svg`);
});
