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
import { parseCli, runCli } from "./_cli.ts";

const SETUP = {
  usage: "deno task setup [--quiet] [--data] [--slurm] [--no-install]",
  summary:
    "Checks for a Vulkan WebGPU adapter (DENO_WEBGPU_BACKEND=vulkan, the backend every task\n" +
    "uses on Linux) and installs mesa-vulkan-drivers with apt-get when there is none and it\n" +
    "runs as root; otherwise prints one line saying what to install and exits 1.",
  flags: {
    quiet: { type: "boolean", default: false, help: "print only warnings and errors" },
    data: {
      type: "boolean",
      default: false,
      help: `also make sure Fashion-MNIST is in ${FASHION_MNIST_DEFAULT_DIR}\n` +
        "(Debian's dataset-fashion-mnist)",
    },
    slurm: {
      type: "boolean",
      default: false,
      help: "also install Slurm and munge when missing and root (for the cluster test);\n" +
        "where it cannot, say why in one line and go on",
    },
    "no-install": {
      type: "boolean",
      default: false,
      help: "never install packages: check, and say what is missing (GPU servers)",
    },
  },
} as const;

await runCli("setup", async () => {
  const { values } = parseCli(SETUP, Deno.args);
  const log = values.quiet ? () => {} : (msg: string) => console.log(msg);
  const adapter = await ensureVulkanAdapter(
    log,
    (msg) => console.error(msg),
    !values["no-install"],
  );
  log(`setup: WebGPU adapter: ${adapter}`);
  if (values.data) {
    await ensureFashionMnist(FASHION_MNIST_DEFAULT_DIR);
    log(`setup: Fashion-MNIST present in ${FASHION_MNIST_DEFAULT_DIR}`);
  }
  if (values.slurm) {
    const absent = await ensureSlurm(log, !values["no-install"]);
    log(absent === null ? "setup: Slurm and munge present" : `setup: no Slurm cluster: ${absent}`);
  }
});
