/**
 * The population G^l of one supernet layer (paper §3.2.1, Figure 2): distinct cells,
 * each paired with its fitness score α (a logit: p = softmax(α) over the K cells a
 * supernet samples, so α may be negative) and the counters the evolution needs.
 *
 * Invariants: every cell is canonical and appears once (equivalent cells share an id,
 * `cellId`); no cell costs more than the layer's MAdds cap (Eq. 1's MAdds_max); the zero
 * cell is present only when the layer allows it (`allowZeroCell`, which needs stride 1
 * and cin = cout, where a zero cell is an identity skip).
 *
 * Eviction (when children overflow `maxSize`): the lowest-fitness entries go first,
 * among those not protected (the cells sampled into the current supernet and the
 * children just born, which have had no chance to be scored yet); among equal fitness
 * the oldest goes first, as in aging evolution, so that the population keeps turning
 * over rather than holding on to stale ties.
 */
import {
  allowsZero,
  type Backbone,
  canonicalize,
  type Cell,
  cellId,
  cellMAdds,
  cellToJson,
  type EdgeOp,
  formatCell,
  hammingDistance,
  isZeroCell,
  layerInputSizes,
  mutate,
  parseCell,
  randomCell,
  searchableLayers,
} from "../space/mod.ts";
import type { Rng } from "../util/rng.ts";

/** Channels, stride and spatial input size of one searchable layer. */
export interface LayerPopulationShape {
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
  readonly inputSize: number;
}

/** One cell of a population and its bookkeeping. */
export interface PopulationEntry {
  /** Canonical form of the cell (`canonicalize`). */
  readonly cell: Cell;
  /** `cellId(cell)`; the key of the entry. */
  readonly id: string;
  /** MAdds of the cell at this layer's shape. */
  readonly madds: number;
  /** Fitness score α (a logit; see the file comment). */
  fitness: number;
  /** n′ of Eq. 4: supernet iterations this cell has been trained as one of the K paths. */
  trainedIterations: number;
  /** Regenerations in which tournament selection put this cell into the supernet. */
  timesSampled: number;
  /** Regeneration index at which the cell joined (0 = initial population). */
  readonly born: number;
  /** Id of the cell this one was mutated from; absent for initial cells. */
  readonly parentId?: string;
}

/** Limits of a population. */
export interface PopulationLimits {
  /** Most entries kept; eviction brings the population back to this size. */
  readonly maxSize: number;
  /** Largest MAdds a cell may have at this layer (Eq. 1's MAdds_max); Infinity for none. */
  readonly maddsCap: number;
  /** Whether the zero cell may join (only honoured where the layer allows a skip). */
  readonly allowZeroCell: boolean;
}

/** Options of `LayerPopulation.initial`. */
export interface InitialPopulationOptions {
  /** Largest MAdds a cell may have at this layer; default Infinity. */
  maddsCap?: number;
  /** Most entries kept; default 2 × the initial size. */
  maxSize?: number;
  /** Reference DAG (Eq. 2); when given it is the first member (if it fits the cap). */
  reference?: Cell;
  /** Hamming threshold τ: with `reference`, every initial cell is closer than τ to it. */
  tau?: number;
  /** α of the initial cells; default 0 (p uniform over any K of them). */
  initFitness?: number;
  /** Allow the zero cell where the layer allows a skip; default false. */
  allowZeroCell?: boolean;
  /** Candidate cells drawn per wanted cell before giving up; default 500. */
  triesPerCell?: number;
  /** Edge ops new cells draw from; default the paper's five (`OPEN_SPACE_OPS`). */
  ops?: readonly EdgeOp[];
}

/** JSON form of an entry (cell as `CellJson`, id and MAdds rechecked on load). */
export interface PopulationEntryJson {
  id: string;
  cell: ReturnType<typeof cellToJson>;
  madds: number;
  fitness: number;
  trainedIterations: number;
  timesSampled: number;
  born: number;
  parentId?: string;
}

