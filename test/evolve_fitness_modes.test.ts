/**
 * `deno task evolve --fitness alpha|accuracy|mixed` (src/evolve/fitness_mode.ts,
 * path_credit.ts): the credit of single paths' held-out losses and its scale, each
 * mode's α*, the flag; an evolution whose planted cells output zeros losing them under
 * `accuracy`; and `--resume` under `accuracy` ending where an uninterrupted run does.
 */
import assert from "node:assert/strict";
import { ByteImageDataset } from "../src/data/byte_image_dataset.ts";
import { NO_AUGMENTATION } from "../src/data/small_image_augmentation.ts";
import {
  DEFAULT_EVOLVE_CONFIG,
  evolveConfigFromJson,
  evolveConfigToJson,
  parseEvolveArgs,
} from "../src/evolve/config.ts";
import { evolveWith } from "../src/evolve/evolve.ts";
import { alphaStarOf, parseFitnessMode } from "../src/evolve/fitness_mode.ts";
import type { RegenerationRecord } from "../src/evolve/history.ts";
import { alphaStepsOf } from "../src/evolve/null_evolution.ts";
import { creditCells, creditPairedCells, type PathMeasurement } from "../src/evolve/path_credit.ts";
import type { EvolutionRun } from "../src/evolve/run_state.ts";
import type { CellBlock } from "../src/networks/cell_block.ts";
import { Module } from "../src/nn/module.ts";
import { mul } from "../src/ops/elementwise.ts";
import type { SupernetData } from "../src/supernet/search_data.ts";
import { zeros } from "../src/tensor/creation.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";
import { gpuTest, runScript, throwsLine } from "./_helpers.ts";

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

Deno.test("creditCells: each path's advantage over the mean, in loss spreads, times η", () => {
  // Two layers of two cells; layer 0's cell 1 is on the two bad paths.
  const measured: PathMeasurement[] = [
    { path: [0, 0], loss: 1, top1: 0.75 },
    { path: [1, 1], loss: 3, top1: 0.25 },
    { path: [0, 1], loss: 1, top1: 0.5 },
    { path: [1, 0], loss: 3, top1: 0 },
  ];
  const eta = 0.03;
  const [layer0, layer1] = creditCells(measured, [2, 2], eta);
  const spread = Math.sqrt(4 / 3); // the losses' sample standard deviation, mean 2
  close(layer0[0].step, (eta * 2) / spread, "good cell: two paths one loss unit better");
  close(layer0[1].step, (-eta * 2) / spread, "bad cell");
  assert.deepEqual([layer0[0].paths, layer0[0].loss, layer0[0].top1], [2, 1, 0.625]);
  assert.deepEqual([layer0[1].paths, layer0[1].loss, layer0[1].top1], [2, 3, 0.125]);
  // Layer 1's cells shared the good and the bad paths evenly: no step.
  for (const c of layer1) close(c.step, 0, "even cell");
  // The steps of a layer sum to zero; a cell on no path keeps its fitness.
  const [three] = creditCells(measured.map((m) => ({ ...m, path: [m.path[0], 0] })), [3, 1], eta);
  close(three.reduce((s, c) => s + c.step, 0), 0, "sum");
  assert.equal(three[2].paths, 0);
  assert.equal(three[2].step, 0);
  assert.ok(Number.isNaN(three[2].loss));
  // One path, or paths of equal loss, compare nothing.
  assert.equal(creditCells(measured.slice(0, 1), [2, 2], eta)[0][0].step, 0);
  const flat = measured.map((m) => ({ ...m, loss: 2 }));
  for (const c of creditCells(flat, [2, 2], eta).flat()) assert.equal(c.step, 0);
  // The scale does not depend on the loss level.
  const scaled = measured.map((m) => ({ ...m, loss: 10 * m.loss + 5 }));
  close(creditCells(scaled, [2, 2], eta)[0][0].step, layer0[0].step, "scale-free");
  throwsLine(() => creditCells(measured, [2], eta), /path 0 has 2 layers, expected 1/);
});

