/**
 * Step "kernel-tests": the tiled kernel family (workgroup-memory tiles, the family
 * GPUs run) against the float64 CPU references. The op tests run each case once per
 * family and put the family in the test's name ("conv2d tiled: …", "linear (tiled):
 * …"), so `--filter tiled` over the test files that mention it runs exactly those.
 * Results per test go to kernel-tests.json (Deno's JUnit report, read).
 */
import { atomicWrite } from "../util/atomic_write.ts";
import { runChild } from "./child.ts";
import { parseJunit, type TestCase } from "./junit.ts";
import { type CheckStep, exitFields, type StepContext, type StepOutcome } from "./step.ts";

export const KERNEL_TESTS_FILE = "kernel-tests.json";

/** The name filter: every test of the tiled family says so in its name. */
export const TILED_FILTER = "tiled";

/** The test files that mention the tiled family (`"tiled"`), relative to the root. */
export async function tiledTestFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(`${root}/test`)) {
    if (!e.isFile || !e.name.endsWith(".test.ts")) continue;
    const text = await Deno.readTextFile(`${root}/test/${e.name}`);
    if (text.includes(`"${TILED_FILTER}"`)) files.push(`test/${e.name}`);
  }
  return files.sort();
}

export const kernelTestsStep: CheckStep = {
  name: "kernel-tests",
  timeoutSeconds: 150, // 16 s on lavapipe with 2 busy cores; pipelines compile per test
  async run(ctx: StepContext): Promise<StepOutcome> {
    const files = await tiledTestFiles(ctx.root);
    if (files.length === 0) return { ok: false, error: "no test file mentions the tiled kernels" };
    const scratch = await Deno.makeTempDir({ prefix: "gpu-check-junit-" });
    try {
      const junit = `${scratch}/report.xml`;
      const args = [
        "test",
        ...ctx.denoFlags,
        "-A",
        "--no-check", // type errors are CI's business; the check is about the adapter
        `--filter=${TILED_FILTER}`,
        `--junit-path=${junit}`,
        ...files,
      ];
      const r = await runChild(ctx.deno, args, {
        cwd: ctx.root,
        env: ctx.env,
        timeoutMs: ctx.timeoutMs,
        log: ctx.log,
        keepStdout: true,
      });
      // A run stopped at its limit writes no JUnit report: its own output still says
      // which tests passed before it hung.
      const xml = await Deno.readTextFile(junit).catch(() => "");
      const seen = printedResults(r.stdout);
      const tests = (xml ? parseJunit(xml) : seen)
        .filter((t) => t.name.includes(TILED_FILTER))
        .map((t) => ({ ...t, where: seen.find((s) => s.name === t.name)?.where ?? t.where }));
      const counts = countStatuses(tests);
      await atomicWrite(
        `${ctx.out}/${KERNEL_TESTS_FILE}`,
        JSON.stringify({ filter: TILED_FILTER, files, counts, tests }, null, 2) + "\n",
      );
      const exit = exitFields(r, ctx.timeoutMs);
      const error = exit.error ??
        (counts.failed > 0
          ? `${counts.failed} failed: ${tests.find((t) => t.status === "failed")?.name}`
          : counts.passed === 0
          ? "no tiled test ran"
          : undefined);
      return { ...exit, ok: error === undefined, error, file: KERNEL_TESTS_FILE, details: counts };
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
  },
};

function countStatuses(tests: readonly TestCase[]) {
  const count = (s: TestCase["status"]) => tests.filter((t) => t.status === s).length;
  return { passed: count("passed"), failed: count("failed"), skipped: count("skipped") };
}

/**
 * Each test's file and result from deno test's own output ("running 3 tests from
 * ./test/ops_conv2d.test.ts", then "NAME ... ok (7s)"): the JUnit report names the
 * helper that called Deno.test instead of the file, and a killed run writes none.
 */
export function printedResults(output: string): TestCase[] {
  const tests: TestCase[] = [];
  let file = "";
  for (const line of output.split("\n")) {
    const header = /^running \d+ tests? from (\S+)/.exec(line);
    if (header) file = header[1];
    const test = /^(.*) \.\.\. (ok|FAILED|ignored)\b/.exec(line);
    if (!test) continue;
    const status = test[2] === "ok" ? "passed" : test[2] === "FAILED" ? "failed" : "skipped";
    tests.push({ name: test[1], where: file, status, seconds: null });
  }
  return tests;
}
