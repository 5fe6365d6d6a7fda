/**
 * The interruption flag and the step-checkpoint schedule, without a GPU: a real signal
 * sent to a process sets the flag (and nothing else while a watch is open), nested
 * watches share it, the last one to end clears it; a test's in-process plan lands where asked; `--checkpoint-every` reads steps and
 * durations, and a timed checkpoint waits at least 20× its own cost.
 */
import assert from "node:assert/strict";
import {
  checkInterrupt,
  exitCodeOf,
  InterruptedError,
  interruptRequested,
  planTestSignals,
  TEST_SIGNAL_ENV,
  testSignalPoint,
  watchInterrupts,
} from "../src/util/interrupt.ts";
import {
  CheckpointClock,
  formatCheckpointEvery,
  parseCheckpointEvery,
} from "../src/util/checkpoint_every.ts";
import { resumeCommand } from "../scripts/_cli.ts";
import { throwsLine } from "./_helpers.ts";

/**
 * Runs `body` in a fresh Deno process with interrupt.ts imported as `I`: a real signal sent to
 * the test runner would reach every watching module that `deno test --parallel` runs beside
 * this one.
 */
async function inOwnProcess(body: string): Promise<{ code: number; stdout: string }> {
  const module = new URL("../src/util/interrupt.ts", import.meta.url).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import * as I from "${module}";\n${body}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("interrupt: a real signal sets the flag while watched; nested watches share it", async () => {
  const { code, stdout } = await inOwnProcess(`
    const seen = [I.interruptRequested()];
    {
      using _outer = I.watchInterrupts("test");
      {
        using _inner = I.watchInterrupts("inner");
        Deno.kill(Deno.pid, "SIGTERM");
        const end = performance.now() + 2_000;
        while ((await I.checkInterrupt()) === null && performance.now() < end) {
          await new Promise((r) => setTimeout(r, 5));
        }
        seen.push(I.interruptRequested());
      }
      seen.push(I.interruptRequested());
    }
    seen.push(I.interruptRequested());
    console.log(JSON.stringify(seen));
  `);
  assert.equal(code, 0);
  assert.deepEqual(
    JSON.parse(stdout),
    [null, "SIGTERM", "SIGTERM", null],
    "unset, set, kept by the outer watch, cleared when the last watch ends",
  );
  assert.equal(exitCodeOf("SIGINT"), 130);
  assert.equal(exitCodeOf("SIGTERM"), 143);
  assert.equal(exitCodeOf("SIGUSR1"), 138);
  assert.equal(new InterruptedError("SIGTERM", "stopped").exitCode, 143);
});

Deno.test("interrupt: an in-process plan lands at its point without a signal or the environment", async () => {
  {
    using _plan = planTestSignals("SIGUSR1@step:3");
    using _watch = watchInterrupts("test");
    const seen = [];
    for (let step = 1; step <= 4; step++) {
      testSignalPoint("step", step);
      // Before any await: a real signal would reach the listener only on a later turn.
      seen.push(interruptRequested());
      await checkInterrupt();
    }
    assert.deepEqual(seen, [null, null, "SIGUSR1", "SIGUSR1"]);
    assert.equal(Deno.env.get(TEST_SIGNAL_ENV), undefined);
  }
  assert.equal(interruptRequested(), null);
  assert.throws(() => planTestSignals("SIGKILL@write:1"), /SIGKILL cannot be delivered in-process/);
  {
    using _watch = watchInterrupts("test");
    testSignalPoint("write"); // the refused plan left nothing behind
    assert.equal(interruptRequested(), null);
  }
  assert.throws(() => planTestSignals("SIGTERM@now"), /is not SIGNAL@POINT:N/);
});

Deno.test("--checkpoint-every: steps, durations, 0, and one line for anything else", () => {
  assert.deepEqual(parseCheckpointEvery("200"), { steps: 200 });
  assert.deepEqual(parseCheckpointEvery("0"), { steps: 0 });
  assert.deepEqual(parseCheckpointEvery("90s"), { seconds: 90 });
  assert.deepEqual(parseCheckpointEvery("5m"), { seconds: 300 });
  assert.deepEqual(parseCheckpointEvery("1.5h"), { seconds: 5400 });
  assert.equal(formatCheckpointEvery({ seconds: 60 }), "1m");
  assert.equal(formatCheckpointEvery({ steps: 0 }), "epoch ends only");
  for (const bad of ["", "-5", "1d", "0s", "ten"]) {
    throwsLine(() => parseCheckpointEvery(bad), /--checkpoint-every must be a number of steps/);
  }
});

Deno.test("checkpoint clock: every N steps, or T seconds but at least 20× the last cost", () => {
  const steps = new CheckpointClock({ steps: 3 });
  assert.deepEqual([1, 2, 3, 4, 6].map((s) => steps.due(s)), [false, false, true, false, true]);
  assert.ok(![1, 2, 3].some((s) => new CheckpointClock({ steps: 0 }).due(s)));
  let now = 0;
  const timed = new CheckpointClock({ seconds: 60 }, () => now);
  now = 59_000;
  assert.ok(!timed.due(1));
  now = 60_000;
  assert.ok(timed.due(2));
  timed.saved(5); // a 5 s checkpoint: the next waits 100 s
  now += 60_000;
  assert.ok(!timed.due(3));
  now += 40_000;
  assert.ok(timed.due(4));
});

Deno.test("the continue line: the same task and flags, plus --resume once", () => {
  assert.equal(
    resumeCommand("train", ["--arch", "a b.json", "--out", "runs/x"]),
    "deno task train --arch 'a b.json' --out runs/x --resume",
  );
  assert.equal(
    resumeCommand("search", ["--resume", "--out", "o"]),
    "deno task search --resume --out o",
  );
});
