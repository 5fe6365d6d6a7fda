/**
 * End-to-end searches through the CLI, as a user runs them: the whole chain
 * (evolve --quick, then search --quick in its output with every --algo, then train the
 * found network for 20 steps), SIGTERM at a random step (and, for SPOS, again while paths
 * are scored) then --resume ending with the same files, and the one-line refusal
 * of a cap below the cheapest network. Tiny image counts keep each run to seconds of
 * steps; most of the time is kernel compilation.
 */
import assert from "node:assert/strict";
import { SEARCH_ALGORITHMS } from "../src/search/config.ts";
import { loadSearchSpace } from "../src/search/space_input.ts";
import { spaceCosts } from "../src/search/space_costs.ts";
import { countNetwork } from "../src/space/counting.ts";
import { loadTarget } from "../src/space/load.ts";
import { TEST_SIGNAL_ENV } from "../src/util/interrupt.ts";
import { runDeno, runScript } from "./_helpers.ts";

/** Runs a task's script; `out` is everything it printed. */
async function cli(
  script: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const run = await runScript(`${script}.ts`, ...args);
  return { code: run.code, out: `${run.stdout}\n${run.stderr}`, err: run.stderr };
}

const opts = { sanitizeOps: false, sanitizeResources: false };
/** A smoke search on 64 training and 64 held-out images (2 steps an epoch). */
const TINY = ["--quick", "--train-images", "64", "--val-images", "64"];

/** Folders shared across the tests of this file, removed when the test run ends. */
const sharedDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of sharedDirs) Deno.removeSync(dir, { recursive: true });
});

let evolved: Promise<string> | null = null;
/** The learned space of one tiny `evolve --quick` run, shared by the tests of this file. */
function evolvedSpace(): Promise<string> {
  evolved ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "search_evolve_" });
    sharedDirs.push(dir);
    const run = await cli("evolve", [...TINY, "-f", "2", "--out", dir]);
    assert.equal(run.code, 0, run.out);
    return `${dir}/search_space.json`;
  })();
  return evolved;
}

/** The cap of the searches below: 30% of the way from the cheapest network to the dearest. */
async function capOf(spacePath: string): Promise<number> {
  const { space } = await loadSearchSpace(spacePath, { backbone: "proxyless-224" });
  const costs = spaceCosts(space);
  const sum = (pick: (c: number[]) => number) =>
    costs.madds.fixed + costs.madds.perLayer.reduce((s, c) => s + pick([...c]), 0);
  const cheapest = sum((c) => Math.min(...c));
  return Math.round(cheapest + 0.3 * (sum((c) => Math.max(...c)) - cheapest));
}

/** The flags of every search below (with --algo and --out added). */
async function searchFlags(): Promise<string[]> {
  const spacePath = await evolvedSpace();
  return [...TINY, "--space", spacePath, "--madds-max", String(await capOf(spacePath))];
}

const searches = new Map<string, Promise<string>>();
/** The results folder of one search with `searchFlags()` (and `extra`), run once for the file. */
function searchOnce(algo: string, extra: readonly string[] = []): Promise<string> {
  const key = [algo, ...extra].join(" ");
  let run = searches.get(key);
  if (!run) {
    run = (async () => {
      const out = await Deno.makeTempDir({ prefix: `search_${algo}_` });
      sharedDirs.push(out);
      const result = await cli("search", [
        ...await searchFlags(),
        ...["--algo", algo, ...extra, "--out", out],
      ]);
      assert.equal(result.code, 0, result.out);
      return out;
    })();
    searches.set(key, run);
  }
  return run;
}

