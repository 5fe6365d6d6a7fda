/**
 * One-time set-up that every task runs first: makes sure the WebGPU adapter tasks
 * will use is a Vulkan one (installing Mesa's lavapipe, Debian's mesa-vulkan-drivers,
 * when it can: root and apt-get; else one line saying what to install), and with
 * --data that Fashion-MNIST is present, with --slurm that Slurm and munge are (the cluster
 * test's one-node cluster). npm dependencies are installed by Deno itself
 * (nodeModulesDir: auto, deno.lock). Flags: `deno task setup --help`.
 */
import { ensureVulkanAdapter } from "../src/setup/adapter.ts";
import { ensureSlurm } from "../src/setup/slurm.ts";
import { ensureFashionMnist, FASHION_MNIST_DEFAULT_DIR } from "../src/data/mod.ts";
import { parseSetupArgs, SETUP_USAGE } from "../src/setup/setup_command.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(SETUP_USAGE);
  Deno.exit(0);
}

await runCli("setup", async () => {
  const request = parseSetupArgs(Deno.args);
  const log = request.quiet ? () => {} : (msg: string) => console.log(msg);
  const adapter = await ensureVulkanAdapter(log, (msg) => console.error(msg), !request.noInstall);
  log(`setup: WebGPU adapter: ${adapter}`);
  if (request.data) {
    await ensureFashionMnist(FASHION_MNIST_DEFAULT_DIR);
    log(`setup: Fashion-MNIST present in ${FASHION_MNIST_DEFAULT_DIR}`);
  }
  if (request.slurm) {
    const absent = await ensureSlurm(log, !request.noInstall);
    log(absent === null ? "setup: Slurm and munge present" : `setup: no Slurm cluster: ${absent}`);
  }
});
