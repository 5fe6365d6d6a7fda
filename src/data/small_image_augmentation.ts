/**
 * Training augmentation of small 8-bit images (Fashion-MNIST, CIFAR-10), done on
 * the host for each image while a batch is assembled: random crop after zero
 * padding, horizontal flip, and random erasing (Zhong et al., "Random Erasing Data
 * Augmentation", AAAI 2020; with a zero fill it is cutout's rectangle of variable
 * size and shape, DeVries & Taylor 2017).
 *
 * The random choices (`drawAugmentation`) are separate from the pixel work
 * (`augmentInto`): the choices come from the example's own Rng, which the loader
 * seeds from (run seed, epoch, position), so a batch depends on nothing else and a
 * resumed or prefetching run sees the same images; the pixel work is one table
 * read per pixel into the caller's output, with no per-pixel allocation.
 */
import type { Rng } from "../util/rng.ts";
import type { ImageShape } from "./dataset.ts";

/** Augmentation for small images; applied only while a dataset's `augment` is on. */
export interface SmallImageAugmentation {
  /** Zero-padding on each side before a random crop back to H×W; 0 disables the crop. */
  padCrop: number;
  /** Random horizontal flip with probability 1/2. */
  flip: boolean;
  /** Probability of erasing one random rectangle; 0 disables erasing. */
  eraseProb: number;
}

/** No augmentation. */
export const NO_AUGMENTATION: SmallImageAugmentation = { padCrop: 0, flip: false, eraseProb: 0 };

/** Names `--augment` accepts, in the order they are applied. */
export const AUGMENTATION_NAMES = ["crop", "flip", "erase"] as const;
/** One of `AUGMENTATION_NAMES`. */
export type AugmentationName = typeof AUGMENTATION_NAMES[number];

/** Erasing probability when erase is on and none is given (Zhong et al.'s p = 0.5). */
export const DEFAULT_ERASE_PROB = 0.5;
/** Erased area as a fraction of the image (Zhong et al.'s s_l = 0.02, s_h = 0.4). */
export const ERASE_AREA: readonly [number, number] = [0.02, 0.4];
/** Erased aspect ratio h/w, drawn log-uniformly (Zhong et al.'s r_1 = 0.3, up to 1/r_1). */
export const ERASE_RATIO: readonly [number, number] = [0.3, 1 / 0.3];
/** Rectangle draws before giving up on erasing this image (a bound on the work). */
const ERASE_ATTEMPTS = 10;

/** A rectangle in output pixels. */
export interface PixelBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** The random choices for one image. */
export interface AugmentationDraw {
  /** Output pixel (y, x) reads padded source (y + dy, x + dx): the crop's offset. */
  dy: number;
  dx: number;
  /** Mirror left-right (applied before the crop offset). */
  mirrored: boolean;
  /** Rectangle set to 0 (the dataset mean after normalisation), or null. */
  erase: PixelBox | null;
}

/** Whether `augmentation` changes any image. */
export function augments(augmentation: SmallImageAugmentation): boolean {
  return augmentation.padCrop > 0 || augmentation.flip || augmentation.eraseProb > 0;
}

/**
 * Draws one image's choices from `rng`, in a fixed order (crop offsets, flip,
 * erasing), each only when that augmentation is on.
 */
export function drawAugmentation(
  augmentation: SmallImageAugmentation,
  height: number,
  width: number,
  rng: Rng,
): AugmentationDraw {
  const pad = augmentation.padCrop;
  const dy = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
  const dx = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
  const mirrored = augmentation.flip && rng.next() < 0.5;
  const erase = augmentation.eraseProb > 0 && rng.next() < augmentation.eraseProb
    ? eraseBox(height, width, rng)
    : null;
  return { dy, dx, mirrored, erase };
}

/**
 * Random erasing's rectangle: area fraction uniform in `ERASE_AREA`, aspect ratio
 * log-uniform in `ERASE_RATIO`, placed uniformly where it fits; null when
 * `ERASE_ATTEMPTS` draws do not fit.
 */
export function eraseBox(height: number, width: number, rng: Rng): PixelBox | null {
  const area = height * width;
  const logLo = Math.log(ERASE_RATIO[0]);
  const logHi = Math.log(ERASE_RATIO[1]);
  for (let attempt = 0; attempt < ERASE_ATTEMPTS; attempt++) {
    const target = area * rng.uniform(ERASE_AREA[0], ERASE_AREA[1]);
    const ratio = Math.exp(rng.uniform(logLo, logHi));
    const h = Math.round(Math.sqrt(target * ratio));
    const w = Math.round(Math.sqrt(target / ratio));
    if (h >= 1 && w >= 1 && h < height && w < width) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
    }
  }
  return null;
}

