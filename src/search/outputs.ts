/**
 * What a search leaves in its results folder besides the history and the report:
 * `network.json` (a network spec for `deno task train --arch`, `inspect`, `export`),
 * `net.config` (ProxylessNAS's format, where its blocks can express the network),
 * `choices.json` (the chosen candidate of every searchable layer with its probability
 * and cost), `cells/` (a drawing of every chosen cell) and `result.json` (the numbers
 * of the found network).
 */
import type { ComparisonEvidence } from "../supernet/comparison_evidence.ts";
import { countNetwork, formatMAdds, formatParams } from "../space/counting.ts";
import { fileSafe, writeCellDrawings } from "../space/draw_cell.ts";
import { exportNetConfig } from "../space/net_config.ts";
import { cellId } from "../space/canonical.ts";
import {
  blockAsCell,
  type BlockSpec,
  describeBlock,
  type NetworkSpec,
  networkToJson,
} from "../space/network_spec.ts";
import { networkFromChoices, type SearchSpaceSpec } from "../space/search_space_spec.ts";
import type { EvalResult } from "../train/evaluate.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import type { LayerDecision } from "./architecture_logits.ts";
import type { CandidateGateGradients } from "./gate_statistics.ts";
import type { PairedEvidenceSummary } from "./paired_evidence.ts";
import type { ScoredPath } from "./shortlist.ts";
import type { Derivation } from "./driver.ts";
import type { LatencyTable } from "../latency/table.ts";
import { pathCost } from "./expected_cost.ts";
import type { SearchCost, SpaceCosts } from "./space_costs.ts";

/** The chosen candidate of one searchable layer. */
export interface LayerChoice {
  /** Index of the layer in the space (and the network's blocks). */
  readonly layer: number;
  /** Index of the chosen candidate among the layer's. */
  readonly candidate: number;
  readonly candidates: number;
  readonly block: string;
  /** p of the chosen candidate (null for SPOS and random search). */
  readonly probability: number | null;
  readonly madds: number;
  readonly params: number;
  /** The table's latency of the chosen candidate, ms (null without `--cost latency`). */
  readonly latencyMs: number | null;
  /** File of the drawing under cells/ (null for a skip). */
  readonly drawing: string | null;
  /** How settled the layer's argmax was (null for SPOS and random search). */
  readonly decision: LayerDecision | null;
}

/** The found network and its numbers (result.json). */
export interface SearchResult {
  readonly algo: string;
  readonly space: string;
  readonly network: NetworkSpec;
  readonly layers: LayerChoice[];
  readonly madds: number;
  readonly params: number;
  readonly maddsMax: number | null;
  /** `--madds-min`: the floor under the found network (null: none). */
  readonly maddsMin: number | null;
  /** E_p[MAdds] at the end of the search (null where there is no p). */
  readonly expectedMAdds: number | null;
  /**
   * Share of searchable layers (with a choice) whose argmax held over the last
   * `DECIDED_SHARE` of the architecture steps (null where there is no p).
   */
  readonly decidedShare: number | null;
  /** What Eq. 6's term and the cap counted (`--cost`). */
  readonly cost: SearchCost["name"];
  /** Predicted latency of the found network from the table, ms (null: MAdds cost). */
  readonly latencyMs: number | null;
  /** Hard cap on the predicted latency, ms (null: none). */
  readonly latencyMax: number | null;
  /** Batch size and adapter the latency table was measured on (null: MAdds cost). */
  readonly latencyBatch: number | null;
  readonly latencyAdapter: string | null;
  /** Held-out metrics with the supernet's weights after BN recalibration. */
  readonly heldOut: EvalResult;
  readonly heldOutImages: number;
  /** Eq. 6's λ at the end (null without a cost term). */
  readonly lambda: number | null;
  /** Wall time of the whole search, over every resumed part. */
  readonly seconds: number;
  /** Whether net.config could be written. */
  readonly netConfig: string | null;
  readonly notes: string[];
  /** `--derive scored`: the shortlisted paths with their held-out top-1, the best first. */
  readonly shortlist: readonly ScoredPath[] | null;
  /** Whether the search ran on random labels (its null model). */
  readonly randomLabels: boolean;
  /** proxyless-g: its gate gradients per searchable layer and candidate; null otherwise. */
  readonly gateGradients: CandidateGateGradients[][] | null;
  /**
   * proxyless-g: per searchable layer, whether the last quarter's gate comparisons told
   * its candidates apart (null in a layer with too few; null for other searches).
   */
  readonly gateEvidence: (ComparisonEvidence | null)[] | null;
  /** The paired RL search: each layer's leader tested against its rivals; null otherwise. */
  readonly pairedEvidence: PairedEvidenceSummary | null;
  /**
   * `--derive scored`: the argmax derivation's network (written to argmax/), for
   * comparing the two derivations; null otherwise.
   */
  readonly argmax: {
    readonly network: NetworkSpec;
    readonly layers: LayerChoice[];
    readonly madds: number;
  } | null;
}

