/**
 * The parts a network's forward latency is summed from: the stem, one block per
 * layer and the head (feature mix, global pooling, classifier). Each part is timed
 * on its own at its input shape and batch, so that for a network of a search space
 *
 *   latency(N) ≈ stem + Σ_l block_l(choice_l) + head
 *
 * A part's `key` names everything its kernels depend on (block spec, input map,
 * batch), so one measured entry serves every space that holds the same part.
 * Identity blocks — the zero op with its shortcut, and the zero cell with a
 * residual — record no GPU work and cost 0: they have no part (`null`).
 */
import { formatCell } from "../space/cell.ts";
import { isZeroCell } from "../space/cell_graph.ts";
import {
  type BlockSpec,
  type HeadSpec,
  type InputSpec,
  outputSize,
  type StemSpec,
} from "../space/network_spec.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";

/** One separately timed piece of a network's forward pass. */
export type LatencyPart =
  | {
    readonly kind: "stem";
    readonly key: string;
    readonly batch: number;
    readonly input: InputSpec;
    readonly stem: StemSpec;
  }
  | {
    readonly kind: "block";
    readonly key: string;
    readonly batch: number;
    /** Spatial size of the block's input map (square). */
    readonly size: number;
    readonly block: BlockSpec;
  }
  | {
    readonly kind: "head";
    readonly key: string;
    readonly batch: number;
    readonly size: number;
    /** Channels entering the head (the last block's cout). */
    readonly cin: number;
    readonly head: HeadSpec;
    readonly classes: number;
  };

/** The parts of a search space: stem, each candidate of each layer (null: identity), head. */
export interface SpaceParts {
  readonly stem: LatencyPart;
  /** Aligned with `space.layers[l].candidates`. */
  readonly layers: readonly (readonly (LatencyPart | null)[])[];
  readonly head: LatencyPart;
}

/** " @ b64 14x14": the batch and input map every key ends with. */
function at(batch: number, size: number): string {
  return ` @ b${batch} ${size}x${size}`;
}

/** True when a block is an identity skip (no kernels run). */
export function isIdentityBlock(block: BlockSpec): boolean {
  return block.type === "zero" || (block.type === "cell" && isZeroCell(block.cell));
}

/** The key of a block's kernels: type, channels, stride and its options. */
export function blockKey(block: BlockSpec): string {
  const shape = `${block.cin}->${block.cout} s${block.stride}`;
  switch (block.type) {
    case "inverted_residual":
      return `irb ${shape} k${block.kernel} e${block.expansion}` +
        `${block.mid === undefined ? "" : ` mid${block.mid}`}${block.se ? " se" : ""}`;
    case "cell":
      // The exact structure, not the canonical id: the timed block is the one built.
      return `cell ${shape} ${formatCell(block.cell)}`;
    case "zero":
      return `zero ${shape}`;
  }
}

/** The part of a block on a `size`×`size` input, or null for an identity skip. */
export function blockPart(block: BlockSpec, size: number, batch: number): LatencyPart | null {
  if (isIdentityBlock(block)) return null;
  return { kind: "block", key: blockKey(block) + at(batch, size), batch, size, block };
}

/** The stem's part. */
export function stemPart(input: InputSpec, stem: StemSpec, batch: number): LatencyPart {
  const key = `stem ${input.channels}->${stem.cout} k${stem.kernel} s${stem.stride}` +
    at(batch, input.size);
  return { kind: "stem", key, batch, input, stem };
}

/** The head's part on a `size`×`size` map of `cin` channels. */
export function headPart(
  cin: number,
  size: number,
  head: HeadSpec,
  classes: number,
  batch: number,
): LatencyPart {
  const mix = head.featureMix ? ` mix${head.featureMix.cout}` : "";
  const key = `head ${cin}${mix} pool fc${classes}` + at(batch, size);
  return { kind: "head", key, batch, size, cin, head, classes };
}

/** Every part of `space` at `batch`. */
export function spaceParts(space: SearchSpaceSpec, batch: number): SpaceParts {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`latency: batch must be an integer ≥ 1, got ${batch}`);
  }
  let size = outputSize(space.input.size, space.stem.stride);
  const layers = space.layers.map((layer) => {
    const here = size;
    size = outputSize(size, layer.stride);
    return layer.candidates.map((block) => blockPart(block, here, batch));
  });
  const cin = space.layers.at(-1)?.cout ?? space.stem.cout;
  return {
    stem: stemPart(space.input, space.stem, batch),
    layers,
    head: headPart(cin, size, space.head, space.classes, batch),
  };
}

/** The distinct parts of a space (each key once), stem first, head last. */
export function distinctParts(parts: SpaceParts): LatencyPart[] {
  const byKey = new Map<string, LatencyPart>();
  for (const part of [parts.stem, ...parts.layers.flat(), parts.head]) {
    if (part && !byKey.has(part.key)) byKey.set(part.key, part);
  }
  return [...byKey.values()];
}