Deno.test("creditPairedCells: each cell against its layer's others in the same step", () => {
  // Two layers of 3 and 2 cells; a step is the context and its 2 + 1 variations.
  const step = (context: number[], losses: number[]): PathMeasurement[] =>
    [
      context,
      ...[0, 1, 2].filter((k) => k !== context[0]).map((k) => [k, context[1]]),
      [context[0], 1 - context[1]],
    ].map((path, i) => ({ path, loss: losses[i], top1: 1 - losses[i] / 4 }));
  // Layer 0's cell 2 is 0.3 worse than its others in every context; layer 1's cells equal.
  // Contexts differ in level by a whole loss unit: the pairing takes that out.
  const measured = [
    ...step([0, 0], [1.0, 1.0, 1.3, 1.0]), // context, [1,0], [2,0], [0,1]
    ...step([1, 1], [2.0, 2.0, 2.3, 2.0]), // context, [0,1], [2,1], [1,0]
    ...step([2, 0], [3.3, 3.0, 3.0, 3.3]), // context, [0,0], [1,0], [2,1]
  ];
  const eta = 0.03;
  const [layer0, layer1] = creditPairedCells(measured, [3, 2], eta);
  // Layer 0, every step: losses (L, L, L + 0.3), mean L + 0.1; deviations −0.1, −0.1, +0.2.
  const spread = Math.sqrt((3 * (0.01 + 0.01 + 0.04)) / (3 * 2 + 3 * 1));
  close(layer0[2].step, (eta * 3 * -0.2) / spread, "the worse cell");
  close(layer0[0].step, (eta * 3 * 0.1) / spread, "a better cell");
  close(layer0.reduce((s, c) => s + c.step, 0), 0, "a layer's steps sum to zero");
  for (const c of layer1) close(c.step, 0, "equal cells");
  assert.deepEqual(layer0.map((c) => c.paths), [3, 3, 3]);
  close(layer0[2].loss, (1.3 + 2.3 + 3.3) / 3, "the cell's mean loss");
  // The same comparisons at another loss level give the same steps.
  const shifted = measured.map((m) => ({ ...m, loss: m.loss + 7 }));
  close(creditPairedCells(shifted, [3, 2], eta)[0][2].step, layer0[2].step, "level-free");
  throwsLine(() => creditPairedCells(measured.slice(1), [3, 2], eta), /not a whole number/);
  const scrambled = [...measured];
  scrambled[1] = { ...scrambled[1], path: [2, 1] };
  throwsLine(() => creditPairedCells(scrambled, [3, 2], eta), /not a one-layer variation/);
});

Deno.test("alphaStarOf: Eq. 4's α, the fitness plus the credit, or the mean of both steps", () => {
  const start = [0.5, -0.25];
  const trained = [0.7, -0.45];
  const accuracy = [-0.1, 0.3];
  assert.deepEqual(alphaStarOf("alpha", start, trained, accuracy), trained);
  assert.deepEqual(alphaStarOf("accuracy", start, trained, accuracy), [0.4, -0.25 + 0.3]);
  assert.deepEqual(alphaStarOf("paired", start, trained, accuracy), [0.4, -0.25 + 0.3]);
  const mixed = alphaStarOf("mixed", start, trained, accuracy);
  close(mixed[0], 0.5 + (0.2 - 0.1) / 2, "mixed 0");
  close(mixed[1], -0.25 + (-0.2 + 0.3) / 2, "mixed 1");
  throwsLine(() => alphaStarOf("alpha", start, trained, [0]), /2 cells, 2 trained α, 1 accuracy/);
});

