/**
 * The output of `deno task rank`: rank.json (everything measured), report.md (the true
 * ranking and a Table-6-like table) and charts of the α trajectories: one per setting
 * (α of Net1..Net3) and one of every setting's order margin (positive = correct order).
 */
import { writeLineChart } from "../report/line_chart.ts";
import { formatMAdds, formatParams } from "../space/counting.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import type { RankResult, SettingResult } from "./rank_result.ts";
import { orderMargin } from "./ranking.ts";
import type { TrueRanking } from "./true_ranking.ts";

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const epochs = (e: number | null) => (e === null ? "not by the end" : String(e));
/** How a run's weight steps picked their path, for the tables. */
const sampling = (s: SettingResult) => (s.pathSampling === "proportional" ? "∝ p" : s.pathSampling);
/** The order-margin chart a run belongs to: "x1", "x0.001-uniform", "x1-fair". */
const chartGroup = (s: SettingResult) =>
  `x${s.scale}${s.pathSampling === "proportional" ? "" : `-${s.pathSampling}`}`;
/** α to three significant digits: the paper's α are ~1e-3. */
const alphaText = (v: number) => (Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toPrecision(3));

/** "Net2 (depth 2)": the paper's name for the network of rank r, with its depth. */
function netName(truth: TrueRanking, rank: number): string {
  return `Net${rank + 1} (depth ${truth.networks[truth.order[rank]].depth})`;
}

function networksTable(truth: TrueRanking): string[] {
  const seeds = truth.networks[0].runs.map((r) => r.seed);
  const lines = [
    `| network | blocks | MAdds | params | ${
      seeds.map((s) => `test top-1, seed ${s}`).join(" | ")
    } | mean | rank |`,
    `| --- | --- | --- | --- | ${seeds.map(() => "---").join(" | ")} | --- | --- |`,
  ];
  truth.networks.forEach((n, i) => {
    const rank = truth.order.indexOf(i);
    lines.push(
      `| ${n.spec.name} | ${n.spec.blocks.length} | ${formatMAdds(n.madds)} | ${
        formatParams(n.params)
      } | ${n.runs.map((r) => pct(r.testTop1)).join(" | ")} | ${pct(n.meanTestTop1)} | Net${
        rank + 1
      } |`,
    );
  });
  return lines;
}

function settingsTable(result: RankResult): string[] {
  const { truth } = result;
  const names = truth.order.map((_, r) => netName(truth, r));
  const lines = [
    `| S/N | scale | paths | ${names.map((n) => `α ${n}`).join(" | ")} | Epochs | ` +
    `first correct | final α | held-out top-1 after | weight steps |`,
    `| --- | --- | --- | ${names.map(() => "---").join(" | ")} | --- | --- | --- | --- | --- |`,
  ];
  for (const s of result.settings) {
    const byRank = (values: readonly number[]) => truth.order.map((i) => values[i]);
    const steps = s.epochs.slice(1).reduce(
      (sum, e) => sum.map((v, i) => v + e.weightSteps[i]),
      truth.order.map(() => 0),
    );
    lines.push(
      `| ${s.row}${s.reverse ? " (reverse)" : ""} | ${s.scale} | ${sampling(s)} | ${
        s.byRank.map(alphaText).join(" | ")
      } | ` +
        `${epochs(s.epochsToCorrectOrder)} | ${epochs(s.firstCorrectEpoch)} | ` +
        `${byRank(s.epochs.at(-1)!.alpha).map(alphaText).join(" / ")} | ` +
        `${byRank(s.heldOutTop1).map(pct).join(" / ")} | ${byRank(steps).join(" / ")} |`,
    );
  }
  return lines;
}

function marginTable(result: RankResult): string[] {
  const count = Math.max(...result.settings.map((s) => s.epochs.length));
  const header = Array.from({ length: count }, (_, e) => String(e));
  const lines = [
    `| S/N | scale | paths | ${header.map((e) => `epoch ${e}`).join(" | ")} |`,
    `| --- | --- | --- | ${header.map(() => "---").join(" | ")} |`,
  ];
  for (const s of result.settings) {
    const margins = s.epochs.map((e) => alphaText(orderMargin(e.alpha, s.order)));
    lines.push(`| ${s.row} | ${s.scale} | ${sampling(s)} | ${margins.join(" | ")} |`);
  }
  return lines;
}

