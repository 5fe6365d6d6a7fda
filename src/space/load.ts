/**
 * Loads what `deno task inspect` (and other scripts) may be pointed at: a built-in
 * name, a network spec, a ProxylessNAS `net.config`, a `SuperProxylessNASNets` config,
 * a search-space spec or a learned search-space file. File kinds are told apart by
 * content, not by extension.
 */
import {
  type Backbone,
  BUILTIN_BACKBONES,
  builtinBackbone,
  SEARCH_SPACE_CONFIG_BACKBONE,
} from "./backbone.ts";
import { baselineSpace } from "./baseline_space.ts";
import { BUILTIN_NETWORKS, builtinNetwork } from "./builtins.ts";
import type { Cell } from "./cell.ts";
import { importNetConfig } from "./net_config.ts";
import { type NetworkSpec, parseNetworkSpec } from "./network_spec.ts";
import { importSuperNetConfig, spaceFromSuperNetConfig } from "./search_space_config.ts";
import {
  parseSearchSpaceFile,
  SEARCH_SPACE_FILE_FORMAT,
  type SearchSpaceFile,
  searchSpaceFromFile,
} from "./search_space_file.ts";
import {
  parseSearchSpaceSpec,
  SEARCH_SPACE_SPEC_FORMAT,
  type SearchSpaceSpec,
} from "./search_space_spec.ts";
import { parseJsonText, withFile } from "./spec_error.ts";

/** What a target turned out to be. */
export type Loaded =
  | { kind: "network"; source: string; spec: NetworkSpec }
  | {
    kind: "space";
    source: string;
    space: SearchSpaceSpec;
    /** Set for learned search-space files (fitness per cell). */
    learned?: SearchSpaceFile;
    /** Set for `SuperProxylessNASNets` configs: the raw entries. */
    entries?: Cell[][];
  };

/** Options of `loadTarget`. */
export interface LoadOptions {
  /** Backbone for `SuperProxylessNASNets` configs (default `SEARCH_SPACE_CONFIG_BACKBONE`). */
  backbone?: string;
  /** Input size for `net.config` files, which do not record one (default 224). */
  inputSize?: number;
}

/** Names that `loadTarget` resolves without a file. */
export function builtinTargets(): string[] {
  return [
    ...Object.keys(BUILTIN_NETWORKS),
    ...Object.keys(BUILTIN_BACKBONES).map((name) => `baseline:${name}`),
  ];
}

function backboneNamed(name: string): Backbone {
  const backbone = builtinBackbone(name);
  if (!backbone) {
    throw new Error(
      `unknown backbone "${name}" (built-ins: ${Object.keys(BUILTIN_BACKBONES).join(", ")})`,
    );
  }
  return backbone;
}

/** Reads parsed JSON from `file` as whichever kind its content shows. */
export function loadJson(value: unknown, file: string, options: LoadOptions = {}): Loaded {
  return withFile(file, (): Loaded => {
    const obj = typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : {};
    if (obj.format === undefined && (obj.name === "ProxylessNASNets" || "first_conv" in obj)) {
      const spec = importNetConfig(value, {
        inputSize: options.inputSize,
        name: file.split("/").pop()?.replace(/\.(config|json)$/, ""),
      });
      return { kind: "network", source: file, spec };
    }
    if (obj.format === undefined && obj.name === "SuperProxylessNASNets") {
      const entries = importSuperNetConfig(value);
      const backbone = backboneNamed(options.backbone ?? SEARCH_SPACE_CONFIG_BACKBONE);
      const space = spaceFromSuperNetConfig(entries, backbone);
      return { kind: "space", source: file, space, entries };
    }
    if (obj.format === SEARCH_SPACE_FILE_FORMAT) {
      const learned = parseSearchSpaceFile(value);
      return { kind: "space", source: file, space: searchSpaceFromFile(learned), learned };
    }
    if (obj.format === SEARCH_SPACE_SPEC_FORMAT) {
      return { kind: "space", source: file, space: parseSearchSpaceSpec(value) };
    }
    // Anything else must be a network spec (its parser names what is wrong).
    return { kind: "network", source: file, spec: parseNetworkSpec(value) };
  });
}

/**
 * Resolves a target: a built-in network ("mobilenetv2"), a baseline space
 * ("baseline:proxyless-224"), or a path to a JSON file of any supported kind.
 */
export async function loadTarget(target: string, options: LoadOptions = {}): Promise<Loaded> {
  const network = builtinNetwork(target);
  if (network) return { kind: "network", source: target, spec: network };
  if (target.startsWith("baseline:")) {
    const backbone = backboneNamed(target.slice("baseline:".length));
    return { kind: "space", source: target, space: baselineSpace(backbone) };
  }
  let text: string;
  try {
    text = await Deno.readTextFile(target);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
    throw new Error(
      `${target}: not a built-in (${builtinTargets().join(", ")}) and not a readable file (${why})`,
    );
  }
  return loadJson(parseJsonText(text, target), target, options);
}