Deno.test("--fitness: parsed, one line naming the choices, kept in the run's config", () => {
  assert.equal(parseEvolveArgs([]).fitness, "alpha");
  assert.equal(parseEvolveArgs(["--fitness", "accuracy"]).fitness, "accuracy");
  assert.equal(parseEvolveArgs(["--fitness=mixed"]).fitness, "mixed");
  throwsLine(
    () => parseEvolveArgs(["--fitness", "nope"]),
    /^--fitness must be one of alpha, accuracy, mixed, paired, got "nope"$/,
  );
  throwsLine(() => parseFitnessMode(""), /--fitness must be one of alpha, accuracy, mixed, paired/);
  // The default is left out of the config's JSON, so that JSON without the field reads the same.
  assert.equal("fitness" in evolveConfigToJson(DEFAULT_EVOLVE_CONFIG), false);
  const accuracy = parseEvolveArgs(["--fitness", "accuracy"]);
  assert.equal(evolveConfigToJson(accuracy).fitness, "accuracy");
  assert.equal(evolveConfigFromJson(evolveConfigToJson(accuracy)).fitness, "accuracy");
  assert.equal(evolveConfigFromJson(evolveConfigToJson(DEFAULT_EVOLVE_CONFIG)).fitness, "alpha");
});

Deno.test("evolve --fitness nope: one line naming the choices, exit 1", async () => {
  const run = await runScript("evolve.ts", "--fitness", "nope");
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr,
    'evolve: --fitness must be one of alpha, accuracy, mixed, paired, got "nope"',
  );
});

/**
 * Splits of `images` 28×28 images each, two classes told apart by brightness (the
 * pixels of class 1 are 100 levels brighter, under noise of ±60): a supernet learns them
 * in a few dozen steps, so a path's held-out loss says whether its cells carry the
 * image through.
 */
function brightnessData(images: number, seed: number): SupernetData {
  const rng = new Rng(seed);
  const shape = [1, 28, 28] as const;
  const split = (name: string) => {
    const labels = Uint8Array.from({ length: images }, () => rng.int(2));
    const pixels = new Uint8Array(images * 28 * 28);
    for (let i = 0; i < pixels.length; i++) {
      pixels[i] = 70 + 100 * labels[Math.floor(i / (28 * 28))] + rng.int(121) - 60;
    }
    return new ByteImageDataset({
      source: `brightness-${name}`,
      pixels,
      labels,
      shape,
      numClasses: 2,
      classNames: ["dark", "bright"],
      normalization: { mean: [0.5], std: [0.25] },
      augmentation: NO_AUGMENTATION,
      augment: false,
    });
  };
  return { train: split("train"), val: split("val"), shape, numClasses: 2 };
}

/** A cell block whose output is all zeros: a cell that passes nothing on. */
class ZeroOutput extends Module {
  constructor(private readonly inner: Module) {
    super();
    this.child("inner", inner);
  }

  forward(x: Tensor): Tensor {
    return mul(this.inner.forward(x), zeros([1]));
  }
}

/**
 * Plants cells that output zeros: in the first searchable layer, every third cell of
 * the initial population (their blocks come out of the weight bank wrapped). Fills
 * `crippled` with their ids when the run opens.
 */
function plantZeroCells(crippled: Set<string>): (run: EvolutionRun) => void {
  return (run) => {
    const layer = run.layers[0];
    layer.population.entries().forEach((e, i) => {
      if (i % 3 === 1) crippled.add(e.id);
    });
    const blockFor = run.bank.blockFor.bind(run.bank);
    run.bank.blockFor = (at, shape, id, cell) => {
      const block = blockFor(at, shape, id, cell);
      return (at === layer.layer && crippled.has(id)
        ? new ZeroOutput(block)
        : block) as unknown as CellBlock;
    };
  };
}

/** The small runs below: 16 images a step, a fitness step after every weight step. */
const SMALL_RUN = ["--quick", "--val-images", "48", "--batch", "16", "--arch-every", "1"];