async function jsonLines(path: string): Promise<Record<string, unknown>[]> {
  return (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test({
  name: "done when: evolve --quick, search --quick in its space with every --algo under a cap, " +
    "train the found network",
  ...opts,
  fn: async () => {
    const spacePath = await evolvedSpace();
    const { space } = await loadSearchSpace(spacePath, { backbone: "proxyless-224" });
    const costs = spaceCosts(space);
    const cap = await capOf(spacePath);
    for (const algo of SEARCH_ALGORITHMS) {
      const out = await searchOnce(algo);
      const result = JSON.parse(await Deno.readTextFile(`${out}/result.json`));
      assert.ok(result.madds <= cap, `${algo}: ${result.madds} MAdds over the cap ${cap}`);
      assert.ok(result.heldOut.top1 >= 0 && result.heldOut.top1 <= 1, `${algo}: held-out top-1`);
      const loaded = await loadTarget(`${out}/network.json`);
      assert.equal(loaded.kind, "network", `${algo}: network.json is a network spec`);
      if (loaded.kind === "network") {
        assert.equal(countNetwork(loaded.spec).total.madds, result.madds, `${algo}: counted MAdds`);
      }
      const choices = JSON.parse(await Deno.readTextFile(`${out}/choices.json`));
      assert.equal(choices.length, costs.searchable.length);
      for (const choice of choices) {
        if (algo.startsWith("proxyless")) {
          assert.ok(choice.probability > 0 && choice.probability <= 1, `${algo}: p of the choice`);
          assert.ok(choice.decision.archSteps > 0, `${algo}: the argmax tracked`);
          assert.ok(choice.decision.heldSteps <= choice.decision.archSteps);
        } else {
          assert.equal(choice.probability, null);
          assert.equal(choice.decision, null);
        }
      }
      if (algo === "proxyless-g") {
        // G's leaders tested on its own gate gradients, layer by layer.
        assert.equal(result.pairedEvidence.basis, "gate gradients");
        assert.equal(result.pairedEvidence.layers.length, costs.searchable.length);
      }
      if (algo.startsWith("proxyless")) {
        assert.ok(result.decidedShare >= 0 && result.decidedShare <= 1, `${algo}: decided share`);
        assert.ok(Number.isFinite(result.expectedMAdds), `${algo}: E_p[MAdds] beside the found`);
      } else assert.equal(result.decidedShare, null);
      const history = await jsonLines(`${out}/history.jsonl`);
      const epochs = history.filter((r) => r.phase === "supernet");
      assert.equal(epochs.length, algo.startsWith("proxyless") ? 2 : 1, `${algo}: epoch lines`);
      for (const e of epochs) {
        assert.ok(Number.isFinite(e.expectedMAdds) && Number.isFinite(e.trainLoss));
        assert.equal((e.entropy as number[]).length, costs.searchable.length);
      }
      if (algo.startsWith("proxyless")) {
        assert.equal(epochs[0].valLoss, null, `${algo}: no architecture step in the warm-up`);
        assert.ok(Number.isFinite(epochs[1].valLoss), `${algo}: architecture steps after it`);
      } else {
        assert.ok(history.some((r) => r.phase === "path-search"), `${algo}: population lines`);
      }
      for (const f of ["report.md", "supernet_loss.png", "madds.png", "entropy.png"]) {
        assert.ok((await Deno.stat(`${out}/${f}`)).size > 0, `${algo}: ${f}`);
      }
    }
    const trained = await Deno.makeTempDir({ prefix: "search_train_" });
    const train = await cli("train", [
      "--arch",
      `${await searchOnce("proxyless-g")}/network.json`,
      "--max-steps",
      "20",
      "--batch",
      "16",
      "--epochs",
      "1",
      "--eval-batches",
      "2",
      "--out",
      trained,
    ]);
    assert.equal(train.code, 0, train.out);
    assert.ok((await Deno.stat(`${trained}/model.onnx`)).size > 0);
    await Deno.remove(trained, { recursive: true });
  },
});

Deno.test({
  name: "search --derive scored on random labels: the best of the shortlist, the null model " +
    "said, the decision in the last line",
  ...opts,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "search_scored_" });
    const run = await cli("search", [
      ...await searchFlags(),
      "--algo",
      "proxyless-g",
      "--derive",
      "scored",
      "--derive-paths",
      "3",
      "--random-labels",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /random labels \(the null model\)/);
    assert.match(run.out, /search: decided \d+ of \d+ layers \(argmax held over the last 25%/);
    const result = JSON.parse(await Deno.readTextFile(`${out}/result.json`));
    assert.equal(result.randomLabels, true);
    assert.ok(result.shortlist.length >= 1 && result.shortlist.length <= 3);
    const top1 = result.shortlist.map((s: { top1: number }) => s.top1);
    assert.deepEqual(top1, [...top1].sort((a, b) => b - a), "the best first");
    assert.deepEqual(
      result.layers.map((c: { candidate: number }) => c.candidate),
      result.shortlist[0].path,
      "the found network is the shortlist's best",
    );
    assert.ok(result.shortlist.every((s: { cost: number }) => s.cost <= result.maddsMax));
    // The argmax derivation's network beside it, so both derivations can be trained.
    assert.ok(result.argmax.madds <= result.maddsMax);
    const argmax = await loadTarget(`${out}/argmax/network.json`);
    assert.equal(argmax.kind, "network");
    if (argmax.kind === "network") {
      assert.equal(countNetwork(argmax.spec).total.madds, result.argmax.madds);
    }
    const report = await Deno.readTextFile(`${out}/report.md`);
    assert.match(report, /\*\*Random labels\*\*/);
    assert.match(report, /Scored derivation: the best on held-out top-1 of the \d+ most probable/);
    assert.match(report, /Decision: decided/);
    // The null itself: no advice to run the null.
    assert.doesNotMatch(report, /hold its argmax by chance/);
    await Deno.remove(out, { recursive: true });
  },
});

/**
 * The run of `searchOnce(algo)` again, stopped by each test signal of `stops` in turn
 * (src/util/interrupt.ts: exit code 143 after a checkpoint, then --resume), must end
 * with the same files. Returns the messages of the stops.
 */
async function resumedMatches(
  algo: string,
  stops: string[],
  extra: readonly string[] = [],
): Promise<string[]> {
  const whole = await searchOnce(algo, extra);
  const common = [...await searchFlags(), "--algo", algo, ...extra];
  const cut = await Deno.makeTempDir({ prefix: `search_cut_${algo}_` });
  const said: string[] = [];
  for (const [i, stop] of stops.entries()) {
    const args = [...common, "--out", cut, ...(i > 0 ? ["--resume"] : [])];
    const run = await runDeno(["run", "-A", "scripts/search.ts", ...args], {
      [TEST_SIGNAL_ENV]: stop,
    });
    const out = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 143, `${algo}, ${stop}: ${out}`);
    const line = out.split("\n").find((l) => l.startsWith("search: SIGTERM: stopped"));
    assert.ok(line && / --resume$/.test(line), `${algo}, ${stop}: ${out}`);
    said.push(line);
  }
  if (algo === "proxyless-g") {
    // Another arch lr would not end in the same files: refused in one line, nothing changed.
    const other = await cli("search", [...common, "--arch-lr", "0.0123", "--out", cut, "--resume"]);
    assert.equal(other.code, 1, other.out);
    assert.match(other.err, /^search: --resume: .* was made with archLr [0-9.]+, not 0\.0123;/);
  }
  const last = await cli("search", [...common, "--out", cut, "--resume"]);
  assert.equal(last.code, 0, last.out);
  const withoutTimes = async (dir: string) =>
    (await jsonLines(`${dir}/history.jsonl`)).map(({ seconds: _s, ...rest }) => rest);
  const where = `${algo} stopped by ${stops.join(", then ")}`;
  assert.deepEqual(await withoutTimes(cut), await withoutTimes(whole), where);
  for (const f of ["network.json", "choices.json", "net.config"]) {
    const text = (dir: string) => Deno.readTextFile(`${dir}/${f}`);
    assert.equal(await text(cut), await text(whole), `${where}: ${f}`);
  }
  const result = async (dir: string) => JSON.parse(await Deno.readTextFile(`${dir}/result.json`));
  const [cutResult, wholeResult] = [await result(cut), await result(whole)];
  assert.deepEqual(cutResult.heldOut, wholeResult.heldOut, where);
  // The paired search's comparisons are part of its state: the resumed evidence is the same.
  assert.deepEqual(cutResult.pairedEvidence, wholeResult.pairedEvidence, where);
  await Deno.remove(cut, { recursive: true });
  return said;
}

