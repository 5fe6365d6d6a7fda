/**
 * `Supernet.forwardFrom`: a path that runs as another one up to some layer, started there
 * from the other path's input to that layer, gives bit for bit the logits of its whole
 * forward (the paired REINFORCE step scores its variations this way,
 * src/search/proxyless_rl.ts). Training mode, as in an architecture step.
 */
import assert from "node:assert/strict";
import { parseSearchSpaceSpec, SEARCH_SPACE_SPEC_FORMAT } from "../src/space/search_space_spec.ts";
import { supernetFromSpace } from "../src/supernet/supernet.ts";
import { noGrad, tidy } from "../src/tensor/engine.ts";
import { readAll, type Tensor } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";
import { gpuTest, throwsLine, toGpu } from "./_helpers.ts";

function block(cin: number, cout: number, stride: number, kernel: number, expansion: number) {
  return { type: "inverted_residual", cin, cout, stride, kernel, expansion, se: false };
}

// Searchable layers 0, 2 and 3 around a fixed one; layer 3 has a skip candidate.
const SPACE = parseSearchSpaceSpec({
  format: SEARCH_SPACE_SPEC_FORMAT,
  name: "forward-from",
  input: { channels: 1, size: 12 },
  stem: { cout: 4, kernel: 3, stride: 1 },
  layers: [
    { cin: 4, cout: 8, stride: 2, candidates: [block(4, 8, 2, 3, 3), block(4, 8, 2, 5, 6)] },
    { cin: 8, cout: 8, stride: 1, candidates: [block(8, 8, 1, 3, 3)] },
    {
      ...{ cin: 8, cout: 8, stride: 1 },
      candidates: [block(8, 8, 1, 3, 3), block(8, 8, 1, 5, 3), block(8, 8, 1, 3, 6)],
    },
    {
      ...{ cin: 8, cout: 8, stride: 1 },
      candidates: [block(8, 8, 1, 3, 6), { type: "zero", cin: 8, cout: 8, stride: 1 }],
    },
  ],
  head: { featureMix: { cout: 16 }, dropout: 0 },
  classes: 5,
});

gpuTest("a variation started from the context's input at its switched layer", async () => {
  const supernet = supernetFromSpace(SPACE, new Rng(3));
  const rng = new Rng(7);
  const images = 6;
  const data = Array.from({ length: images * 12 * 12 }, () => rng.normal());
  const x = toGpu({ shape: [images, 1, 12, 12], data });
  const context = [1, 0, 2, 0];
  const variations: [layer: number, candidate: number][] = [[0, 0], [2, 1], [3, 1]];
  const [whole, started] = noGrad(() =>
    tidy(() => {
      supernet.choosePath(context);
      const inputs = new Map<number, Tensor>();
      supernet.forwardFrom(0, supernet.stem.forward(x), (layer, t) => inputs.set(layer, t));
      assert.deepEqual([...inputs.keys()], [0, 1, 2, 3], "every layer's input is shown");
      const whole: Tensor[] = [];
      const started: Tensor[] = [];
      for (const [layer, candidate] of variations) {
        supernet.choosePath(context.map((c, l) => (l === layer ? candidate : c)));
        whole.push(supernet.forward(x));
        started.push(supernet.forwardFrom(layer, inputs.get(layer)!));
      }
      return [whole, started];
    })
  );
  const [a, b] = [await readAll(whole), await readAll(started)];
  variations.forEach(([layer], k) => {
    assert.ok(a[k].every(Number.isFinite), `layer ${layer}: finite logits`);
    assert.deepEqual(b[k], a[k], `switched at layer ${layer}: the same logits bit for bit`);
  });
  // The variations do differ from one another: the comparison above is not vacuous.
  assert.notDeepEqual(a[0], a[1]);
  throwsLine(() => supernet.forwardFrom(5, x), /forwardFrom: layer 5 is not in 0\.\.4/);
  for (const t of [x, ...whole, ...started]) t.dispose();
  supernet.dispose();
});