/** JSON form of a population, for resuming a run. */
export interface LayerPopulationJson {
  format: typeof POPULATION_FORMAT;
  layer: number;
  shape: LayerPopulationShape;
  limits: { maxSize: number; maddsCap: number | null; allowZeroCell: boolean };
  regeneration: number;
  sampled: string[];
  entries: PopulationEntryJson[];
}

/** Format tag of serialised populations. */
export const POPULATION_FORMAT = "autospace.population/v1";

/**
 * True when the canonical form of `cell` (the form a population stores) is closer than
 * τ to `reference` (Eq. 2). `mutate` checks the raw child; canonicalisation can relabel
 * nodes and move an op off the reference's chain, so the stored form is checked too:
 * that keeps every stored cell under τ and so mutable under τ in its turn.
 */
export function nearReference(cell: Cell, reference: Cell, tau: number): boolean {
  return hammingDistance(canonicalize(cell), reference) < tau;
}

/** The shapes of a backbone's searchable layers, with their backbone layer indices. */
export function searchableLayerShapes(
  backbone: Backbone,
): { layer: number; shape: LayerPopulationShape }[] {
  const sizes = layerInputSizes(backbone);
  return searchableLayers(backbone).map((layer) => {
    const { cin, cout, stride } = backbone.layers[layer];
    return { layer, shape: { cin, cout, stride, inputSize: sizes[layer] } };
  });
}

/** The population of one layer. Entries keep insertion order (which seeds tie-breaks). */
export class LayerPopulation {
  private readonly byId = new Map<string, PopulationEntry>();
  private sampledIds: string[] = [];
  private regenerationIndex = 0;

  /** An empty population; see `initial` for a seeded one. */
  constructor(
    readonly layer: number,
    readonly shape: LayerPopulationShape,
    readonly limits: PopulationLimits,
  ) {
    if (!(Number.isInteger(limits.maxSize) && limits.maxSize >= 1)) {
      throw new RangeError(`population: maxSize must be an integer >= 1, got ${limits.maxSize}`);
    }
    if (!(limits.maddsCap > 0)) {
      throw new RangeError(`population: maddsCap must be > 0, got ${limits.maddsCap}`);
    }
  }

  /**
   * A random initial population of `size` distinct cells for layer `layer`.
   * With `reference` and `tau`: the reference cell, then mutations (one gene each) of
   * random members, each kept closer than τ to the reference, so the population starts
   * as a cloud around the reference DAG (§3.2.1). With `reference` alone: the reference
   * and uniform random cells. Without: uniform random cells (`randomCell`). Cells over
   * the MAdds cap, duplicates and (unless allowed) the zero cell are redrawn; throws one
   * line when `size` distinct admissible cells are not found.
   */
  static initial(
    rng: Rng,
    size: number,
    layer: number,
    shape: LayerPopulationShape,
    options: InitialPopulationOptions = {},
  ): LayerPopulation {
    if (!(Number.isInteger(size) && size >= 1)) {
      throw new RangeError(`population: initial size must be an integer >= 1, got ${size}`);
    }
    const maxSize = options.maxSize ?? 2 * size;
    if (maxSize < size) {
      throw new RangeError(`population: maxSize ${maxSize} is below the initial size ${size}`);
    }
    const population = new LayerPopulation(layer, shape, {
      maxSize,
      maddsCap: options.maddsCap ?? Infinity,
      allowZeroCell: options.allowZeroCell ?? false,
    });
    const fitness = options.initFitness ?? 0;
    const { reference, tau, ops } = options;
    if (reference !== undefined && population.admits(reference) === null) {
      population.add(reference, { fitness });
    }
    const budget = size * (options.triesPerCell ?? 500);
    const allowZero = population.zeroCellAllowed;
    for (let attempt = 0; attempt < budget && population.size < size; attempt++) {
      let candidate: Cell;
      if (reference !== undefined && tau !== undefined) {
        const from = population.size > 0 ? rng.pick(population.entries()).cell : reference;
        try {
          candidate = mutate(from, rng, { reference, tau, allowZeroCell: allowZero, ops });
        } catch {
          continue; // no child under τ from this member; draw another member
        }
        if (!nearReference(candidate, reference, tau)) continue;
      } else {
        candidate = randomCell(rng, { allowZeroCell: allowZero, ops });
      }
      if (population.admits(candidate) === null) population.add(candidate, { fitness });
    }
    if (population.size < size) {
      throw new Error(
        `population (layer ${layer}, ${shape.cin}->${shape.cout} stride ${shape.stride}): ` +
          `found only ${population.size} of ${size} distinct cells under the MAdds cap ` +
          `${options.maddsCap ?? Infinity}` +
          (tau !== undefined ? ` within tau=${tau} of the reference` : "") +
          "; raise the cap or tau, or lower the population size",
      );
    }
    return population;
  }