Deno.test({
  name: "search proxyless-g: SIGTERM at a random mid-epoch step, then --resume: the same files",
  ...opts,
  fn: async () => {
    // The uninterrupted run is the done-when test's (a warm-up and an epoch of 2 steps each).
    const step = Math.random() < 0.5 ? 1 : 3;
    const [said] = await resumedMatches("proxyless-g", [`SIGTERM@step:${step}`]);
    assert.match(said, new RegExp(`stopped after step ${step} of 4 \\(epoch \\d, 1/2\\)`));
  },
});

Deno.test({
  name: "search proxyless-rl: SIGTERM between architecture steps, then --resume: the same evidence",
  ...opts,
  fn: async () => {
    // Seven search epochs of 2 steps after the warm-up's 2, an architecture step after each
    // weight step from step 3: 14 of them, the last quarter's window from the 12th (step 14),
    // so a stop at step 14 or 15 leaves some of the window's comparisons in the checkpoint.
    const step = 14 + Math.floor(Math.random() * 2);
    const extra = ["--epochs", "7", "--arch-every", "1"];
    const [said] = await resumedMatches("proxyless-rl", [`SIGTERM@step:${step}`], extra);
    assert.match(said, new RegExp(`stopped after step ${step} of 16`));
    const result = JSON.parse(
      await Deno.readTextFile(`${await searchOnce("proxyless-rl", extra)}/result.json`),
    );
    assert.ok(result.pairedEvidence?.windowSteps > 0, JSON.stringify(result.pairedEvidence));
  },
});

