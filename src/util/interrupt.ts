/**
 * Stopping a long run cleanly when it is told to: SIGINT (Ctrl-C), SIGTERM (what Slurm
 * sends at a time limit or on preemption, and `docker stop` and systemd), SIGUSR1 (what
 * Slurm's `--signal` sends ahead of a time limit).
 *
 *   first signal   sets a flag and says so on stderr; the step loops poll the flag after
 *                  every step, finish the step, abandon an evaluation in progress, write a
 *                  checkpoint and stop with an `InterruptedError`, whose exit code is the
 *                  one shells expect (128 + the signal's number: 130, 143, 138);
 *   second signal  (a second or more after the first: one sent to a process group reaches a
 *                  process under `deno task` twice, from the sender and forwarded by the
 *                  task runner, a fraction of a millisecond apart — measured)
 *                  exits at once with its own code. Files being written are only ever
 *                  temporary files until renamed (src/util/atomic_write.ts): those still
 *                  open are removed first, and a rename pair that must land together runs
 *                  `uninterruptible`, so nothing half-written is left.
 *
 * The listeners exist only while a run watches (`watchInterrupts`, nested watches share
 * them); outside one a signal has its default effect.
 *
 * Note: Deno, like Node, also starts its inspector on SIGUSR1 (on 127.0.0.1:9229); to stop a
 * run, prefer SIGTERM (the Slurm scripts forward SIGTERM to the trainer for that reason).
 */

/** The signals that stop a run cleanly. */
export const INTERRUPT_SIGNALS = ["SIGINT", "SIGTERM", "SIGUSR1"] as const;
/** One of `INTERRUPT_SIGNALS`. */
export type InterruptSignal = typeof INTERRUPT_SIGNALS[number];

/** Linux signal numbers (the exit code of a process a signal ended is 128 + this). */
const SIGNAL_NUMBER: Readonly<Record<InterruptSignal, number>> = {
  SIGINT: 2,
  SIGTERM: 15,
  SIGUSR1: 10,
};

/** The exit code shells give a process that `signal` ended: 130, 143, 138. */
export function exitCodeOf(signal: InterruptSignal): number {
  return 128 + SIGNAL_NUMBER[signal];
}

/** A run that stopped on a signal, after writing its checkpoint. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  /**
   * `message`: where it stopped and where the checkpoint is (one line, no command: the
   * script adds how to continue).
   */
  constructor(readonly signal: InterruptSignal, message: string) {
    super(message);
  }

  /** The process's exit code. */
  get exitCode(): number {
    return exitCodeOf(this.signal);
  }
}

interface WatchState {
  /** Watches open (nested runs share one set of listeners). */
  watchers: number;
  /** The first signal received since the outermost watch began. */
  received: InterruptSignal | null;
  /** When it came (`performance.now()`). */
  receivedAt: number;
  /** Who prints the lines ("train", "search", ...). */
  label: string;
  listeners: Map<InterruptSignal, () => void>;
  /** Depth of `uninterruptible` sections in progress. */
  critical: number;
  /** Exit code of a second signal that arrived inside such a section. */
  exitWhenSafe: number | null;
  /** Temporary files being written (removed before an immediate exit). */
  tempFiles: Set<string>;
  /** Test signal points still to fire. */
  plan: SignalPoint[];
  /** Calls of each counted point so far. */
  counts: Map<string, number>;
  /** A test signal was sent and has not reached its listener yet. */
  selfSignalled: boolean;
  /** A plan given in-process (`planTestSignals`), which takes the environment's place. */
  inProcessPlan: string | null;
  /** The plan in force came in-process: its signals go straight to the listener. */
  synthetic: boolean;
}

const state: WatchState = {
  watchers: 0,
  received: null,
  receivedAt: 0,
  label: "autospace",
  listeners: new Map(),
  critical: 0,
  exitWhenSafe: null,
  tempFiles: new Set(),
  plan: [],
  counts: new Map(),
  selfSignalled: false,
  inProcessPlan: null,
  synthetic: false,
};

/** The first signal received while a run watches, or null (see `checkInterrupt`). */
export function interruptRequested(): InterruptSignal | null {
  return state.received;
}

