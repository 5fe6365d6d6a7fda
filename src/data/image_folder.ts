/**
 * ImageNet-layout folders: ROOT/<class>/ holding images in any format sharp decodes
 * (JPEG, PNG, WebP, TIFF, GIF, AVIF, SVG; subfolders too), classes in sorted order.
 * Files are taken by their suffix when sharp knows it, else by content (sharp reads
 * the header); what is neither is ignored and counted. Images of any size and colour
 * type are decoded lazily: training takes a random-resized-crop and a random flip,
 * evaluation resizes the shorter side to size/0.875 and takes the centre crop; output
 * is normalised RGB. A file that cannot be decoded is skipped (and remembered, by
 * path), never fatal.
 */
import { join } from "node:path";
import sharp from "sharp";
import { Rng } from "../util/rng.ts";
import { ConcurrencyLimiter } from "./concurrency_limiter.ts";
import type { Dataset, ImageShape, LoadResult } from "./dataset.ts";
import { exampleSize } from "./dataset.ts";
import { DecodeMeter } from "./decode_meter.ts";
import { IMAGENET_NORMALIZATION, type Normalization } from "./normalization.ts";
import { centerCropPlan, randomResizedCropBox, toNormalizedChw } from "./transforms.ts";

/** Options for image-folder datasets. */
export interface ImageFolderOptions {
  /** Output side length; default 224. */
  size?: number;
  /** Most decodes in flight at once; default max(2, hardware threads). */
  concurrency?: number;
  /** Default ImageNet mean/std. */
  normalization?: Normalization;
}

/** The listing of one image folder. */
export interface ImageFolderListing {
  root: string;
  classNames: string[];
  files: string[];
  labels: Int32Array;
  /** Files under the class folders that are not images sharp can read (not listed). */
  ignored: string[];
}

/** File suffixes of the formats this sharp build decodes (lower-case, with the dot). */
export function imageSuffixes(): string[] {
  const formats = Object.values(sharp.format) as sharp.AvailableFormatInfo[];
  return formats.flatMap((f) => (f.input.buffer ? f.input.fileSuffix ?? [] : []));
}

/** Header reads at once while files of unknown suffix are checked by content. */
const SNIFF_CONCURRENCY = 8;

/** True when sharp recognises the file's content as an image format. */
async function decodableByContent(path: string): Promise<boolean> {
  try {
    const meta = await sharp(path).metadata();
    return Boolean(meta.format && meta.width && meta.height);
  } catch {
    return false;
  }
}

/** Files under `folder` (recursively, sorted, hidden ones skipped), split by suffix. */
async function filesUnder(
  folder: string,
  suffixes: readonly string[],
  into: { known: string[]; unknown: string[] },
): Promise<void> {
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(folder)) entries.push(entry);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory) await filesUnder(path, suffixes, into);
    else if (!entry.isFile && !entry.isSymlink) continue;
    else if (suffixes.some((s) => entry.name.toLowerCase().endsWith(s))) into.known.push(path);
    else into.unknown.push(path);
  }
}

/**
 * The images under one class folder, sorted: files with an image suffix, plus those
 * whose content sharp recognises; the rest go to `ignored`.
 */
async function imagesUnder(
  folder: string,
  suffixes: readonly string[],
  ignored: string[],
): Promise<string[]> {
  const found = { known: [] as string[], unknown: [] as string[] };
  await filesUnder(folder, suffixes, found);
  const limiter = new ConcurrencyLimiter(SNIFF_CONCURRENCY);
  const sniffed = await Promise.all(
    found.unknown.map((path) => limiter.run(() => decodableByContent(path))),
  );
  const images = [...found.known];
  found.unknown.forEach((path, i) => (sniffed[i] ? images : ignored).push(path));
  return images.sort();
}

