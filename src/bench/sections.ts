/** The benchmark's sections and the `--sections` list that picks them. */

/** The sections, in the order they run. */
export const SECTION_NAMES = [
  "access",
  "targets",
  "supernet",
  "mbv2",
  "train",
  "supernet-path",
  "forward",
  "latency",
  "latency-check",
] as const;
export type SectionName = typeof SECTION_NAMES[number];

/** What each section measures, for `--help`. */
export const SECTION_HELP: Record<SectionName, string> = {
  targets: "four conv kernels at batch 32, 32×32 maps",
  supernet: "every conv of the default evolve supernet",
  mbv2: "every conv of MobileNetV2-1.0 at 224×224",
  train: "training steps of mobilenetv2-28, per-kernel table, the floor (with access costs)",
  "supernet-path": "a path of --space as a plain network and as supernet paths; regenerations",
  forward: "training-mode forward passes of a path of --space (an architecture step's work)",
  latency: "per-block latency table of --space (cached)",
  "latency-check": "predicted vs measured latency of networks of --space",
  access: "cost of one memory access and of an empty dispatch",
};

/** The `--sections` help: every section, one a line, in run order. */
export function sectionsHelp(): string {
  const width = Math.max(...SECTION_NAMES.map((s) => s.length));
  return [
    "comma-separated sections, run in this order:",
    ...SECTION_NAMES.map((s) => `  ${s.padEnd(width)}  ${SECTION_HELP[s]}`),
    "without --sections, the kernel and training sections",
  ].join("\n");
}

/** What `deno task bench` runs without `--sections`: the kernel and training sections. */
export const DEFAULT_SECTIONS = "targets,supernet,mbv2,train";

/** Parses "train,targets" into section names in run order, or throws naming the bad one. */
export function parseSections(text: string): SectionName[] {
  const asked = text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (asked.length === 0) {
    throw new Error(`--sections is empty; use some of ${SECTION_NAMES.join(",")}`);
  }
  for (const s of asked) {
    if (!(SECTION_NAMES as readonly string[]).includes(s)) {
      throw new Error(`--sections: unknown section "${s}"; use some of ${SECTION_NAMES.join(",")}`);
    }
  }
  return SECTION_NAMES.filter((s) => asked.includes(s));
}
