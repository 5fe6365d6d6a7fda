/** The benchmark's sections and the `--sections` list that picks them. */

/** The sections, in the order they run. */
export const SECTION_NAMES = [
  "targets",
  "supernet",
  "mbv2",
  "train",
  "latency",
  "latency-check",
  "access",
] as const;
export type SectionName = typeof SECTION_NAMES[number];

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