  /** Number of entries. */
  get size(): number {
    return this.byId.size;
  }

  /** Current regeneration index (children born now get it as `born`). */
  get regeneration(): number {
    return this.regenerationIndex;
  }

  /** Starts the next regeneration; returns its index. */
  advanceRegeneration(): number {
    return ++this.regenerationIndex;
  }

  /** True when this layer admits the zero cell (flag on, stride 1, cin = cout). */
  get zeroCellAllowed(): boolean {
    return this.limits.allowZeroCell && allowsZero(this.shape);
  }

  /** Entries in insertion order. */
  entries(): PopulationEntry[] {
    return [...this.byId.values()];
  }

  /** The entry with `id`, or undefined. */
  get(id: string): PopulationEntry | undefined {
    return this.byId.get(id);
  }

  /** The entry with `id`; throws one line when it is not in the population. */
  require(id: string): PopulationEntry {
    const entry = this.byId.get(id);
    if (!entry) throw new Error(`population (layer ${this.layer}): no cell with id "${id}"`);
    return entry;
  }

  /** True when a cell equivalent to `cell` is in the population. */
  has(cell: Cell): boolean {
    return this.byId.has(cellId(cell));
  }

  /** MAdds of `cell` at this layer's shape. */
  maddsOf(cell: Cell): number {
    const { cin, cout, stride, inputSize } = this.shape;
    return cellMAdds(cell, cin, cout, stride, inputSize, inputSize);
  }

  /** Why `cell` may not join (a short reason), or null when it may. */
  admits(cell: Cell): string | null {
    if (isZeroCell(cell) && !this.zeroCellAllowed) return "zero cell not allowed in this layer";
    if (this.has(cell)) return "already in the population";
    const madds = this.maddsOf(cell);
    if (!(madds <= this.limits.maddsCap)) {
      return `MAdds ${madds} above the cap ${this.limits.maddsCap}`;
    }
    return null;
  }

  /**
   * Adds `cell` (stored in canonical form) with its fitness; throws one line when it
   * is not admissible (see `admits`). Does not evict: call `evict` after a batch.
   */
  add(cell: Cell, options: { fitness: number; parentId?: string }): PopulationEntry {
    const reason = this.admits(cell);
    if (reason !== null) {
      throw new Error(
        `population (layer ${this.layer}): cannot add ${formatCell(cell)}: ${reason}`,
      );
    }
    if (!Number.isFinite(options.fitness)) {
      throw new RangeError(`population: fitness of ${formatCell(cell)} is ${options.fitness}`);
    }
    const canonical = canonicalize(cell);
    const entry: PopulationEntry = {
      cell: canonical,
      id: cellId(canonical),
      madds: this.maddsOf(canonical),
      fitness: options.fitness,
      trainedIterations: 0,
      timesSampled: 0,
      born: this.regenerationIndex,
      ...(options.parentId !== undefined ? { parentId: options.parentId } : {}),
    };
    this.byId.set(entry.id, entry);
    return entry;
  }

  /** Ids of the cells in the current supernet, in path order. */
  sampled(): string[] {
    return [...this.sampledIds];
  }

