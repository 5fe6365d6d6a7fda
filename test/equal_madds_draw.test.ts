/**
 * `deno task draw`: a uniform random network of a space at a target MAdds — the kept path
 * lies within the tolerance, the draws are counted, paths in the window are equally
 * likely, an unreachable target is one line naming it and the space's range, and the
 * command writes a network that `deno task train --arch` reads, at a found network's MAdds.
 */
import assert from "node:assert/strict";
import { parseDrawArgs } from "../src/search/draw_command.ts";
import { drawAtMAdds, maddsRange } from "../src/search/equal_madds_draw.ts";
import { type CostModel, pathCost } from "../src/search/expected_cost.ts";
import { fullChoices, spaceCosts } from "../src/search/space_costs.ts";
import { loadSearchSpace } from "../src/search/space_input.ts";
import { countNetwork } from "../src/space/counting.ts";
import { loadTarget } from "../src/space/load.ts";
import { networkToJson } from "../src/space/network_spec.ts";
import { networkFromChoices } from "../src/space/search_space_spec.ts";
import { Rng } from "../src/util/rng.ts";
import { runScript, throwsLine } from "./_helpers.ts";

/** The manual space on Fashion-MNIST's 28×28×1 images (what `deno task draw` fits it to). */
async function compactSpace() {
  const { space } = await loadSearchSpace("baseline:compact-28", { backbone: "proxyless-224" });
  assert.equal(space.input.size, 28);
  return { space, costs: spaceCosts(space) };
}

Deno.test("draw: the kept path lies within ±3% of the target, and the draws are counted", async () => {
  const { costs } = await compactSpace();
  const range = maddsRange(costs.madds);
  for (const [target, seed] of [[5e6, 1], [4e6, 2], [9e6, 3], [range.min * 1.01, 4]]) {
    const drawn = drawAtMAdds(costs.madds, target, new Rng(seed));
    assert.equal(drawn.madds, pathCost(costs.madds, drawn.path));
    assert.ok(
      drawn.madds >= 0.97 * target && drawn.madds <= 1.03 * target,
      `${drawn.madds} not within 3% of ${target}`,
    );
    assert.deepEqual([drawn.low, drawn.high], [0.97 * target, 1.03 * target]);
    // `draws` is the number of uniform paths drawn: replaying the same seed path by path
    // reaches the kept one at exactly that count.
    const replay = new Rng(seed);
    let count = 0;
    let path: number[] = [];
    do {
      path = costs.choices.map((k) => replay.int(k));
      count++;
    } while (
      !(pathCost(costs.madds, path) >= drawn.low && pathCost(costs.madds, path) <= drawn.high)
    );
    assert.equal(count, drawn.draws);
    assert.deepEqual(path, drawn.path);
    // The same seed draws the same network.
    assert.deepEqual(drawAtMAdds(costs.madds, target, new Rng(seed)), drawn);
  }
  // A tighter tolerance takes more draws on average, and still lands inside.
  const tight = drawAtMAdds(costs.madds, 5e6, new Rng(7), { tolerance: 0.002 });
  assert.ok(Math.abs(tight.madds - 5e6) <= 0.002 * 5e6);
});