/**
 * Lists ROOT/<class>/… images. With `classNames` (the training classes), every
 * class folder must be one of them and labels follow that order; without, the
 * sorted class folder names become the classes. Throws one line for a missing
 * or empty folder.
 */
export async function listImageFolder(
  root: string,
  classNames?: readonly string[],
): Promise<ImageFolderListing> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(root);
  } catch {
    throw new Error(`image folder ${root} does not exist; expected ROOT/<class>/<image> files`);
  }
  if (!stat.isDirectory) throw new Error(`image folder ${root} is not a directory`);
  const classFolders: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (entry.isDirectory && !entry.name.startsWith(".")) classFolders.push(entry.name);
  }
  classFolders.sort();
  if (classFolders.length === 0) {
    throw new Error(`image folder ${root} has no class subfolders; expected ROOT/<class>/<image>`);
  }
  const classes = classNames ? [...classNames] : classFolders;
  const classIndex = new Map(classes.map((name, i) => [name, i]));
  const suffixes = imageSuffixes();
  const files: string[] = [];
  const labels: number[] = [];
  const ignored: string[] = [];
  for (const name of classFolders) {
    const label = classIndex.get(name);
    if (label === undefined) {
      throw new Error(
        `image folder ${join(root, name)} is a class that the training folder does not have`,
      );
    }
    const found = await imagesUnder(join(root, name), suffixes, ignored);
    if (found.length === 0) {
      throw new Error(
        `class folder ${join(root, name)} has no images (formats read: ${suffixes.join(" ")})`,
      );
    }
    for (const file of found) {
      files.push(file);
      labels.push(label);
    }
  }
  return { root, classNames: classes, files, labels: Int32Array.from(labels), ignored };
}

/** Shared, mutable state of one folder: views with and without augmentation share it. */
interface FolderState {
  listing: ImageFolderListing;
  limiter: ConcurrencyLimiter;
  meter: DecodeMeter;
  /** Indices of files that failed to decode, so they are not retried. */
  unreadable: Set<number>;
  size: number;
  normalization: Normalization;
}

/** A lazily decoded image-folder dataset; see the module comment. */
export class ImageFolderDataset implements Dataset {
  readonly source: string;
  readonly length: number;
  readonly numClasses: number;
  readonly shape: ImageShape;
  readonly classNames: readonly string[];
  readonly augment: boolean;
  private readonly state: FolderState;

  private constructor(state: FolderState, augment: boolean) {
    this.state = state;
    this.augment = augment;
    this.source = state.listing.root;
    this.length = state.listing.files.length;
    this.numClasses = state.listing.classNames.length;
    this.classNames = state.listing.classNames;
    this.shape = [3, state.size, state.size];
  }

  /** A dataset over `listing`; `augment` picks training or evaluation transforms. */
  static fromListing(
    listing: ImageFolderListing,
    augment: boolean,
    options: ImageFolderOptions = {},
  ): ImageFolderDataset {
    const size = options.size ?? 224;
    if (!(Number.isInteger(size) && size >= 1)) {
      throw new RangeError(`image size must be a positive integer, got ${size}`);
    }
    // Every image is read once per epoch, so sharp's operation cache only costs memory.
    sharp.cache(false);
    const concurrency = options.concurrency ?? Math.max(2, navigator.hardwareConcurrency ?? 2);
    return new ImageFolderDataset({
      listing,
      limiter: new ConcurrencyLimiter(concurrency),
      meter: new DecodeMeter(),
      unreadable: new Set(),
      size,
      normalization: options.normalization ?? IMAGENET_NORMALIZATION,
    }, augment);
  }

  /** Decode throughput counters, shared by all views of this folder. */
  get decodeMeter(): DecodeMeter {
    return this.state.meter;
  }

  /** Files under the class folders that are not images (ignored by the listing). */
  get ignoredFiles(): readonly string[] {
    return this.state.listing.ignored;
  }

  /** File path of example `i`. */
  fileOf(i: number): string {
    return this.state.listing.files[i];
  }