/** report.md as text. */
export function rankReportMarkdown(result: RankResult): string {
  const { truth, config } = result;
  const order = truth.order.map((_, r) => netName(truth, r)).join(" < ");
  const reliable = truth.seedsAgree && truth.smallestGap > truth.largestSpread;
  const out = [
    "# Fitness robustness (paper Table 6)",
    "",
    `Three networks of inverted residual blocks (k3, expansion 3) that differ only in depth, ` +
    `on ${config.data}. Adapter: ${result.adapter}.`,
    "",
    "## True ranking",
    "",
    `Each network trained alone with the same recipe: ${config.trueEpochs} epochs × ` +
    `${config.trainImages || "all"} training images, batch ` +
    `${config.batchSize}, SGD Nesterov lr ${config.weightLr} cosine, label smoothing ` +
    `${config.labelSmoothing}; test top-1 on ${config.testImages || "all"} test images.`,
    "",
    ...networksTable(truth),
    "",
    `True order (mean over seeds): **${order}**. ` +
    (truth.networks[0].runs.length > 1
      ? `Every seed gives this order: ${truth.seedsAgree ? "yes" : "no"}. Smallest gap ` +
        `between neighbours ${pct(truth.smallestGap)}, largest seed spread ` +
        `${pct(truth.largestSpread)}: ${
          reliable ? "the ranking is clear at this budget." : "**the ranking is not reliable**."
        }`
      : "One seed: no spread measured.") +
    (truth.smallestGap <= 0 ? " Two networks tie; the order between them is arbitrary." : ""),
    "",
    "## Fitness scores from different initial α (Table 6)",
    "",
    `The three networks are the K = 3 paths of one supernet; α by Eq. 4 on held-out ` +
    `images (Adam, lr ${config.archLr}, one fitness step every ${config.archUpdateEvery} weight ` +
    `steps after ${config.warmupEpochs} warmup epoch(s)); weight steps sample their path ` +
    `∝ p = softmax(α) as ProxylessNAS does ("∝ p"), uniformly ("uniform"), each network ` +
    `once per 3 steps with one summed update ("fair", FairNAS), or in ` +
    `fair's order with an update every step ("balanced"). ` +
    `Initial α = Table 6's printed numbers (units of 10⁻³ in the paper) × the scale: ` +
    `0.001 is the paper's α, 1 a start far from uniform p. ` +
    `An epoch is ${config.fitnessImages || config.trainImages || "all the"} training images. ` +
    `"Epochs": from this epoch on (of ${config.epochs}) α orders the networks as the true ` +
    `ranking does, to the end (0 = from the start).`,
    "",
    ...settingsTable(result),
    "",
    "Order margin per epoch: min over neighbours of α(better) − α(worse); positive = correct order.",
    "",
    ...marginTable(result),
    "",
    `Time: standalone training ${result.seconds.standaloneTraining.toFixed(0)} s (test ` +
    `passes excluded), fitness runs ${result.seconds.fitness.toFixed(0)} s; this invocation ` +
    `${result.seconds.wall.toFixed(0)} s. Charts: order_margin_x<scale>[-<paths>].png, ` +
    `alpha_<id>.png.`,
    "",
  ];
  return out.join("\n");
}

/** Writes rank.json, report.md and the charts into `out`. */
export async function writeRankReport(out: string, result: RankResult): Promise<void> {
  await atomicWrite(`${out}/rank.json`, JSON.stringify(result, null, 1) + "\n");
  await atomicWrite(`${out}/report.md`, rankReportMarkdown(result));
  const { truth } = result;
  if (result.settings.length === 0) return;
  const groups = new Set(result.settings.map(chartGroup));
  for (const group of groups) {
    const members = result.settings.filter((s) => chartGroup(s) === group);
    const { scale, pathSampling } = members[0];
    await writeLineChart(
      `${out}/order_margin_${group}`,
      members.map((s) => ({
        name: `S/N ${s.row}${s.reverse ? " (reverse)" : ""}`,
        points: s.trajectory.map((t) =>
          [t.epoch, orderMargin(t.alpha, s.order)] as [number, number]
        ),
      })),
      {
        title: `Order margin of α, initial α × ${scale}${
          pathSampling === "proportional" ? "" : `, ${pathSampling} paths`
        } (> 0: true order)`,
        xLabel: "epoch",
        yLabel: "min α(better) − α(worse)",
      },
    );
  }
  for (const s of result.settings) {
    await writeLineChart(
      `${out}/alpha_${s.id}`,
      truth.order.map((network, rank) => ({
        name: netName(truth, rank),
        points: s.trajectory.map((t) => [t.epoch, t.alpha[network]] as [number, number]),
      })),
      {
        title: `α from Table 6 row ${s.row} × ${s.scale}${
          s.pathSampling === "proportional" ? "" : `, ${s.pathSampling} paths`
        }`,
        xLabel: "epoch",
        yLabel: "α (fitness score)",
      },
    );
  }
}