Deno.test("draw: every path in the window is equally likely (uniform over the window)", () => {
  // Two layers of costs 0, 1, 2: paths of cost 2 are (0,2), (1,1), (2,0).
  const model: CostModel = { perLayer: [[0, 1, 2], [0, 1, 2]], fixed: 10 };
  const rng = new Rng(5);
  const counts = new Map<string, number>();
  const n = 3000;
  for (let i = 0; i < n; i++) {
    const drawn = drawAtMAdds(model, 12, rng, { tolerance: 0.01 });
    assert.equal(drawn.madds, 12);
    counts.set(drawn.path.join(","), (counts.get(drawn.path.join(",")) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), ["0,2", "1,1", "2,0"]);
  for (const c of counts.values()) assert.ok(Math.abs(c / n - 1 / 3) < 0.04, `${c} of ${n}`);
});

Deno.test("draw: an unreachable target is one line naming it and the space's MAdds range", async () => {
  const { costs } = await compactSpace();
  // Outside the space: refused at once.
  throwsLine(
    () => drawAtMAdds(costs.madds, 50e6, new Rng(0)),
    /^no network of this space within ±3% of 50\.00M MAdds \(48\.50M–51\.50M\): the window is outside the space; the space's networks range from 2\.59M to 12\.04M MAdds$/,
  );
  throwsLine(() => drawAtMAdds(costs.madds, 1e6, new Rng(0)), /range from 2\.59M to 12\.04M/);
  // Inside the range but between the discrete costs: given up after the bound.
  const gaps: CostModel = { perLayer: [[0, 10e6], [0, 10e6]], fixed: 0 };
  throwsLine(
    () => drawAtMAdds(gaps, 5e6, new Rng(0), { maxDraws: 1000 }),
    /^no network of this space within ±3% of 5\.00M MAdds \(4\.85M–5\.15M\): none in 1,000 uniform draws; the space's networks range from 0 to 20\.00M MAdds$/,
  );
  throwsLine(() => drawAtMAdds(gaps, 0, new Rng(0)), /target MAdds must be a positive number/);
  throwsLine(() => drawAtMAdds(gaps, 5e6, new Rng(0), { tolerance: 1 }), /tolerance must be in/);
});

Deno.test("draw flags: one target, a tolerance below 1, and one line for anything else", () => {
  const cfg = parseDrawArgs(["--space", "baseline:compact-28", "--madds", "5M", "--seed", "3"]);
  assert.equal(cfg.madds, 5e6);
  assert.equal(cfg.match, null);
  assert.equal(cfg.tolerance, 0.03);
  assert.equal(cfg.seed, 3);
  assert.equal(cfg.data, "fashion-mnist");
  const space = ["--space", "baseline:compact-28"];
  throwsLine(() => parseDrawArgs(["--madds", "5M"]), /^--space is required/);
  throwsLine(() => parseDrawArgs(space), /^give one target: --match NETWORK.json .* or --madds X$/);
  throwsLine(
    () => parseDrawArgs([...space, "--madds", "5M", "--match", "n.json"]),
    /or --madds X, not both$/,
  );
  throwsLine(() => parseDrawArgs([...space, "--madds", "lots"]), /^--madds must be a count/);
  throwsLine(() => parseDrawArgs([...space, "--madds", "5M", "--tolerance", "1"]), /below 1/);
  throwsLine(() => parseDrawArgs([...space, "--madds", "5M", "--tolerance", "-0.1"]), /≥ 0/);
  throwsLine(() => parseDrawArgs([...space, "--madds", "5M", "--seed", "1.5"]), /--seed must be/);
  throwsLine(
    () => parseDrawArgs([...space, "--madds", "5M", "--data", "mnist"]),
    /unknown dataset/,
  );
  throwsLine(() => parseDrawArgs([...space, "--madds", "5M", "--epochs", "2"]), /see --help/);
});

Deno.test({
  name: "deno task draw --match: a network at the found network's MAdds, in search's format",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "draw-test-" });
    try {
      // A "found" network: a path of the manual space, written as search writes it.
      const { space, costs } = await compactSpace();
      const found = networkFromChoices(space, fullChoices(space, costs, [5, 0, 5, 6, 1, 3, 5]));
      const foundMAdds = countNetwork(found).total.madds;
      await Deno.writeTextFile(`${dir}/found.json`, JSON.stringify(networkToJson(found)));
      const out = `${dir}/draw`;
      const r = await runScript(
        "draw.ts",
        ...["--space", "baseline:compact-28", "--match", `${dir}/found.json`, "--seed", "4"],
        ...["--out", out],
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /draw: .* after \d+ draw\(s\)/);
      const record = JSON.parse(await Deno.readTextFile(`${out}/draw.json`));
      assert.equal(record.target, foundMAdds);
      assert.equal(record.matched, `${dir}/found.json`);
      assert.equal(record.tolerance, 0.03);
      assert.ok(record.draws >= 1);
      const loaded = await loadTarget(`${out}/network.json`);
      assert.equal(loaded.kind, "network");
      if (loaded.kind !== "network") return;
      const drawnMAdds = countNetwork(loaded.spec).total.madds;
      assert.equal(drawnMAdds, record.madds);
      assert.ok(Math.abs(drawnMAdds - foundMAdds) <= 0.03 * foundMAdds);
      const result = JSON.parse(await Deno.readTextFile(`${out}/result.json`));
      assert.equal(result.algo, "random-draw");
      assert.equal(result.heldOut, null, "a draw has no held-out accuracy");
      assert.equal(result.madds, drawnMAdds);
      assert.equal(result.layers.length, 7);
      assert.match(await Deno.readTextFile(`${out}/report.md`), /no held-out accuracy/);

      // Refusals: one line, exit 1, nothing written.
      for (
        const [args, pattern] of [
          [["--madds", "50M"], /^draw: no network of this space within ±3% of 50\.00M MAdds/],
          [["--match", `${dir}/absent.json`], /^draw: --match .*absent\.json: not a built-in/],
          [["--match", `${dir}/found.json`, "--madds", "5M"], /not both/],
        ] as const
      ) {
        const bad = await runScript(
          "draw.ts",
          ...["--space", "baseline:compact-28", ...args, "--out", `${dir}/refused`],
        );
        assert.equal(bad.code, 1, `${args.join(" ")}: exit ${bad.code}`);
        assert.match(bad.stderr, pattern);
        assert.equal(bad.stderr.split("\n").length, 1, bad.stderr);
      }
      await assert.rejects(Deno.stat(`${dir}/refused`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
