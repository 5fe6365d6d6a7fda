/**
 * Geometry of the standard ImageNet transforms, and the final conversion of a
 * decoded HWC image to a normalised CHW float array. The pixel work of crop and
 * resize is done by sharp (image_folder.ts); these functions decide the boxes.
 */
import type { Rng } from "../util/rng.ts";

/** A crop box in source pixels. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Scale range of random-resized-crop: fraction of the source area kept. */
export const RANDOM_CROP_SCALE: readonly [number, number] = [0.08, 1];
/** Aspect-ratio range of random-resized-crop (width / height). */
export const RANDOM_CROP_RATIO: readonly [number, number] = [3 / 4, 4 / 3];
/** Evaluation keeps this fraction of the resized shorter side (224 of 256). */
export const EVAL_CROP_FRACTION = 0.875;

/**
 * Random-resized-crop box (Szegedy et al., "Going deeper with convolutions"):
 * an area fraction uniform in `scale` and a log-uniform aspect ratio in `ratio`,
 * placed uniformly; after 10 failed tries, the largest centred box whose aspect
 * ratio is within range.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  scale: readonly [number, number] = RANDOM_CROP_SCALE,
  ratio: readonly [number, number] = RANDOM_CROP_RATIO,
): CropBox {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { left: rng.int(width - w + 1), top: rng.int(height - h + 1), width: w, height: h };
    }
  }
  let w = width;
  let h = height;
  const inRatio = width / height;
  if (inRatio < ratio[0]) h = Math.max(1, Math.min(height, Math.round(w / ratio[0])));
  else if (inRatio > ratio[1]) w = Math.max(1, Math.min(width, Math.round(h * ratio[1])));
  return { left: (width - w) >> 1, top: (height - h) >> 1, width: w, height: h };
}

/**
 * Evaluation geometry: resize so the shorter side is round(size / 0.875), then
 * take the centred size×size box. Returns the resized dimensions and the box in
 * resized pixels.
 */
export function centerCropPlan(
  width: number,
  height: number,
  size: number,
  fraction = EVAL_CROP_FRACTION,
): { resizeWidth: number; resizeHeight: number; box: CropBox } {
  const shorter = Math.max(size, Math.round(size / fraction));
  let resizeWidth: number;
  let resizeHeight: number;
  if (width <= height) {
    resizeWidth = shorter;
    resizeHeight = Math.max(size, Math.round((height * shorter) / width));
  } else {
    resizeHeight = shorter;
    resizeWidth = Math.max(size, Math.round((width * shorter) / height));
  }
  const box = {
    left: (resizeWidth - size) >> 1,
    top: (resizeHeight - size) >> 1,
    width: size,
    height: size,
  };
  return { resizeWidth, resizeHeight, box };
}

/** A decoded image as sharp returns it: interleaved HWC samples. */
export interface DecodedImage {
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: number;
}

/**
 * Writes a decoded image into `out` as normalised RGB CHW, mirrored
 * horizontally when `flip`. Gray becomes three equal channels; alpha is
 * dropped; 16-bit samples are scaled to [0, 1] like 8-bit ones.
 */
export function toNormalizedChw(
  image: DecodedImage,
  out: Float32Array,
  mean: readonly number[],
  std: readonly number[],
  flip: boolean,
): void {
  const { data, width, height, channels } = image;
  if (channels < 1 || channels > 4) {
    throw new Error(`cannot convert an image with ${channels} channels to RGB`);
  }
  const plane = width * height;
  if (out.length < 3 * plane) {
    throw new RangeError(`output holds ${out.length} floats, needs ${3 * plane}`);
  }
  const maxValue = data instanceof Uint16Array ? 65535 : 255;
  const colorChannels = channels >= 3 ? 3 : 1;
  for (let c = 0; c < 3; c++) {
    const sourceChannel = colorChannels === 3 ? c : 0;
    const scale = 1 / (maxValue * std[c]);
    const shift = mean[c] / std[c];
    const base = c * plane;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const sx = flip ? width - 1 - x : x;
        out[base + row + x] = data[(row + sx) * channels + sourceChannel] * scale - shift;
      }
    }
  }
}
