/**
 * The space a search runs in: a learned `search_space.json` (deno task evolve), a
 * search-space spec, a ProxylessNAS-style `search_space.config` laid on a backbone, or
 * a manual baseline space (`baseline:compact-28`, `baseline:proxyless-224`). The
 * search fits it to the data with `adaptSpecToData` (channels, size, classes).
 */
import { loadTarget } from "../space/load.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";

/** A loaded space and what it was read from. */
export interface SearchInput {
  readonly space: SearchSpaceSpec;
  /** Where it came from, for the report. */
  readonly source: string;
  /** "learned" for evolve's files, "config" for search_space.config, else "spec"/"baseline". */
  readonly kind: "learned" | "config" | "spec" | "baseline";
}

/** Loads `target` as a search space; one line when it is a network or unreadable. */
export async function loadSearchSpace(
  target: string,
  options: { backbone: string },
): Promise<SearchInput> {
  const loaded = await loadTarget(target, { backbone: options.backbone });
  if (loaded.kind !== "space") {
    throw new Error(
      `--space ${target}: is a network, not a search space (give a search_space.json, a ` +
        "search_space.config or baseline:NAME; train a network with deno task train)",
    );
  }
  const kind = loaded.learned
    ? "learned"
    : loaded.entries
    ? "config"
    : target.startsWith("baseline:")
    ? "baseline"
    : "spec";
  const searchable = loaded.space.layers.filter((l) => l.candidates.length > 1).length;
  if (searchable === 0) {
    throw new Error(`--space ${target}: every layer has a single candidate; nothing to search`);
  }
  return { space: loaded.space, source: target, kind };
}