  /**
   * Records that `ids` (the tournament winners, in path order) form the supernet from
   * now on: counts one sampling each and protects them from eviction.
   */
  markSampled(ids: readonly string[]): void {
    if (new Set(ids).size !== ids.length) {
      throw new Error(`population (layer ${this.layer}): sampled ids repeat: ${ids.join(", ")}`);
    }
    for (const id of ids) this.require(id);
    for (const id of ids) this.require(id).timesSampled++;
    this.sampledIds = [...ids];
  }

  /** Adds `iterations` to n′ (Eq. 4) of each of `ids` (the cells trained in the supernet). */
  recordTraining(ids: readonly string[], iterations: number): void {
    if (!(Number.isInteger(iterations) && iterations >= 0)) {
      throw new RangeError(`population: iterations must be an integer >= 0, got ${iterations}`);
    }
    for (const id of ids) this.require(id).trainedIterations += iterations;
  }

  /**
   * Removes entries until at most `maxSize` remain: lowest fitness first, ties oldest
   * (smallest `born`, then earliest inserted) first, never one of the sampled cells or
   * of `protect`. Returns the removed entries. When only protected entries remain the
   * population stays above `maxSize` (config validation keeps maxSize ≥ K + children).
   */
  evict(protect: Iterable<string> = []): PopulationEntry[] {
    const excess = this.size - this.limits.maxSize;
    if (excess <= 0) return [];
    const keep = new Set([...this.sampledIds, ...protect]);
    const order = new Map([...this.byId.keys()].map((id, index) => [id, index]));
    const candidates = this.entries().filter((entry) => !keep.has(entry.id));
    candidates.sort((a, b) =>
      a.fitness - b.fitness || a.born - b.born || order.get(a.id)! - order.get(b.id)!
    );
    const removed = candidates.slice(0, excess);
    for (const entry of removed) this.byId.delete(entry.id);
    return removed;
  }

  /**
   * The best `k` entries, best first (Figure 2's "global sorted α"): entries that have
   * been scored in a supernet (timesSampled > 0) rank before unscored ones, whose α is
   * only inherited or initial; then by fitness, then by n′ (more evidence first).
   */
  top(k: number): PopulationEntry[] {
    const order = new Map([...this.byId.keys()].map((id, index) => [id, index]));
    return this.entries().sort((a, b) =>
      Number(b.timesSampled > 0) - Number(a.timesSampled > 0) ||
      b.fitness - a.fitness ||
      b.trainedIterations - a.trainedIterations ||
      order.get(a.id)! - order.get(b.id)!
    ).slice(0, k);
  }

  /** This layer's top-`k` cells in the shape `makeSearchSpaceFile` takes. */
  toSearchSpaceLayer(k: number): { layer: number; cells: { cell: Cell; fitness: number }[] } {
    return {
      layer: this.layer,
      cells: this.top(k).map(({ cell, fitness }) => ({ cell, fitness })),
    };
  }

  /** Plain JSON (exact: numbers are finite doubles, which JSON round-trips). */
  toJSON(): LayerPopulationJson {
    return {
      format: POPULATION_FORMAT,
      layer: this.layer,
      shape: {
        cin: this.shape.cin,
        cout: this.shape.cout,
        stride: this.shape.stride,
        inputSize: this.shape.inputSize,
      },
      limits: {
        maxSize: this.limits.maxSize,
        maddsCap: Number.isFinite(this.limits.maddsCap) ? this.limits.maddsCap : null,
        allowZeroCell: this.limits.allowZeroCell,
      },
      regeneration: this.regenerationIndex,
      sampled: [...this.sampledIds],
      entries: this.entries().map((entry) => ({
        id: entry.id,
        cell: cellToJson(entry.cell),
        madds: entry.madds,
        fitness: entry.fitness,
        trainedIterations: entry.trainedIterations,
        timesSampled: entry.timesSampled,
        born: entry.born,
        ...(entry.parentId !== undefined ? { parentId: entry.parentId } : {}),
      })),
    };
  }

