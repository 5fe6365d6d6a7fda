/**
 * `deno task bench-pairs DIR` — before/after bench runs taken in alternation, compared
 * pair by pair (src/bench/bench_pairs.ts): DIR/before_k.json against DIR/after_k.json for
 * every k both have. Prints a markdown table; `--out BASE` also writes BASE.md and
 * BASE.json.
 */
import {
  benchFigures,
  pairedFiguresMarkdown,
  pairFigures,
  withSum,
} from "../src/bench/bench_pairs.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { parseCli, runCli } from "./_cli.ts";

const BENCH_PAIRS = {
  usage: "deno task bench-pairs DIR [flags]",
  summary: "Compares bench runs of two trees taken in alternation (deno task bench --json\n" +
    "DIR/before_1.json in one tree, --json DIR/after_1.json in the other, and so on): each\n" +
    "figure of the train and forward sections, after − before paired by k, with the mean,\n" +
    "its t 95% interval and the exact sign-flip p.",
  positionals: true,
  flags: {
    before: {
      type: "string",
      default: "before",
      arg: "PREFIX",
      help: "file prefix of the first form",
    },
    after: {
      type: "string",
      default: "after",
      arg: "PREFIX",
      help: "file prefix of the second form",
    },
    figures: {
      type: "string",
      arg: "REGEX",
      help: "only the figures whose name matches (e.g. 'floor|step')",
    },
    sum: {
      type: "string",
      arg: "NAME=REGEX",
      help: "add the figure 'sum: NAME', each run's total of the ms figures matching REGEX\n" +
        "(e.g. 'dw+stats=kernel (dwconv_forward|bn_stats|bn_stats_partials),')",
    },
    out: { type: "string", arg: "BASE", help: "also write BASE.md and BASE.json" },
  },
} as const;

/** The k of every PREFIX_k.json in `dir`. */
async function runNumbers(dir: string, prefix: string): Promise<Set<number>> {
  const found = new Set<number>();
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_(\\d+)\\.json$`);
  for await (const entry of Deno.readDir(dir)) {
    const m = entry.isFile ? pattern.exec(entry.name) : null;
    if (m) found.add(Number(m[1]));
  }
  return found;
}

async function readFigures(file: string, sum?: { name: string; pattern: RegExp }) {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(file));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const figures = benchFigures(json, file);
  return sum ? withSum(figures, sum.name, sum.pattern) : figures;
}

/** `--sum NAME=REGEX`, read. */
function parseSum(text: string | undefined): { name: string; pattern: RegExp } | undefined {
  if (text === undefined) return undefined;
  const at = text.indexOf("=");
  if (at <= 0 || at === text.length - 1) {
    throw new Error(`--sum ${text}: give NAME=REGEX, e.g. 'dw=kernel dwconv'`);
  }
  try {
    return { name: text.slice(0, at), pattern: new RegExp(text.slice(at + 1)) };
  } catch (err) {
    throw new Error(`--sum ${text}: ${(err as Error).message}`);
  }
}

await runCli("bench-pairs", async () => {
  const { values, positionals } = parseCli(BENCH_PAIRS, Deno.args);
  if (positionals.length !== 1) throw new Error(`usage: ${BENCH_PAIRS.usage} (see --help)`);
  const [dir] = positionals;
  const before = values.before!;
  const after = values.after!;
  let keep: RegExp | undefined;
  try {
    keep = values.figures ? new RegExp(values.figures) : undefined;
  } catch (err) {
    throw new Error(`--figures ${values.figures}: ${(err as Error).message}`);
  }
  const sum = parseSum(values.sum);
  const [b, a] = await Promise.all([runNumbers(dir, before), runNumbers(dir, after)]).catch(
    (err) => {
      throw new Error(`${dir}: ${(err as Error).message}`);
    },
  );
  const ks = [...b].filter((k) => a.has(k)).sort((x, y) => x - y);
  const unpaired = [...b, ...a].filter((k) => !(b.has(k) && a.has(k)));
  if (ks.length < 2) {
    throw new Error(
      `${dir}: ${ks.length} pair(s) of ${before}_k.json and ${after}_k.json; need at least 2`,
    );
  }
  const figures = pairFigures(
    await Promise.all(ks.map((k) => readFigures(`${dir}/${before}_${k}.json`, sum))),
    await Promise.all(ks.map((k) => readFigures(`${dir}/${after}_${k}.json`, sum))),
  ).filter((f) => !keep || keep.test(f.name));
  const header = `${after} − ${before}, ${ks.length} pairs (k = ${ks.join(", ")}) in ${dir}` +
    (unpaired.length
      ? `; left out, without a partner: k = ${[...new Set(unpaired)].join(", ")}`
      : "");
  const markdown = `${header}\n\n${pairedFiguresMarkdown(figures)}`;
  console.log(markdown);
  if (values.out) {
    await atomicWrite(`${values.out}.md`, markdown);
    await atomicWrite(
      `${values.out}.json`,
      JSON.stringify({ dir, before, after, pairs: ks, figures }, null, 1) + "\n",
    );
    console.log(`wrote ${values.out}.md and ${values.out}.json`);
  }
});