/**
 * Writes the augmented image: output pixel (y, x) of channel c is
 * table_c[src(c, y + dy, x' + dx)] with x' = W−1−x when mirrored, else x;
 * outside the source it is the padding value table_c[0] (a black pixel, "zero
 * padding" in pixel space); then the erased rectangle is set to 0 in every channel.
 * `src` is one CHW byte image, `out` its CHW floats.
 */
export function augmentInto(
  src: Uint8Array,
  out: Float32Array,
  shape: ImageShape,
  tables: readonly Float32Array[],
  draw: AugmentationDraw,
): void {
  const [channels, height, width] = shape;
  const { dy, dx, mirrored, erase } = draw;
  for (let c = 0; c < channels; c++) {
    const table = tables[c];
    const padValue = table[0];
    const base = c * height * width;
    for (let y = 0; y < height; y++) {
      const sy = y + dy;
      const row = base + y * width;
      if (sy < 0 || sy >= height) {
        out.fill(padValue, row, row + width);
        continue;
      }
      const srcRow = base + sy * width;
      for (let x = 0; x < width; x++) {
        const sx = (mirrored ? width - 1 - x : x) + dx;
        out[row + x] = sx >= 0 && sx < width ? table[src[srcRow + sx]] : padValue;
      }
    }
    if (erase) {
      for (let y = erase.top; y < erase.top + erase.height; y++) {
        const row = base + y * width + erase.left;
        out.fill(0, row, row + erase.width);
      }
    }
  }
}

/** What `resolveAugmentation` needs to know about a dataset's defaults. */
export interface AugmentationDefaults {
  /** Augmentation when none is asked for. */
  augmentation: SmallImageAugmentation;
  /** Padding of the crop when crop is asked for without a padding. */
  cropPad: number;
}

/** A request as the `--augment`, `--crop-pad` and `--erase-prob` flags give it. */
export interface AugmentationRequest {
  /** Comma list of `AUGMENTATION_NAMES`, or "none"; undefined keeps the default list. */
  names?: string;
  cropPad?: number;
  eraseProb?: number;
}

/** Parses "crop,flip,erase" (any subset, any order) or "none". */
export function parseAugmentationNames(text: string): Set<AugmentationName> {
  const names = new Set<AugmentationName>();
  const parts = text.split(",").map((s) => s.trim().toLowerCase());
  if (parts.length === 1 && parts[0] === "none") return names;
  for (const part of parts) {
    if (!(AUGMENTATION_NAMES as readonly string[]).includes(part)) {
      throw new Error(
        `--augment ${JSON.stringify(text)}: unknown augmentation ${JSON.stringify(part)}; ` +
          `give a comma list of ${AUGMENTATION_NAMES.join(", ")}, or none`,
      );
    }
    names.add(part as AugmentationName);
  }
  return names;
}

/** The augmentation a request asks for on a dataset with these defaults. */
export function resolveAugmentation(
  defaults: AugmentationDefaults,
  request: AugmentationRequest,
): SmallImageAugmentation {
  const base = defaults.augmentation;
  const names = request.names === undefined
    ? new Set<AugmentationName>([
      ...(base.padCrop > 0 ? ["crop" as const] : []),
      ...(base.flip ? ["flip" as const] : []),
      ...(base.eraseProb > 0 ? ["erase" as const] : []),
    ])
    : parseAugmentationNames(request.names);
  const list = names.size ? [...names].join(",") : "none";
  if (request.cropPad !== undefined && !names.has("crop")) {
    throw new Error(
      `--crop-pad needs crop among the augmentations (now: ${list}); add it to --augment`,
    );
  }
  if (request.eraseProb !== undefined && !names.has("erase")) {
    throw new Error(
      `--erase-prob needs erase among the augmentations (now: ${list}); add it to --augment`,
    );
  }
  const padCrop = request.cropPad ?? (base.padCrop || defaults.cropPad);
  if (names.has("crop") && !(Number.isInteger(padCrop) && padCrop >= 1)) {
    throw new Error(`--crop-pad must be a positive integer, got ${padCrop}`);
  }
  const eraseProb = request.eraseProb ?? (base.eraseProb || DEFAULT_ERASE_PROB);
  if (names.has("erase") && !(eraseProb > 0 && eraseProb <= 1)) {
    throw new Error(`--erase-prob must be in (0, 1], got ${eraseProb}`);
  }
  return {
    padCrop: names.has("crop") ? padCrop : 0,
    flip: names.has("flip"),
    eraseProb: names.has("erase") ? eraseProb : 0,
  };
}

/** "crop (pad 2), flip, erase (p 0.5)" or "none", for logs. */
export function describeAugmentation(augmentation: SmallImageAugmentation): string {
  const parts: string[] = [];
  if (augmentation.padCrop > 0) parts.push(`crop (pad ${augmentation.padCrop})`);
  if (augmentation.flip) parts.push("flip");
  if (augmentation.eraseProb > 0) parts.push(`erase (p ${augmentation.eraseProb})`);
  return parts.length ? parts.join(", ") : "none";
}