for (const mode of ["accuracy", "paired"] as const) {
  gpuTest(`--fitness ${mode}: cells that output zeros fall in fitness and leave`, async () => {
    // K = 3 of 6 cells, 2 of them crippled: every warm-up supernet trains a healthy path.
    const out = await Deno.makeTempDir({ prefix: "evolve_crippled_" });
    const crippled = new Set<string>();
    const cfg = parseEvolveArgs([
      ...SMALL_RUN,
      ...["--train-images", "128", "-K", "3", "-f", "3", "--epochs", "2", "--seed", "0"],
      ...["--fitness", mode, "--out", out],
    ]);
    const { history } = await evolveWith(cfg, {
      data: brightnessData(128, 5),
      prepare: plantZeroCells(crippled),
    }, () => {});
    assert.equal(crippled.size, 2);
    // The first layer's folds that compared paths (the warm-up supernet's measured one).
    const compared = history.map((line) => line.layers[0].folded ?? [])
      .filter((fold) => fold.reduce((n, f) => n + (f.paths ?? 0), 0) >= 2);
    const of = (bad: boolean) =>
      compared.flat().filter((f) => crippled.has(f.id) === bad && f.paths);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [bad, good] = [of(true), of(false)];
    // What holds on each of seeds 0–5 (where a crippled cell was measured at all) is asserted;
    // at this budget a crippled cell is often replaced after its first fold, and in 2–3 of
    // the 6 seeds one of its folds was not its supernet's lowest.
    assert.ok(bad.length >= 1 && good.length >= 8, `${bad.length} and ${good.length} folds`);
    // The supernet sees them: their paths' held-out loss is the higher...
    assert.ok(
      mean(bad.map((f) => f.loss!)) > mean(good.map((f) => f.loss!)) + 0.2,
      `held-out loss ${mean(bad.map((f) => f.loss!))} vs ${mean(good.map((f) => f.loss!))}`,
    );
    // ...so they fall in fitness: their folds lower α on average, the healthy ones' raise it...
    const [badDelta, goodDelta] = [mean(bad.map((f) => f.delta)), mean(good.map((f) => f.delta))];
    assert.ok(badDelta < 0 && goodDelta > 0, `mean δ ${badDelta} and ${goodDelta}`);
    // The fitness evidence of that layer leans the same way: in the paired steps the
    // crippled cells' losses stand apart. At this budget its smallest p over the intervals
    // was 0.022–0.057 on seeds 0–5 (below 5% in 2 of 6), so the bar is 0.1.
    if (mode === "paired") {
      const ps = history.flatMap((line) => line.layers[0].evidence?.p ?? []);
      assert.ok(ps.length >= 3 && Math.min(...ps) < 0.1, `evidence p ${ps}`);
    } else {
      assert.ok(history.every((line) => line.layers.every((l) => !l.evidence)));
    }
    // ...and leave: the learned space keeps none of them.
    const space = JSON.parse(await Deno.readTextFile(`${out}/search_space.json`));
    const kept = space.layers[0].cells.map((c: { id: string }) => c.id);
    assert.equal(kept.length, 3);
    assert.ok(kept.every((id: string) => !crippled.has(id)), `kept ${kept.join(", ")}`);
    await Deno.remove(out, { recursive: true });
  });
}

/** History lines without their wall-clock seconds. */
function withoutSeconds(history: readonly RegenerationRecord[]) {
  return history.map(({ seconds: _, ...line }) => line);
}

