/**
 * The gradient search's gates over every path (`--gate-paths all`, ProxylessNAS's
 * full_v2): the α update is Eq. 4 over the full softmax with a dense Adam step, and the
 * gate-gradient statistics the report shows are the plain mean and spread per role.
 */
import assert from "node:assert/strict";
import { updateAlphaFromAllGates } from "../src/supernet/alpha_update.ts";
import { ArchAdam } from "../src/supernet/arch_optimizer.ts";
import { eq4Gradient, softmax } from "../src/supernet/gates.ts";
import { GateGradientStatistics, gatePairComparisons } from "../src/search/gate_statistics.ts";
import { Rng } from "../src/util/rng.ts";
import { parseSearchArgs } from "../src/search/config.ts";

const OPTIONS = { lr: 0.01, beta1: 0, beta2: 0.999, eps: 1e-8 };

Deno.test("all gates: Eq. 4 over the full softmax, the cost term added, one dense Adam step", () => {
  const alpha = [0.2, -0.1, 0.4, 0];
  const gateGrads = [-1.5, 0.02, 0.7, -0.3];
  const extra = [0.1, -0.2, 0, 0.05];
  const got = updateAlphaFromAllGates({
    alpha,
    gateGrads: Float32Array.from(gateGrads),
    optimizer: new ArchAdam(4, OPTIONS),
    extraGrad: extra,
  });
  const g = eq4Gradient(gateGrads, softmax(alpha), [1, 1, 1, 1]).map((x, i) => x + extra[i]);
  const want = new ArchAdam(4, OPTIONS).step(alpha, g);
  got.forEach((a, i) => assert.ok(Math.abs(a - want[i]) < 1e-12, `α_${i}: ${a} vs ${want[i]}`));
  // Every entry moved (a dense step), the most negative gate gradient's up the most.
  got.forEach((a, i) => assert.notEqual(a, alpha[i]));
  const moved = got.map((a, i) => a - alpha[i]);
  assert.equal(moved.indexOf(Math.max(...moved)), 0);
  assert.throws(
    () =>
      updateAlphaFromAllGates({ alpha, gateGrads: [1, 2], optimizer: new ArchAdam(4, OPTIONS) }),
    /4 paths, 2 gate gradients/,
  );
});

Deno.test("gate statistics: mean and spread of ∂L/∂g while idle, mean while drawn, resumable", () => {
  const stats = new GateGradientStatistics([3, 2]);
  stats.add(0, [0, 2], [1, 0], [0.1, -2]);
  stats.add(0, [2, 1], [0, 1], [-4, 0.3]);
  stats.add(0, [0, 1, 2], [0, 0, 1], [1, 3, 0.5]);
  stats.add(1, [0, 1], [0, 1], [7, 0]);
  const [layer0, layer1] = stats.summary();
  assert.deepEqual(layer0[2].idle, { mean: -3, sd: 1, n: 2 });
  assert.deepEqual(layer0[2].drawn, { mean: 0.5, n: 1 });
  assert.deepEqual(layer0[0].idle, { mean: 1, sd: 0, n: 1 });
  assert.ok(Math.abs(layer0[0].drawn.mean - 0.1) < 1e-12);
  assert.deepEqual(layer0[1].drawn.n, 1);
  assert.deepEqual(layer1[1].idle, { mean: 0, sd: 0, n: 0 });
  assert.deepEqual(layer1[0].idle.mean, 7);
  // A checkpoint's state gives the same summary; one without it starts afresh.
  const again = new GateGradientStatistics([3, 2]);
  again.setState(stats.getState());
  assert.deepEqual(again.summary(), stats.summary());
  again.setState(undefined);
  assert.equal(again.summary()[0][2].idle.n, 0);
  assert.throws(() => stats.add(0, [0, 1], [1], [0, 0]), /2 paths, 1 gates, 2 gradients/);
});

Deno.test("gate statistics: the last quarter's idle − drawn comparisons, tested, resumable", () => {
  // Candidate 0 is better than 1 and 2 by 0.5 (its idle gradient that much lower), under
  // noise 0.05; 400 steps of one layer, the first 300 with no difference at all.
  const stats = new GateGradientStatistics([3]);
  const rng = new Rng(4);
  const effect = [-0.5, 0, 0];
  for (let step = 0; step < 400; step++) {
    const [i, j] = [rng.int(3), rng.int(2)];
    const other = (i + 1 + j) % 3;
    const g = (k: number) => (step >= 300 ? effect[k] : 0) + 0.05 * rng.normal();
    stats.add(0, [i, other], [0, 1], [g(i), g(other)]);
  }
  const [e] = stats.evidence();
  assert.equal(e!.steps, 100); // the last quarter of 400
  assert.equal(e!.comparisons, 100);
  assert.equal(e!.p, 1 / 1000); // no relabelling of 999 comes near
  // Over the first three quarters alone there is nothing to find.
  const early = new GateGradientStatistics([3]);
  early.setState({
    ...stats.getState(),
    comparisons: [stats.getState().comparisons![0].filter(([step]) => step < 300)],
    steps: [300],
  });
  assert.ok(early.evidence()[0]!.p > 0.01, `p ${early.evidence()[0]!.p}`);
  // Resumable: a checkpoint's state gives the same test; none gives none.
  const again = new GateGradientStatistics([3]);
  again.setState(stats.getState());
  assert.deepEqual(again.evidence(), stats.evidence());
  again.setState(undefined);
  assert.deepEqual(again.evidence(), [null]);
});

Deno.test("gate pair comparisons: ∂L/∂g_a − ∂L/∂g_b for every pair of the active paths", () => {
  assert.deepEqual(gatePairComparisons([4, 1], [-0.25, 0.5]), [{ a: 4, b: 1, d: -0.75 }]);
  const all = gatePairComparisons([0, 1, 2], Float32Array.of(1, 2, 4));
  assert.deepEqual(all, [{ a: 0, b: 1, d: -1 }, { a: 0, b: 2, d: -3 }, { a: 1, b: 2, d: -2 }]);
  assert.throws(() => gatePairComparisons([0, 1], [1]), /2 paths, 1 gradients/);
});

Deno.test("--gate-paths: two by default, all on request, refused for other algorithms", () => {
  const base = ["--space", "baseline:compact-28"];
  const g = [...base, "--algo", "proxyless-g"];
  assert.equal(parseSearchArgs(g).gatePaths, "two");
  assert.equal(parseSearchArgs([...g, "--gate-paths", "all"]).gatePaths, "all");
  assert.throws(
    () => parseSearchArgs([...base, "--gate-paths", "all"]),
    /--gate-paths sets the proxyless-g search; --algo is proxyless-rl/,
  );
  assert.throws(() => parseSearchArgs([...base, "--gate-paths", "three"]), /gate-paths/);
});
