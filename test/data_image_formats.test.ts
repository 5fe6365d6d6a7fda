/**
 * Image folders with every format sharp decodes, written by sharp into a temp dir:
 * JPEG, PNG, WebP, TIFF (.tif and .tiff), GIF, AVIF, a PNG without a suffix (taken
 * by content), a corrupt WebP (listed, then skipped and named), and two files that
 * are not images (ignored and counted). Training loaders keep every batch full.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { openData } from "../src/data/data_spec.ts";
import { getExample } from "../src/data/dataset.ts";
import { imageSuffixes, listImageFolder, openImageFolder } from "../src/data/image_folder.ts";
import { DataLoader } from "../src/data/loader.ts";
import { IMAGENET_NORMALIZATION } from "../src/data/normalization.ts";

const COLOUR = [200, 120, 40];

function solid(size: number): sharp.Sharp {
  const [r, g, b] = COLOUR;
  return sharp({ create: { width: size, height: size, channels: 3, background: { r, g, b } } });
}

/** Writes one image per format (and the odd files) into `dir`; returns the image names. */
async function writeFormats(dir: string): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const files: [string, sharp.Sharp | Uint8Array | string][] = [
    ["a.jpg", solid(24).jpeg({ quality: 95 })],
    ["b.png", solid(20).png()],
    ["c.webp", solid(16).webp({ lossless: true })],
    ["d.tif", solid(12).tiff()],
    ["e.TIFF", solid(12).tiff({ compression: "lzw" })],
    ["f.gif", solid(10).gif()],
    ["g.avif", solid(16).avif({ quality: 90 })],
    ["h_png_without_suffix", solid(9).png()],
    ["z_corrupt.webp", new Uint8Array([0x52, 0x49, 0x46, 0x46, 9, 9, 9])],
    ["notes.txt", "not an image"],
    ["data.bin", new Uint8Array(64).map((_, i) => (i * 37) & 255)],
  ];
  for (const [name, content] of files) {
    const path = join(dir, name);
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else if (content instanceof Uint8Array) await Deno.writeFile(path, content);
    else await content.toFile(path);
  }
  return files.map(([name]) => name).filter((n) => !["notes.txt", "data.bin"].includes(n));
}

async function withTempDir(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "image-formats-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("this sharp build reads the formats the README promises", () => {
  const suffixes = imageSuffixes();
  for (const s of [".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".avif"]) {
    assert.ok(suffixes.includes(s), `${s} missing from ${suffixes.join(" ")}`);
  }
});

Deno.test("image folders list every format sharp decodes, by suffix or content", async () => {
  await withTempDir(async (root) => {
    const images = await writeFormats(join(root, "train/solid"));
    const listing = await listImageFolder(join(root, "train"));
    const names = listing.files.map((f) => f.slice(join(root, "train/solid").length + 1));
    assert.deepEqual(names, [...images].sort());
    assert.deepEqual(
      listing.ignored.map((f) => f.slice(join(root, "train/solid").length + 1)),
      ["data.bin", "notes.txt"],
    );
    const view = await openImageFolder(join(root, "train"), false, { size: 8 });
    const { mean, std } = IMAGENET_NORMALIZATION;
    for (let i = 0; i < view.length; i++) {
      const example = await getExample(view, i);
      const file = view.fileOf(i);
      if (file.endsWith("z_corrupt.webp")) {
        assert.equal(example, null, "the corrupt file is skipped");
        continue;
      }
      assert.ok(example, `${file} decodes`);
      // Lossy formats (JPEG, AVIF, GIF's palette) stay close to the solid colour.
      COLOUR.forEach((want, c) => {
        const got = (example.x[c * 64 + 27] * std[c] + mean[c]) * 255;
        assert.ok(Math.abs(got - want) <= 8, `${file} channel ${c}: ${got} vs ${want}`);
      });
    }
  });
});

Deno.test("training batches stay full: unreadable images are refilled and named", async () => {
  await withTempDir(async (root) => {
    await writeFormats(join(root, "train/solid"));
    const train = await openImageFolder(join(root, "train"), true, { size: 6, concurrency: 2 });
    const listFile = join(root, "skipped_images.txt");
    const warnings: string[] = [];
    const loader = new DataLoader(train, {
      batchSize: 3,
      seed: 5,
      dropLast: true,
      prefetch: 2,
      warn: (w) => warnings.push(w),
      unreadableListFile: listFile,
    });
    assert.equal(loader.refill, true, "training loaders (dropLast) refill by default");
    for (const epoch of [0, 1]) {
      const sizes = [];
      for await (const batch of loader.epoch(epoch)) sizes.push(batch.n);
      assert.deepEqual(sizes, [3, 3, 3], `epoch ${epoch} batch sizes`);
    }
    const corrupt = join(root, "train/solid/z_corrupt.webp");
    assert.deepEqual(loader.unreadable, [corrupt]);
    assert.equal(await Deno.readTextFile(listFile), `${corrupt}\n`);
    assert.equal(warnings.length, 2);
    assert.equal(
      warnings[0],
      `warning: skipped 1 unreadable images in ${join(root, "train")}: ` +
        `solid/z_corrupt.webp; all listed in ${listFile}`,
    );

    // Evaluation loaders keep dataset order and do not refill: the batch is short.
    const evalLoader = new DataLoader(train.withAugment(false), {
      batchSize: 10,
      seed: 0,
      shuffle: false,
      warn: () => {},
    });
    const evalSizes = [];
    for await (const batch of evalLoader.epoch(0)) evalSizes.push(batch.n);
    assert.deepEqual(evalSizes, [8]);
  });
});

Deno.test("openData notes the files of an image folder that are not images", async () => {
  await withTempDir(async (root) => {
    await writeFormats(join(root, "train/solid"));
    await Deno.mkdir(join(root, "val/solid"), { recursive: true });
    await solid(8).png().toFile(join(root, "val/solid/v.png"));
    const warnings: string[] = [];
    const data = await openData(`imagenet:${root}`, {
      imageSize: 8,
      valSplit: 0,
      warn: (w) => warnings.push(w),
    });
    assert.deepEqual(data.shape, [3, 8, 8]);
    assert.deepEqual(warnings, [
      `note: ignored 2 files in ${join(root, "train")} that are not images ` +
      `(solid/data.bin, solid/notes.txt)`,
    ]);
  });
});