/** Builds the result of a derivation. */
export function searchResult(args: {
  algo: string;
  source: string;
  space: SearchSpaceSpec;
  costs: SpaceCosts;
  derivation: Derivation;
  fullChoices: number[];
  heldOut: EvalResult;
  heldOutImages: number;
  maddsMax: number | null;
  maddsMin?: number | null;
  cost: SearchCost;
  /** The latency table (`--cost latency`), or null. */
  latency: Pick<LatencyTable, "batch" | "device"> | null;
  lambda: number | null;
  seconds: number;
  /** Per searchable layer, from a search that learns α; null otherwise. */
  decisions?: readonly LayerDecision[] | null;
  /** E_p[MAdds] at the end (null where there is no p). */
  expectedMAdds?: number | null;
  randomLabels?: boolean;
  gateGradients?: CandidateGateGradients[][] | null;
  gateEvidence?: (ComparisonEvidence | null)[] | null;
  pairedEvidence?: PairedEvidenceSummary | null;
  /** Every layer's choice for `derivation.argmax` (required when it is given). */
  argmaxFullChoices?: number[];
}): SearchResult {
  const { space, costs, derivation, cost } = args;
  const { latency } = args;
  const network = networkFromChoices(space, args.fullChoices, `search-${args.algo}`);
  const total = countNetwork(network).total;
  const layers = layerChoices(space, costs, derivation.path, {
    probabilities: derivation.probabilities,
    latency: latency ? cost.model : null,
    decisions: args.decisions ?? null,
  });
  const choosing = (args.decisions ?? []).filter((_, l) => costs.choices[l] > 1);
  const alternative = derivation.argmax;
  const argmaxNetwork = alternative
    ? networkFromChoices(space, args.argmaxFullChoices!, `search-${args.algo}-argmax`)
    : null;
  return {
    algo: args.algo,
    space: args.source,
    network,
    layers,
    madds: total.madds,
    params: total.weights,
    maddsMax: args.maddsMax,
    maddsMin: args.maddsMin ?? null,
    expectedMAdds: args.expectedMAdds ?? null,
    decidedShare: args.decisions && choosing.length > 0
      ? choosing.filter((d) => d.decided).length / choosing.length
      : null,
    cost: cost.name,
    latencyMs: latency ? pathCost(cost.model, derivation.path) : null,
    latencyMax: latency && Number.isFinite(cost.max) ? cost.max : null,
    latencyBatch: latency?.batch ?? null,
    latencyAdapter: latency?.device.adapter ?? null,
    heldOut: args.heldOut,
    heldOutImages: args.heldOutImages,
    lambda: args.lambda,
    seconds: args.seconds,
    netConfig: netConfigText(network) === null ? null : "net.config",
    notes: derivation.notes,
    shortlist: derivation.shortlist ?? null,
    randomLabels: args.randomLabels ?? false,
    gateGradients: args.gateGradients ?? null,
    gateEvidence: args.gateEvidence ?? null,
    pairedEvidence: args.pairedEvidence ?? null,
    argmax: alternative && argmaxNetwork
      ? {
        network: argmaxNetwork,
        layers: layerChoices(space, costs, alternative.path, {
          probabilities: alternative.probabilities,
          latency: latency ? cost.model : null,
          decisions: args.decisions ?? null,
        }),
        madds: countNetwork(argmaxNetwork).total.madds,
      }
      : null,
  };
}

