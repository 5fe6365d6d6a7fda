/**
 * `deno task bench` — times every conv kernel, forward and backward, at the layer
 * shapes of the default evolution supernet and of MobileNetV2-1.0 at 224×224, four
 * target kernels, and full training steps of a MobileNetV2-style 28×28
 * network (images/s and the share of time per kernel). See src/bench/.
 *
 *   deno task bench [flags]   (flags and defaults: deno task bench --help)
 *   deno task bench --sections latency,latency-check --space S   (latency table of a
 *     search space on this adapter, and its prediction error on sampled networks)
 *   deno task bench --sections supernet-path [--space S]   (a path of S as a plain
 *     network and as supernet paths, and an evolution's regenerations)
 *
 * Tables go to stdout, progress lines to stderr.
 */
import { dirname } from "node:path";
import type { AccessCosts } from "../src/bench/access_costs.ts";
import {
  BENCH_USAGE,
  type BenchRequest,
  KERNEL_BATCH,
  LATENCY_BATCH,
  LATENCY_SPACE,
  parseBenchArgs,
  SUPERNET_PATH_SPACE,
} from "../src/bench/command.ts";
import type { LatencyBenchOptions } from "../src/bench/latency_sections.ts";
import type { SupernetPathOptions } from "../src/bench/supernet_path.ts";
import type { ForwardPassOptions } from "../src/bench/forward_pass.ts";
import type { TrainNetwork } from "../src/bench/train_step.ts";
import { type BenchOptions, runBench } from "../src/bench/runner.ts";
import { defaultCachePath } from "../src/latency/cache.ts";
import { loadTarget } from "../src/space/load.ts";
import type { SearchSpaceSpec } from "../src/space/search_space_spec.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(BENCH_USAGE);
  Deno.exit(0);
}

/** The latency sections' options; the space is loaded here, so a bad one fails first. */
async function latencyOptions(request: BenchRequest): Promise<LatencyBenchOptions | undefined> {
  const { sections } = request;
  if (!sections.includes("latency") && !sections.includes("latency-check")) return undefined;
  const source = request.space ?? LATENCY_SPACE;
  const batch = request.batch ?? LATENCY_BATCH;
  return {
    space: await loadSpace(source),
    source,
    batch,
    checkBatches: [...new Set([1, batch])],
    networks: request.networks,
    cachePath: request.latencyCache ?? defaultCachePath(),
    refresh: request.refresh,
    rounds: request.rounds,
    seed: request.seed,
    statistic: request.statistic,
  };
}

/** A search space, or one line saying what `source` is instead. */
async function loadSpace(source: string): Promise<SearchSpaceSpec> {
  const loaded = await loadTarget(source);
  if (loaded.kind !== "space") {
    throw new Error(`--space ${source} is a network, not a search space`);
  }
  return loaded.space;
}

/**
 * What a supernet section shares: its space (`--space`, else the learned space kept in
 * docs, loaded here so a bad one fails first), batch, repetitions and seed.
 */
async function supernetSectionBase(request: BenchRequest) {
  const source = request.space ?? SUPERNET_PATH_SPACE;
  return {
    space: await loadSpace(source),
    source,
    batch: request.trainBatch,
    reps: request.reps,
    seed: request.seed,
  };
}

/** The supernet-path section's options. */
async function supernetPathOptions(
  request: BenchRequest,
): Promise<SupernetPathOptions | undefined> {
  if (!request.sections.includes("supernet-path")) return undefined;
  return {
    ...await supernetSectionBase(request),
    stepsPerRep: 2,
    pairs: request.pairs,
    regenerations: request.regenerations,
  };
}

/** The forward section's options. */
async function forwardPassOptions(
  request: BenchRequest,
): Promise<ForwardPassOptions | undefined> {
  if (!request.sections.includes("forward")) return undefined;
  return {
    ...await supernetSectionBase(request),
    passesPerRep: 4,
    profiledPasses: request.profileSteps,
  };
}

/** The training section's network: `--train-arch` loaded (a bad one fails first), else none. */
async function trainNetwork(request: BenchRequest): Promise<TrainNetwork | undefined> {
  if (request.trainArch === null || !request.sections.includes("train")) return undefined;
  const loaded = await loadTarget(request.trainArch);
  if (loaded.kind !== "network") {
    throw new Error(`--train-arch ${request.trainArch} is a search space, not a network`);
  }
  return { spec: loaded.spec, source: request.trainArch };
}

/** The access costs of a bench JSON (its `access`), or of a bare access-costs object. */
async function readAccessCosts(path: string): Promise<{ costs: AccessCosts; source: string }> {
  const json = JSON.parse(await Deno.readTextFile(path));
  const costs = json?.access ?? json;
  if (!Array.isArray(costs?.rows) || typeof costs?.emptyDispatchUs !== "number") {
    throw new Error(`--access-costs ${path}: no access costs (rows, emptyDispatchUs) in it`);
  }
  return { costs, source: path };
}

/** The runner's options from the request: files and spaces read, the adapter's env. */
async function benchOptions(request: BenchRequest): Promise<BenchOptions> {
  let forceFallbackAdapter = false;
  try {
    forceFallbackAdapter = Deno.env.get("AUTOSPACE_ADAPTER") === "cpu";
  } catch { /* no env access: not forced */ }
  return {
    sections: [...request.sections],
    batch: request.batch ?? KERNEL_BATCH,
    mbv2Batch: request.mbv2Batch ?? undefined,
    trainBatch: request.trainBatch,
    trainWidth: request.trainWidth,
    trainNetwork: await trainNetwork(request),
    reps: request.reps,
    warmup: request.warmup,
    profileSteps: request.profileSteps,
    timer: request.timer,
    compare: request.compare,
    variant: request.variant ?? undefined,
    checkTimer: !request.skipTimerCheck,
    seed: request.seed,
    forceFallbackAdapter,
    accessCosts: request.accessCosts === null
      ? undefined
      : await readAccessCosts(request.accessCosts),
    latency: await latencyOptions(request),
    supernetPath: await supernetPathOptions(request),
    forward: await forwardPassOptions(request),
  };
}

const encoder = new TextEncoder();
await runCli("bench", async () => {
  const request = parseBenchArgs(Deno.args);
  const opts = await benchOptions(request);
  try {
    const gpu = await initEngine({ variant: opts.variant });
    const report = await runBench(gpu, opts, {
      print: (text) => console.log(text),
      progress: (line) => Deno.stderr.writeSync(encoder.encode(`  … ${line}\n`)),
    });
    if (request.json !== null) {
      await Deno.mkdir(dirname(request.json), { recursive: true });
      await atomicWrite(request.json, JSON.stringify(report, null, 2) + "\n");
      console.log(`wrote ${request.json}`);
    }
  } finally {
    await shutdownEngine().catch(() => undefined);
  }
});
// onnxruntime-node and tfjs (--compare) can keep handles open: leave explicitly.
Deno.exit(0);