  /** Label of example `i` (no decode). */
  labelOf(i: number): number {
    return this.state.listing.labels[i];
  }

  withAugment(on: boolean): ImageFolderDataset {
    return on === this.augment ? this : new ImageFolderDataset(this.state, on);
  }

  async load(
    indices: ArrayLike<number>,
    seeds: ArrayLike<number>,
    x: Float32Array,
    labels: Int32Array,
  ): Promise<LoadResult> {
    const size = exampleSize(this.shape);
    const { listing, limiter, unreadable } = this.state;
    const tasks: Promise<boolean>[] = [];
    for (let k = 0; k < indices.length; k++) {
      const index = indices[k];
      if (!(index >= 0 && index < this.length)) {
        throw new RangeError(
          `${this.source}: example index ${index} outside 0..${this.length - 1}`,
        );
      }
      if (unreadable.has(index)) {
        tasks.push(Promise.resolve(false));
        continue;
      }
      const out = x.subarray(k * size, (k + 1) * size);
      tasks.push(limiter.run(() => this.decodeInto(index, seeds[k], out)));
    }
    const ok = await Promise.all(tasks);
    // Pack the readable examples to the front, keeping their order.
    let written = 0;
    const unreadableFiles: string[] = [];
    for (let k = 0; k < indices.length; k++) {
      if (!ok[k]) {
        unreadableFiles.push(listing.files[indices[k]]);
        continue;
      }
      if (written !== k) x.copyWithin(written * size, k * size, (k + 1) * size);
      labels[written] = listing.labels[indices[k]];
      written++;
    }
    return { written, skipped: indices.length - written, unreadable: unreadableFiles };
  }

  /** Decodes example `index` into `out`; false (and remembered) when unreadable. */
  private async decodeInto(index: number, seed: number, out: Float32Array): Promise<boolean> {
    const { listing, meter, size, normalization } = this.state;
    meter.start();
    let ok = false;
    try {
      const bytes = await Deno.readFile(listing.files[index]);
      const metadata = await sharp(bytes, { failOn: "truncated" }).metadata();
      const width = metadata.width;
      const height = metadata.height;
      if (!width || !height) throw new Error("no image dimensions");
      let image = sharp(bytes, { failOn: "truncated" });
      let flip = false;
      if (this.augment) {
        const rng = new Rng(seed);
        const box = randomResizedCropBox(width, height, rng);
        flip = rng.next() < 0.5;
        image = image.extract(box).resize(size, size, { fit: "fill" });
      } else {
        const plan = centerCropPlan(width, height, size);
        image = image.resize(plan.resizeWidth, plan.resizeHeight, { fit: "fill" })
          .extract(plan.box);
      }
      const { data, info } = await image.toColourspace("srgb").removeAlpha().raw()
        .toBuffer({ resolveWithObject: true });
      if (info.width !== size || info.height !== size) {
        throw new Error(`decoded ${info.width}×${info.height}, expected ${size}×${size}`);
      }
      // toColourspace("srgb") gives 8-bit samples; a 16-bit result would be twice as long.
      const sixteenBit = data.byteLength === 2 * size * size * info.channels;
      const samples = sixteenBit
        ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      toNormalizedChw(
        { data: samples, width: size, height: size, channels: info.channels },
        out,
        normalization.mean,
        normalization.std,
        flip,
      );
      ok = true;
    } catch {
      this.state.unreadable.add(index);
    } finally {
      meter.finish(ok);
    }
    return ok;
  }
}

/**
 * Lists and opens an image folder. Pass the training classes when opening a
 * validation folder so that labels agree.
 */
export async function openImageFolder(
  root: string,
  augment: boolean,
  options: ImageFolderOptions = {},
  classNames?: readonly string[],
): Promise<ImageFolderDataset> {
  return ImageFolderDataset.fromListing(await listImageFolder(root, classNames), augment, options);
}