/**
 * The chosen candidate of every searchable layer of `path`, with its costs: p where the
 * search has one (`probabilities`, else null), the latency table's entry where it has one.
 */
export function layerChoices(
  space: SearchSpaceSpec,
  costs: SpaceCosts,
  path: readonly number[],
  options: {
    probabilities?: readonly (number | null)[];
    latency?: Pick<SearchCost["model"], "perLayer"> | null;
    decisions?: readonly LayerDecision[] | null;
  } = {},
): LayerChoice[] {
  return costs.searchable.map((layer, l): LayerChoice => {
    const candidate = path[l];
    const block: BlockSpec = space.layers[layer].candidates[candidate];
    const cell = blockAsCell(block);
    return {
      layer,
      candidate,
      candidates: costs.choices[l],
      block: describeBlock(block),
      probability: options.probabilities?.[l] ?? null,
      madds: costs.madds.perLayer[l][candidate],
      params: costs.params.perLayer[l][candidate],
      latencyMs: options.latency ? options.latency.perLayer[l][candidate] : null,
      drawing: cell ? `layer_${String(layer).padStart(2, "0")}_${fileSafe(cellId(cell))}` : null,
      decision: options.decisions?.[l] ?? null,
    };
  });
}

/** The network as ProxylessNAS's net.config text, or null where its blocks cannot say it. */
function netConfigText(network: NetworkSpec): string | null {
  try {
    return JSON.stringify(exportNetConfig(network), null, 2) + "\n";
  } catch {
    return null;
  }
}

/** Writes network.json, net.config, choices.json, cells/ and result.json under `out`. */
export async function writeSearchOutputs(out: string, result: SearchResult): Promise<void> {
  await writeNetworkOutputs(out, result.network, result.layers);
  if (result.argmax) {
    await Deno.mkdir(`${out}/argmax`, { recursive: true });
    await writeNetworkOutputs(`${out}/argmax`, result.argmax.network, result.argmax.layers);
  }
  const { network: _network, argmax, ...numbers } = result;
  const argmaxNumbers = argmax ? { madds: argmax.madds, layers: argmax.layers } : null;
  await atomicWrite(
    `${out}/result.json`,
    JSON.stringify({ ...numbers, argmax: argmaxNumbers }, null, 2) + "\n",
  );
}

/**
 * Writes a chosen network's files under `out`: network.json, net.config (where its blocks
 * can say it), choices.json and a drawing of every chosen cell in cells/. Returns whether
 * net.config was written.
 */
export async function writeNetworkOutputs(
  out: string,
  network: NetworkSpec,
  layers: readonly LayerChoice[],
): Promise<boolean> {
  await atomicWrite(`${out}/network.json`, JSON.stringify(networkToJson(network), null, 2) + "\n");
  const netConfig = netConfigText(network);
  if (netConfig !== null) await atomicWrite(`${out}/net.config`, netConfig);
  await atomicWrite(`${out}/choices.json`, JSON.stringify(layers, null, 2) + "\n");
  const drawings = layers.flatMap((choice) => {
    const cell = blockAsCell(network.blocks[choice.layer]);
    if (!cell || !choice.drawing) return [];
    const p = choice.probability === null ? "" : ` · p ${choice.probability.toFixed(3)}`;
    const ms = choice.latencyMs === null ? "" : `, ${choice.latencyMs.toFixed(3)} ms`;
    return [{
      name: choice.drawing,
      cell,
      options: {
        title: `layer ${choice.layer} · ${choice.block}`,
        subtitle: `candidate ${choice.candidate + 1} of ${choice.candidates}${p} · ` +
          `${formatMAdds(choice.madds)} MAdds, ${formatParams(choice.params)} weights${ms}`,
      },
    }];
  });
  if (drawings.length) await writeCellDrawings(drawings, `${out}/cells`);
  return netConfig !== null;
}