/**
 * Milliseconds between the event-loop turns `checkInterrupt` takes. A step that only
 * submits GPU work and awaits settled promises never lets the event loop turn, and a
 * signal is delivered to its listener only on a turn (measured: with microtask awaits
 * alone, not in 200 steps; with one `setTimeout(0)`, in the same step). A turn costs
 * about 1–2 ms here, so it is taken at most every this many ms.
 */
const TURN_EVERY_MS = 100;
let lastTurn = 0;

/**
 * The first signal received, or null, after letting a signal that has arrived reach its
 * listener; what step loops poll after each step.
 */
export async function checkInterrupt(): Promise<InterruptSignal | null> {
  if (state.watchers === 0 || state.received !== null) return state.received;
  if (state.selfSignalled) {
    // A test's own signal: wait for it, so that it lands exactly where asked.
    const end = performance.now() + 2_000;
    while (state.received === null && performance.now() < end) await nextTurn();
    state.selfSignalled = false;
  } else if (performance.now() - lastTurn >= TURN_EVERY_MS) {
    await nextTurn();
  }
  return state.received;
}

function nextTurn(): Promise<void> {
  lastTurn = performance.now();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Starts watching for the signals (`label` names the command in the lines printed);
 * dispose of the result when the run ends. Nested watches share the listeners and the
 * flag, which the outermost one clears when it ends.
 */
export function watchInterrupts(label: string): Disposable {
  if (state.watchers === 0) {
    const plan = parseSignalPlan(state.inProcessPlan ?? Deno.env.get(TEST_SIGNAL_ENV) ?? "");
    state.label = label;
    state.received = null;
    state.synthetic = state.inProcessPlan !== null;
    state.plan = plan;
    state.counts.clear();
    for (const signal of INTERRUPT_SIGNALS) {
      const listener = () => onSignal(signal);
      state.listeners.set(signal, listener);
      Deno.addSignalListener(signal, listener);
    }
  }
  state.watchers++;
  let open = true;
  return {
    [Symbol.dispose]() {
      if (!open) return;
      open = false;
      state.watchers--;
      if (state.watchers > 0) return;
      for (const [signal, listener] of state.listeners) Deno.removeSignalListener(signal, listener);
      state.listeners.clear();
      state.received = null;
      state.plan = [];
    },
  };
}

/** Signals within this many ms of the first are the same event (see the module comment). */
const SAME_EVENT_MS = 1_000;

function onSignal(signal: InterruptSignal): void {
  if (state.received !== null && performance.now() - state.receivedAt < SAME_EVENT_MS) return;
  if (state.received === null) {
    state.received = signal;
    state.receivedAt = performance.now();
    console.error(
      `${state.label}: ${signal} received: finishing the current step, then a checkpoint ` +
        `(${signal === "SIGINT" ? "Ctrl-C" : signal} again exits at once)`,
    );
    return;
  }
  const code = exitCodeOf(signal);
  if (state.critical > 0) {
    state.exitWhenSafe = code; // the section ends within milliseconds
    return;
  }
  exitNow(code);
}

function exitNow(code: number): never {
  for (const path of state.tempFiles) {
    try {
      Deno.removeSync(path);
    } catch { /* renamed or never created */ }
  }
  console.error(
    `${state.label}: second signal: exiting at once (the last checkpoint written is kept whole)`,
  );
  Deno.exit(code);
}

/**
 * Runs `work` (a few file renames) so that a second signal cannot cut it in half: such a
 * signal exits right after it.
 */
export async function uninterruptible<T>(work: () => Promise<T>): Promise<T> {
  state.critical++;
  try {
    return await work();
  } finally {
    state.critical--;
    if (state.critical === 0 && state.exitWhenSafe !== null) exitNow(state.exitWhenSafe);
  }
}

/** Registers a temporary file being written (removed if the process must exit at once). */
export function trackTempFile(path: string): void {
  state.tempFiles.add(path);
}

/** Forgets a temporary file (renamed into place, or removed). */
export function untrackTempFile(path: string): void {
  state.tempFiles.delete(path);
}

// --- Signals at chosen points, for tests ------------------------------------------------

/**
 * `AUTOSPACE_TEST_SIGNAL=SIGTERM@step:7,SIGINT@write:1`: while a run watches, the process
 * sends itself SIGTERM just after weight step 7 is issued, then SIGINT at the first
 * temporary file it writes after that (SIGKILL too, for what no handler sees). Tests use it to land a real signal at a chosen
 * point (a step that is not a boundary, the middle of a checkpoint write, an evaluation);
 * points: `step:N` (the run's N-th step, or the first step after it), `eval:N` and
 * `write:N` (the N-th evaluation batch or file write since the run began or the previous
 * point fired). A subprocess reads it from its environment; tests inside the test runner's
 * process plan with `planTestSignals` instead.
 */
export const TEST_SIGNAL_ENV = "AUTOSPACE_TEST_SIGNAL";

/** Where the process signals itself. */
export type SignalPointKind = "step" | "eval" | "write";

interface SignalPoint {
  /** A signal the run handles, or SIGKILL (what no handler sees: kill -9, a node lost). */
  signal: InterruptSignal | "SIGKILL";
  kind: SignalPointKind;
  at: number;
  fired: boolean;
}

function parseSignalPlan(text: string): SignalPoint[] {
  if (text.trim() === "") return [];
  return text.split(",").map((item) => {
    const m = /^(SIGINT|SIGTERM|SIGUSR1|SIGKILL)@(step|eval|write):(\d+)$/.exec(item.trim());
    if (!m) {
      throw new Error(
        `${TEST_SIGNAL_ENV}: "${item}" is not SIGNAL@POINT:N (SIGINT|SIGTERM|SIGUSR1|SIGKILL, ` +
          `step|eval|write)`,
      );
    }
    return {
      signal: m[1] as SignalPoint["signal"],
      kind: m[2] as SignalPointKind,
      at: Number(m[3]),
      fired: false,
    };
  });
}

/**
 * A point where a test may have asked for a signal (see `TEST_SIGNAL_ENV`): `step` passes
 * the step's number, the others are counted. Costs nothing when no test asked.
 */
export function testSignalPoint(kind: SignalPointKind, step?: number): void {
  if (state.plan.length === 0) return;
  let n = step ?? 0;
  if (step === undefined) {
    n = (state.counts.get(kind) ?? 0) + 1;
    state.counts.set(kind, n);
  }
  // One point at a time, in the order given: a later one waits for the earlier to fire.
  const next = state.plan.find((p) => !p.fired);
  if (next && next.kind === kind && next.at <= n) {
    next.fired = true;
    state.counts.clear(); // the next point counts from here
    if (state.synthetic) {
      // A second signal would exit the process: an in-process plan stops at the first.
      if (state.received !== null) throw new Error("planTestSignals: one signal a run");
      onSignal(next.signal as InterruptSignal); // planTestSignals refuses SIGKILL
      return;
    }
    state.selfSignalled = state.received === null && next.signal !== "SIGKILL";
    if (state.received !== null) {
      // A second signal: past the window in which it would count as the first one again.
      const wait = SAME_EVENT_MS - (performance.now() - state.receivedAt);
      if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait + 10);
    }
    Deno.kill(Deno.pid, next.signal);
  }
}

/**
 * Plans test signals for the runs this process starts until disposed, as `TEST_SIGNAL_ENV`
 * would, without touching the environment or the process's signals: each is handed to the
 * listener as if it had arrived. Tests that run beside others in one process (`deno test
 * --parallel` runs modules as workers of one process, sharing its environment and its
 * signals) use this; a real signal's delivery is tested in subprocesses.
 */
export function planTestSignals(plan: string): Disposable {
  // A bad plan fails here, not inside the run.
  if (parseSignalPlan(plan).some((p) => p.signal === "SIGKILL")) {
    throw new Error("planTestSignals: SIGKILL cannot be delivered in-process; use a subprocess");
  }
  state.inProcessPlan = plan;
  return {
    [Symbol.dispose]() {
      state.inProcessPlan = null;
    },
  };
}
