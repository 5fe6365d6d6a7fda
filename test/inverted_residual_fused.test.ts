/**
 * The inverted residual block's fused forward (the expand layer's BN + ReLU6 read by the
 * depthwise conv, the depthwise layer's read by the project conv) against its modules run
 * one after the other: output and input gradient, with and without an expand layer.
 */
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { InvertedResidual } from "../src/networks/inverted_residual.ts";
import { add } from "../src/ops/elementwise.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(31);

for (const expansion of [1, 3]) {
  gpuTest(
    `InvertedResidual (expansion ${expansion}): the fused block equals its modules in turn`,
    async () => {
      const spec = {
        type: "inverted_residual" as const,
        cin: 4,
        cout: 4,
        stride: 1,
        kernel: 3,
        expansion,
        se: false,
      };
      const block = new InvertedResidual(spec, new Rng(7));
      const xh = ref.randomHost([2, 4, 8, 8], rng, 2);
      const dyh = ref.randomHost([2, 4, 8, 8], rng);
      const run = (fused: boolean) => {
        const x = requireGrad(toGpu(xh, "x"));
        const y = tidy(() => {
          const e = block.expand;
          const mid = e ? e.forward(x) : x;
          const y = fused
            ? block.forward(x)
            : add(block.project.forward(block.depthwise.forward(mid)), x);
          backward(y, toGpu(dyh, "dy"));
          return y;
        });
        return { y, dx: x.grad! };
      };
      const a = run(true);
      const b = run(false);
      const [ya, dxa, yb, dxb] = await readAll([a.y, a.dx, b.y, b.dx]);
      assertClose(ya, yb, "block output");
      assertClose(dxa, dxb, "block input gradient");
      block.dispose();
    },
  );
}
