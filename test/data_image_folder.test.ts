import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { getExample } from "../src/data/dataset.ts";
import { listImageFolder, openImageFolder } from "../src/data/image_folder.ts";
import { DataLoader } from "../src/data/loader.ts";
import { IMAGENET_NORMALIZATION } from "../src/data/normalization.ts";

const { mean: MEAN, std: STD } = IMAGENET_NORMALIZATION;

function solid(width: number, height: number, channels: 3 | 4, rgba: number[]): sharp.Sharp {
  const [r, g, b, alpha = 255] = rgba;
  return sharp({
    create: { width, height, channels, background: { r, g, b, alpha: alpha / 255 } },
  });
}

/** A left-to-right gradient, so crops and flips change the output. */
function gradient(width: number, height: number): sharp.Sharp {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = Math.round((255 * x) / (width - 1));
      data[o + 1] = Math.round((255 * y) / (height - 1));
      data[o + 2] = 128;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/**
 * ROOT/train/{cat,dog}, ROOT/val/{cat,dog}: an RGB JPEG, a 1-channel PNG, an
 * RGBA PNG, a gradient JPEG in a subfolder, a corrupt .jpg, a text file.
 */
async function makeFolder(root: string): Promise<void> {
  for (const d of ["train/cat", "train/dog/more", "val/cat", "val/dog"]) {
    await Deno.mkdir(join(root, d), { recursive: true });
  }
  await solid(40, 30, 3, [200, 100, 50]).jpeg({ quality: 95 }).toFile(
    join(root, "train/cat/a.jpg"),
  );
  await solid(20, 50, 3, [90, 90, 90]).toColourspace("b-w").png()
    .toFile(join(root, "train/cat/gray.png"));
  await solid(30, 30, 4, [10, 20, 30, 128]).png().toFile(join(root, "train/cat/rgba.PNG"));
  await Deno.writeTextFile(join(root, "train/cat/notes.txt"), "not an image");
  await gradient(64, 48).jpeg({ quality: 95 }).toFile(join(root, "train/dog/more/b.jpeg"));
  await Deno.writeFile(join(root, "train/dog/corrupt.jpg"), new Uint8Array([0xff, 0xd8, 1, 2, 3]));
  await gradient(48, 64).png().toFile(join(root, "train/dog/c.png"));
  await solid(16, 16, 3, [1, 2, 3]).png().toFile(join(root, "val/cat/x.png"));
  await gradient(16, 16).png().toFile(join(root, "val/dog/y.png"));
}

async function withFolder(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    await makeFolder(root);
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Un-normalises channel c of a CHW example back to 0..255. */
function byteValue(x: Float32Array, c: number, j: number, plane: number): number {
  return (x[c * plane + j] * STD[c] + MEAN[c]) * 255;
}

Deno.test("listImageFolder finds images by class, sorted, in subfolders; ignores text", async () => {
  await withFolder(async (root) => {
    const listing = await listImageFolder(join(root, "train"));
    assert.deepEqual(listing.classNames, ["cat", "dog"]);
    const names = listing.files.map((f) => f.slice(root.length + 1));
    assert.deepEqual(names, [
      "train/cat/a.jpg",
      "train/cat/gray.png",
      "train/cat/rgba.PNG",
      "train/dog/c.png",
      "train/dog/corrupt.jpg",
      "train/dog/more/b.jpeg",
    ]);
    assert.deepEqual([...listing.labels], [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(listing.ignored, [join(root, "train/cat/notes.txt")]);
    const meta = await sharp(join(root, "train/cat/gray.png")).metadata();
    assert.equal(meta.channels, 1);
  });
});

Deno.test("evaluation decode: any colour type becomes normalised RGB; corrupt is skipped", async () => {
  await withFolder(async (root) => {
    const train = await openImageFolder(join(root, "train"), false, { size: 16, concurrency: 3 });
    assert.deepEqual(train.shape, [3, 16, 16]);
    const plane = 256;
    const x = new Float32Array(6 * 3 * plane);
    const labels = new Int32Array(6);
    const result = await train.load([0, 1, 2, 3, 4, 5], [0, 0, 0, 0, 0, 0], x, labels);
    assert.deepEqual(result, {
      written: 5,
      skipped: 1,
      unreadable: [join(root, "train/dog/corrupt.jpg")],
    });
    assert.deepEqual([...labels.slice(0, 5)], [0, 0, 0, 1, 1]);
    const near = (got: number, want: number, tol: number, what: string) =>
      assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
    for (const j of [0, 100, 255]) {
      // Example 0: solid RGB JPEG (lossy, so a tolerance).
      [200, 100, 50].forEach((v, c) => near(byteValue(x, c, j, plane), v, 4, `jpeg c${c}`));
      // Example 1: 1-channel PNG, three equal channels.
      for (let c = 0; c < 3; c++) {
        near(byteValue(x.subarray(3 * plane), c, j, plane), 90, 0.5, "gray");
      }
      // Example 2: RGBA PNG, alpha dropped.
      [10, 20, 30].forEach((v, c) =>
        near(byteValue(x.subarray(6 * plane), c, j, plane), v, 1.5, `rgba c${c}`)
      );
    }
    for (const v of x) assert.ok(Number.isFinite(v));
    const stats = train.decodeMeter.stats();
    assert.equal(stats.decoded, 5);
    assert.equal(stats.failed, 1);
    assert.ok(stats.imagesPerSecond > 0 && stats.busySeconds > 0);
    // The corrupt file is remembered: not decoded (or counted as failed) again.
    assert.equal(await getExample(train, 4), null);
    assert.equal(train.decodeMeter.stats().failed, 1);
  });
});

Deno.test("training decode: seeded random-resized-crop and flip", async () => {
  await withFolder(async (root) => {
    const train = await openImageFolder(join(root, "train"), true, { size: 12 });
    const a = await getExample(train, 5, 11);
    const b = await getExample(train, 5, 11);
    assert.deepEqual(a, b);
    const distinct = new Set<string>();
    for (let seed = 0; seed < 8; seed++) {
      distinct.add((await getExample(train, 5, seed))!.x.join(","));
    }
    assert.ok(distinct.size >= 6, `${distinct.size} distinct crops of 8`);
    // The evaluation view of the same file is the centre crop, with no randomness.
    const evalView = train.withAugment(false);
    assert.equal(evalView.decodeMeter, train.decodeMeter);
    assert.deepEqual(await getExample(evalView, 5, 1), await getExample(evalView, 5, 2));
  });
});

Deno.test("image-folder loader: prefetch gives the same batches; one warning per epoch", async () => {
  await withFolder(async (root) => {
    const train = await openImageFolder(join(root, "train"), true, { size: 8, concurrency: 2 });
    const collect = async (prefetch: number) => {
      const warnings: string[] = [];
      const loader = new DataLoader(train, {
        batchSize: 4,
        seed: 3,
        prefetch,
        warn: (w) => warnings.push(w),
      });
      const batches = [];
      for (const epoch of [0, 1]) {
        for await (const batch of loader.epoch(epoch)) batches.push(batch);
      }
      return { batches, warnings, loader };
    };
    const sequential = await collect(0);
    const prefetched = await collect(3);
    assert.deepEqual(prefetched.batches, sequential.batches);
    assert.equal(sequential.batches.reduce((s, b) => s + b.n, 0), 10);
    const warning = `warning: skipped 1 unreadable images in ${join(root, "train")}: ` +
      "dog/corrupt.jpg";
    assert.deepEqual(sequential.warnings, [warning, warning]);
    assert.equal(sequential.loader.stats.skipped, 1);
    assert.ok(sequential.loader.decodeStats()!.decoded >= 10);
  });
});

Deno.test("image folders: missing or empty folders are one clear error", async () => {
  await withFolder(async (root) => {
    await assert.rejects(() => listImageFolder(join(root, "test")), /test does not exist/);
    await Deno.mkdir(join(root, "empty/none"), { recursive: true });
    await assert.rejects(
      () => listImageFolder(join(root, "empty")),
      /class folder .*empty\/none has no images \(formats read: .*\.jpg.*\)/,
    );
    await Deno.mkdir(join(root, "flat"));
    await assert.rejects(() => listImageFolder(join(root, "flat")), /has no class subfolders/);
    await Deno.mkdir(join(root, "val/bird"));
    await solid(4, 4, 3, [0, 0, 0]).png().toFile(join(root, "val/bird/z.png"));
    await assert.rejects(
      () => listImageFolder(join(root, "val"), ["cat", "dog"]),
      /val\/bird is a class that the training folder does not have/,
    );
  });
});
