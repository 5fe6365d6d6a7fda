/**
 * One-time set-up that every task runs first: checks for a WebGPU adapter and, where
 * there is none, installs Mesa's lavapipe (Debian package mesa-vulkan-drivers) when
 * it can (root and apt-get), else prints one line saying what to install.
 * npm dependencies are installed by Deno itself (nodeModulesDir: auto, deno.lock).
 *
 *   deno run -A scripts/setup.ts [--quiet] [--data]
 *
 * --data also makes sure Fashion-MNIST is present (Debian's dataset-fashion-mnist).
 */
import { parseArgs } from "node:util";
import { ensureLavapipe } from "../src/setup/adapter.ts";
import { ensureFashionMnist } from "../src/data/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quiet: { type: "boolean", default: false },
    data: { type: "boolean", default: false },
  },
});
const log = values.quiet ? () => {} : (msg: string) => console.log(msg);

try {
  const adapter = await ensureLavapipe(log);
  log(`setup: WebGPU adapter: ${adapter}`);
  if (values.data) {
    await ensureFashionMnist("/usr/share/datasets/fashion-mnist");
    log("setup: Fashion-MNIST present in /usr/share/datasets/fashion-mnist");
  }
} catch (e) {
  console.error(`setup: ${(e as Error).message}`);
  Deno.exit(1);
}