for (const mode of ["accuracy", "mixed", "paired"] as const) {
  gpuTest(`--fitness ${mode}: --resume ends where an uninterrupted run does`, async () => {
    // 4 steps an epoch: warm-up to step 4, regenerations at 5, 7, 9 and 11; the cut run
    // stops at 10, between two regenerations, with a path measured and not yet folded, and
    // resumes from the checkpoint it wrote there.
    const args = [...SMALL_RUN, "--train-images", "64", "-f", "2", "--fitness", mode];
    const data = brightnessData(64, 6);
    const whole = await Deno.makeTempDir({ prefix: "evolve_whole_" });
    const cut = await Deno.makeTempDir({ prefix: "evolve_cut_" });
    const lines: string[] = [];
    const run = (more: string[]) =>
      evolveWith(parseEvolveArgs([...args, ...more]), { data }, (line) => lines.push(line));
    const a = await run(["--out", whole]);
    assert.equal((await run(["--out", cut, "--stop-after", "10"])).spacePath, "");
    lines.length = 0;
    const b = await run(["--out", cut, "--resume"]);
    assert.match(lines[0], /resumed at step 10\//);
    assert.deepEqual(withoutSeconds(b.history), withoutSeconds(a.history));
    const layers = async (dir: string, file = "search_space.json") =>
      JSON.parse(await Deno.readTextFile(`${dir}/${file}`)).layers;
    assert.deepEqual(await layers(cut), await layers(whole));
    // Where it started: the whole initial population of each layer, unscored.
    for (const l of await layers(whole, "initial_space.json")) {
      assert.equal(l.cells.length, 6);
      for (const c of l.cells) assert.equal(c.fitness, 0);
    }
    // The measured paths were folded: the accuracy credit shows in the history.
    const folded = a.history.flatMap((line) => line.layers.flatMap((l) => l.folded ?? []));
    assert.ok(folded.some((f) => (f.paths ?? 0) > 0 && f.delta !== 0));
    // The null evolution recovers the folded steps by inverting Eq. 5.
    const steps = alphaStepsOf(a.history, DEFAULT_EVOLVE_CONFIG.epsilon);
    a.history[0].layers.forEach((_, li) => {
      const expected = a.history.slice(1).flatMap((line, i) => {
        const members = new Set(line.layers[li].members.map(([id]) => id));
        assert.deepEqual(
          line.layers[li].folded!.map((f) => f.id),
          a.history[i].layers[li].sampled.map((s) => s.id),
        );
        return line.layers[li].folded!.filter((f) => members.has(f.id)).map((f) => f.delta);
      });
      const got = steps.get(a.history[0].layers[li].layer)!;
      assert.equal(got.length, expected.length);
      got.forEach((d, i) => close(d, expected[i], `layer ${li} step ${i}`));
    });
    await Deno.remove(whole, { recursive: true });
    await Deno.remove(cut, { recursive: true });
  });
}

gpuTest("fitness evidence: the gate steps' comparisons survive a resume mid-interval", async () => {
  // K = 3, a regeneration at step 5 and one at 11 after 6 gate steps (6 comparisons of
  // 3 cells a layer: a test with 3 residual degrees of freedom); the cut run stops at 8.
  const args = [...SMALL_RUN, "--train-images", "64", "-K", "3", "-f", "6", "--epochs", "4"];
  const data = brightnessData(64, 7);
  const whole = await Deno.makeTempDir({ prefix: "evolve_evidence_whole_" });
  const cut = await Deno.makeTempDir({ prefix: "evolve_evidence_cut_" });
  const run = (more: string[]) =>
    evolveWith(parseEvolveArgs([...args, ...more]), { data }, () => {});
  const a = await run(["--out", whole]);
  await run(["--out", cut, "--stop-after", "8"]);
  const b = await run(["--out", cut, "--resume"]);
  assert.deepEqual(withoutSeconds(b.history), withoutSeconds(a.history));
  const tested = a.history.flatMap((line) => line.layers.flatMap((l) => l.evidence ?? []));
  assert.ok(tested.length >= 1, "no layer was tested");
  for (const e of tested) {
    assert.equal(e.steps, 6);
    assert.equal(e.comparisons, 6);
    assert.ok(e.p >= 0 && e.p <= 1 && e.df2 >= 1);
  }
  const report = await Deno.readTextFile(`${whole}/report.md`);
  assert.match(report, /## Does the fitness tell the cells apart\?/);
  assert.match(report, /Layer intervals passing at 5%: \d+ of \d+/);
  await Deno.remove(whole, { recursive: true });
  await Deno.remove(cut, { recursive: true });
});