  /**
   * Reads `toJSON` output; throws one line naming the bad path (`where` prefixes it,
   * e.g. the checkpoint file and layer).
   */
  static fromJSON(value: unknown, where = "population"): LayerPopulation {
    const fail = (path: string, what: string): never => {
      throw new Error(`${where}${path}: ${what}`);
    };
    const obj = asObject(value, "", fail);
    if (obj.format !== POPULATION_FORMAT) {
      fail(".format", `expected "${POPULATION_FORMAT}", got ${JSON.stringify(obj.format)}`);
    }
    const layer = asInt(obj.layer, ".layer", 0, fail);
    const s = asObject(obj.shape, ".shape", fail);
    const shape: LayerPopulationShape = {
      cin: asInt(s.cin, ".shape.cin", 1, fail),
      cout: asInt(s.cout, ".shape.cout", 1, fail),
      stride: asInt(s.stride, ".shape.stride", 1, fail),
      inputSize: asInt(s.inputSize, ".shape.inputSize", 1, fail),
    };
    const l = asObject(obj.limits, ".limits", fail);
    const cap = l.maddsCap === null ? Infinity : asNumber(l.maddsCap, ".limits.maddsCap", fail);
    if (typeof l.allowZeroCell !== "boolean") fail(".limits.allowZeroCell", "expected a boolean");
    const population = new LayerPopulation(layer, shape, {
      maxSize: asInt(l.maxSize, ".limits.maxSize", 1, fail),
      maddsCap: cap,
      allowZeroCell: l.allowZeroCell as boolean,
    });
    population.regenerationIndex = asInt(obj.regeneration, ".regeneration", 0, fail);
    if (!Array.isArray(obj.entries)) fail(".entries", "expected an array");
    (obj.entries as unknown[]).forEach((item, index) => {
      const path = `.entries[${index}]`;
      const e = asObject(item, path, fail);
      let cell: Cell;
      try {
        cell = parseCell(e.cell, "cell");
      } catch (err) {
        return fail(`${path}.cell`, (err as Error).message);
      }
      const id = cellId(cell);
      if (e.id !== id) fail(`${path}.id`, `${JSON.stringify(e.id)} is not the cell's id "${id}"`);
      if (population.byId.has(id)) fail(`${path}.id`, `duplicate cell "${id}"`);
      if (isZeroCell(cell) && !population.zeroCellAllowed) {
        fail(`${path}.cell`, "zero cell in a layer that does not allow it");
      }
      const madds = population.maddsOf(cell);
      if (e.madds !== madds) fail(`${path}.madds`, `${e.madds} differs from the counted ${madds}`);
      if (!(madds <= cap)) fail(`${path}.madds`, `${madds} is above the cap ${cap}`);
      if (e.parentId !== undefined && typeof e.parentId !== "string") {
        fail(`${path}.parentId`, "expected a string");
      }
      const entry: PopulationEntry = {
        cell: canonicalize(cell),
        id,
        madds,
        fitness: asNumber(e.fitness, `${path}.fitness`, fail),
        trainedIterations: asInt(e.trainedIterations, `${path}.trainedIterations`, 0, fail),
        timesSampled: asInt(e.timesSampled, `${path}.timesSampled`, 0, fail),
        born: asInt(e.born, `${path}.born`, 0, fail),
        ...(e.parentId !== undefined ? { parentId: e.parentId as string } : {}),
      };
      population.byId.set(id, entry);
    });
    if (!Array.isArray(obj.sampled)) fail(".sampled", "expected an array");
    const sampled = obj.sampled as unknown[];
    sampled.forEach((id, index) => {
      if (typeof id !== "string" || !population.byId.has(id)) {
        fail(`.sampled[${index}]`, `${JSON.stringify(id)} is not an entry id`);
      }
    });
    if (new Set(sampled).size !== sampled.length) fail(".sampled", "ids repeat");
    population.sampledIds = sampled as string[];
    return population;
  }
}

type Fail = (path: string, what: string) => never;

function asObject(value: unknown, path: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(path, "expected an object");
  }
  return value as Record<string, unknown>;
}

function asNumber(value: unknown, path: string, fail: Fail): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return fail(path, `expected a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function asInt(value: unknown, path: string, min: number, fail: Fail): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    return fail(path, `expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}