Deno.test({
  name:
    "search spos: SIGTERM mid-epoch, then again while paths are scored, --resume: the same files",
  ...opts,
  fn: async () => {
    // One epoch of 2 steps, then an evolution of paths scored on 2 held-out batches each:
    // the second signal lands in a random path's scoring (after the supernet is trained).
    const batch = 1 + Math.floor(Math.random() * 6);
    const said = await resumedMatches("spos", ["SIGTERM@step:1", `SIGTERM@eval:${batch}`]);
    assert.match(said[0], /stopped after step 1 of 2 \(epoch 1, 1\/2\)/);
    assert.match(said[1], /stopped while scoring paths/);
  },
});

Deno.test({
  name:
    "search: a cap below the cheapest network, or a network as --space, is one line and writes nothing",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "search_cap_" });
    const out = `${dir}/never`;
    const low = await cli("search", [
      "--space",
      "baseline:compact-28",
      "--madds-max",
      "1M",
      "--out",
      out,
    ]);
    assert.equal(low.code, 1);
    assert.equal(low.err.trim().split("\n").length, 1, low.err);
    assert.match(low.err, /^search: --madds-max 1\.0M is below the cheapest network .*raise it/);
    const network = await cli("search", ["--space", "mobilenetv2-28", "--out", out]);
    assert.equal(network.code, 1);
    assert.equal(network.err.trim().split("\n").length, 1, network.err);
    assert.match(network.err, /is a network, not a search space/);
    const band = await cli("search", [
      ...["--space", "baseline:compact-28", "--madds-min", "999M", "--out", out],
    ]);
    assert.equal(band.code, 1);
    assert.equal(band.err.trim().split("\n").length, 1, band.err);
    assert.match(band.err, /^search: no network of baseline:compact-28 lies between --madds-min/);
    await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "search with a band (--madds-min, --madds-max): the found network lies inside it",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "search_band_" });
    try {
      const run = await cli("search", [
        ...["--space", "baseline:compact-28", ...TINY, "--seed", "2"],
        ...["--madds-min", "5.7M", "--madds-max", "6M", "--out", dir],
      ]);
      assert.equal(run.code, 0, run.out);
      const result = JSON.parse(await Deno.readTextFile(`${dir}/result.json`));
      assert.ok(result.madds >= 5.7e6 && result.madds <= 6e6, `found ${result.madds}`);
      assert.equal(result.maddsMin, 5.7e6);
      for (const s of result.argmax ? [result.argmax.madds] : []) {
        assert.ok(s >= 5.7e6 && s <= 6e6, `argmax derivation ${s}`);
      }
      assert.match(run.out, /floor 5\.7M, cap 6\.0M/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
