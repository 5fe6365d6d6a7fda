import assert from "node:assert/strict";
import {
  benchFigures,
  pairedFiguresMarkdown,
  pairFigures,
  withSum,
} from "../src/bench/bench_pairs.ts";

/** A bench JSON's train section as `deno task bench --sections access,train` writes it. */
function trainJson(stepMs: number, depthwiseMs: number, withNormalise: boolean) {
  const ops = [
    { kernel: "conv2d_strip", op: "conv2d", dispatches: 10, ms: 100 },
    { kernel: "dwconv_forward", op: "depthwiseConv2d forward", dispatches: 4, ms: depthwiseMs },
    ...(withNormalise ? [{ kernel: "bn_normalize", op: "batchNorm2d", dispatches: 3, ms: 5 }] : []),
    { kernel: "conv2d_strip", op: "conv2d dx", dispatches: 9, ms: 50 },
  ];
  const row = (family: string, measuredMs: number, floorMs: number) => ({
    family,
    measuredMs,
    floorMs,
    ratio: measuredMs / floorMs,
    sizedFloorMs: undefined as number | undefined,
    sizedRatio: undefined as number | undefined,
  });
  return {
    train: {
      stepMedianMs: stepMs,
      imagesPerSecond: 64_000 / stepMs,
      profiledGpuMs: 150 + depthwiseMs,
      ops,
      floor: {
        rows: [row("conv", 150, 140), row("depthwise", depthwiseMs, 10)],
        total: row("total", 150 + depthwiseMs, 150),
      },
    },
  };
}

Deno.test("bench pairs: figures of a train section, kernels summed by name", () => {
  const figures = benchFigures(trainJson(300, 20, true), "a.json");
  const value = (name: string) => figures.find((f) => f.name === name)?.value;
  assert.equal(value("train: step median, ms"), 300);
  assert.equal(value("train: step median ÷ floor"), 2);
  assert.equal(value("train: depthwise ÷ floor"), 2);
  assert.equal(value("train: kernel conv2d_strip, ms"), 150);
  assert.equal(
    value("train: depthwise ÷ floor by size"),
    undefined,
    "older JSON: no floor by size",
  );
  const sized = trainJson(300, 20, true);
  sized.train.floor.total = { ...sized.train.floor.total, sizedFloorMs: 200, sizedRatio: 0.85 };
  sized.train.floor.rows[1] = { ...sized.train.floor.rows[1], sizedFloorMs: 16, sizedRatio: 1.25 };
  const bySize = benchFigures(sized, "s.json");
  const sizedValue = (name: string) => bySize.find((f) => f.name === name)?.value;
  assert.equal(sizedValue("train: step median ÷ floor by size"), 1.5);
  assert.equal(sizedValue("train: depthwise ÷ floor by size"), 1.25);
  assert.throws(() => benchFigures({ access: {} }, "x.json"), /x\.json: no train or forward/);
  const broken = trainJson(300, 20, true);
  (broken.train as Record<string, unknown>).stepMedianMs = "slow";
  assert.throws(() => benchFigures(broken, "b.json"), /b\.json: "train: step median, ms"/);
});

Deno.test("bench pairs: after − before pair by pair; a kernel a change removed counts 0 ms", () => {
  const depthwise = [[20, 14], [30, 21], [22, 15], [40, 29], [25, 18], [27, 19]];
  const before = depthwise.map(([b], k) => benchFigures(trainJson(300 + k, b, true), "b"));
  const after = depthwise.map(([, a], k) => benchFigures(trainJson(290 + k, a, false), "a"));
  const figures = pairFigures(before, after);
  const dw = figures.find((f) => f.name === "train: depthwise, ms")!;
  assert.deepEqual(dw.after, [14, 21, 15, 29, 18, 19]);
  // Every pair 6–11 ms faster: the t-interval excludes 0 and 2/2^6 is the exact p.
  assert.ok(dw.statistics.tInterval.high < 0);
  assert.equal(dw.statistics.p, 2 / 64);
  assert.equal(dw.statistics.resolved, true);
  const normalise = figures.find((f) => f.name === "train: kernel bn_normalize, ms")!;
  assert.deepEqual(normalise.after, [0, 0, 0, 0, 0, 0]);
  assert.equal(normalise.statistics.mean, -5);
  const step = figures.find((f) => f.name === "train: step median, ms")!;
  assert.equal(step.statistics.mean, -10);
  const table = pairedFiguresMarkdown([dw, step]);
  assert.match(table, /\| train: depthwise, ms \| 20, 30, 22, 40, 25, 27 \| 14, 21/);
  assert.match(table, /\| 6 \| 0\.0313 \| resolved \|/);
  assert.throws(() => pairFigures(before, after.slice(1)), /6 before runs against 5 after/);
  assert.throws(() => pairFigures(before.slice(0, 1), after.slice(0, 1)), /needs 2 pairs/);
});

Deno.test("deno task bench-pairs: one line naming what is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/before_1.json`, JSON.stringify(trainJson(300, 20, true)));
    await Deno.writeTextFile(`${dir}/after_1.json`, JSON.stringify(trainJson(290, 14, true)));
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "scripts/bench_pairs.ts", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const one = await run([dir]);
    assert.equal(one.code, 1);
    assert.match(
      new TextDecoder().decode(one.stderr),
      /1 pair\(s\) of before_k\.json.*need at least 2/,
    );
    await Deno.writeTextFile(`${dir}/before_2.json`, JSON.stringify(trainJson(310, 22, true)));
    await Deno.writeTextFile(`${dir}/after_2.json`, JSON.stringify(trainJson(295, 15, true)));
    const two = await run([dir, "--figures", "depthwise", "--out", `${dir}/pairs`]);
    assert.equal(two.code, 0, new TextDecoder().decode(two.stderr));
    const md = await Deno.readTextFile(`${dir}/pairs.md`);
    assert.match(md, /2 pairs \(k = 1, 2\)/);
    assert.match(md, /\| train: depthwise, ms \| 20, 22 \| 14, 15 \|/);
    assert.doesNotMatch(md, /step median/);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/pairs.json`));
    assert.deepEqual(json.pairs, [1, 2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench pairs: --sum adds each run's total of the matching ms figures", () => {
  const figures = benchFigures(trainJson(300, 20, true), "b");
  const summed = withSum(figures, "dw+bn", /kernel (dwconv_forward|bn_normalize),/);
  assert.deepEqual(summed.slice(0, figures.length), figures);
  assert.deepEqual(summed.at(-1), { name: "sum: dw+bn, ms", value: 25 });
  // A kernel a run lacks adds nothing; ratios (not ms figures) never count.
  const without = withSum(benchFigures(trainJson(300, 20, false), "a"), "dw+bn", /dwconv|bn_/);
  assert.equal(without.at(-1)!.value, 20);
  assert.equal(withSum(figures, "ratios", /÷/).at(-1)!.value, 0);
});
