/**
 * Small-image augmentation (crop after zero padding, flip, random erasing): each
 * keeps the image shape, moves pixels exactly as its draws say (checked against a
 * pad → crop → flip → erase written out plainly), is reproducible from the seed
 * (also through the loader, across a resume), and is the identity at evaluation.
 */
import assert from "node:assert/strict";
import { ByteImageDataset } from "../src/data/byte_image_dataset.ts";
import { augmentationOptions, openData } from "../src/data/data_spec.ts";
import { exampleSize, getExample, type ImageShape } from "../src/data/dataset.ts";
import { DataLoader } from "../src/data/loader.ts";
import {
  type AugmentationDraw,
  augmentInto,
  drawAugmentation,
  ERASE_AREA,
  ERASE_RATIO,
  eraseBox,
  NO_AUGMENTATION,
  resolveAugmentation,
  type SmallImageAugmentation,
} from "../src/data/small_image_augmentation.ts";
import { Rng } from "../src/util/rng.ts";

const SHAPE: ImageShape = [3, 12, 10];
const NORMALIZATION = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
const PIXELS = Uint8Array.from({ length: 8 * exampleSize(SHAPE) }, (_, i) => 1 + (i * 53) % 255);

const ONLY: Record<string, SmallImageAugmentation> = {
  crop: { padCrop: 3, flip: false, eraseProb: 0 },
  flip: { padCrop: 0, flip: true, eraseProb: 0 },
  erase: { padCrop: 0, flip: false, eraseProb: 1 },
  all: { padCrop: 2, flip: true, eraseProb: 0.5 },
};

function dataset(augmentation: SmallImageAugmentation, augment = true): ByteImageDataset {
  return new ByteImageDataset({
    source: "pattern",
    pixels: PIXELS,
    labels: Uint8Array.from({ length: 8 }, (_, i) => i % 4),
    shape: SHAPE,
    numClasses: 4,
    classNames: ["a", "b", "c", "d"],
    normalization: NORMALIZATION,
    augmentation,
    augment,
  });
}

/** Example `index` normalised, unaugmented: (byte/255 − mean) / std per channel. */
function plain(index: number): Float32Array {
  const [c, h, w] = SHAPE;
  const out = new Float32Array(c * h * w);
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / (h * w));
    const byte = PIXELS[index * out.length + i];
    out[i] = (byte / 255 - NORMALIZATION.mean[ch]) / NORMALIZATION.std[ch];
  }
  return out;
}

/** The draw's image written out step by step: pad with black, crop, flip, erase. */
function expected(index: number, pad: number, draw: AugmentationDraw): Float32Array {
  const [c, h, w] = SHAPE;
  const black = NORMALIZATION.mean.map((m, ch) => (0 - m) / NORMALIZATION.std[ch]);
  const source = plain(index);
  const padded = (ch: number, y: number, x: number) => {
    const sy = y - pad;
    const sx = x - pad;
    return sy >= 0 && sy < h && sx >= 0 && sx < w ? source[(ch * h + sy) * w + sx] : black[ch];
  };
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const xc = draw.mirrored ? w - 1 - x : x; // flip after the crop
        out[(ch * h + y) * w + x] = padded(ch, y + pad + draw.dy, xc + pad + draw.dx);
      }
    }
  }
  const e = draw.erase;
  for (let ch = 0; e && ch < c; ch++) {
    for (let y = e.top; y < e.top + e.height; y++) {
      for (let x = e.left; x < e.left + e.width; x++) out[(ch * h + y) * w + x] = 0;
    }
  }
  return out;
}

function assertNear(actual: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(actual[i] - want[i]) < 1e-5,
      `${what}: element ${i} ${actual[i]} ≠ ${want[i]}`,
    );
  }
}

for (const [name, augmentation] of Object.entries(ONLY)) {
  Deno.test(`${name}: shape kept, pixels where the draws say, same seed same image`, async () => {
    const data = dataset(augmentation);
    const [, h, w] = SHAPE;
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const index = seed % 8;
      const example = (await getExample(data, index, seed))!;
      assert.equal(example.x.length, exampleSize(SHAPE), "shape");
      const draw = drawAugmentation(augmentation, h, w, new Rng(seed));
      assertNear(example.x, expected(index, augmentation.padCrop, draw), `${name} seed ${seed}`);
      assert.deepEqual((await getExample(data, index, seed))!.x, example.x, "reproducible");
      if (index === 0) seen.add(example.x.join(","));
    }
    assert.ok(seen.size > 1, `${name}: seeds give different images`);
  });
}

Deno.test("identity at evaluation: augment off, or nothing asked, gives the plain image", async () => {
  for (const augmentation of [...Object.values(ONLY), NO_AUGMENTATION]) {
    const off = dataset(augmentation).withAugment(false);
    assert.equal(off.augment, false);
    for (let index = 0; index < 8; index++) {
      assertNear((await getExample(off, index, 1234 + index))!.x, plain(index), "augment off");
    }
  }
  const none = dataset(NO_AUGMENTATION);
  assertNear((await getExample(none, 3, 99))!.x, plain(3), "no augmentation asked");
  const identity: AugmentationDraw = { dy: 0, dx: 0, mirrored: false, erase: null };
  const out = new Float32Array(exampleSize(SHAPE));
  const tables = NORMALIZATION.mean.map((m, c) =>
    Float32Array.from({ length: 256 }, (_, v) => (v / 255 - m) / NORMALIZATION.std[c])
  );
  augmentInto(PIXELS.subarray(0, out.length), out, SHAPE, tables, identity);
  assertNear(out, plain(0), "identity draw");
});

Deno.test("the Fashion-MNIST test split is never augmented, whatever --augment says", async () => {
  const options = augmentationOptions("fashion-mnist", { names: "crop,flip,erase" });
  const data = await openData("fashion-mnist", { valSplit: 0.01, seed: 1, ...options });
  assert.equal(data.train.augment, true);
  assert.equal(data.test.augment, false);
  assert.equal(data.val!.augment, false);
  const raw = await openData("fashion-mnist", { valSplit: 0.01, seed: 1, augment: false });
  for (const index of [0, 17, 9999]) {
    assert.deepEqual(
      (await getExample(data.test, index, index))!.x,
      (await getExample(raw.test, index))!.x,
    );
  }
  let changed = 0;
  for (let index = 0; index < 20; index++) {
    const a = (await getExample(data.train, index, 7))!.x;
    const b = (await getExample(raw.train, index, 7))!.x;
    if (a.some((v, i) => v !== b[i])) changed++;
  }
  assert.ok(changed >= 15, `only ${changed} of 20 training images augmented`);
});

Deno.test("random erasing: rate ≈ p, boxes inside the image with the paper's area and ratio", () => {
  const [h, w] = [28, 28];
  let erased = 0;
  const trials = 4000;
  for (let seed = 0; seed < trials; seed++) {
    const draw = drawAugmentation({ padCrop: 0, flip: false, eraseProb: 0.3 }, h, w, new Rng(seed));
    if (draw.erase) erased++;
  }
  const sd = Math.sqrt(0.3 * 0.7 / trials);
  assert.ok(Math.abs(erased / trials - 0.3) < 5 * sd, `erased ${erased} of ${trials} at p = 0.3`);
  const rng = new Rng(5);
  for (let k = 0; k < 500; k++) {
    const box = eraseBox(h, w, rng);
    if (!box) continue;
    assert.ok(box.top >= 0 && box.left >= 0, "inside");
    assert.ok(box.top + box.height <= h && box.left + box.width <= w, "inside");
    const area = (box.height * box.width) / (h * w);
    // Rounding each side to whole pixels moves the area and ratio a little.
    assert.ok(area > ERASE_AREA[0] / 2 && area < ERASE_AREA[1] * 1.3, `area ${area}`);
    const ratio = box.height / box.width;
    assert.ok(ratio > ERASE_RATIO[0] / 1.6 && ratio < ERASE_RATIO[1] * 1.6, `ratio ${ratio}`);
  }
});

Deno.test("through the loader: same seed and epoch, same batch; a resumed epoch matches", async () => {
  const data = dataset(ONLY.all);
  const batches = async (seed: number, epoch: number, start = 0) => {
    const out = [];
    const loader = new DataLoader(data, { batchSize: 3, seed, prefetch: 2 });
    for await (const b of loader.epoch(epoch, start)) out.push(b);
    return out;
  };
  const full = await batches(4, 2);
  assert.deepEqual(await batches(4, 2), full);
  assert.deepEqual(await batches(4, 2, 1), full.slice(1), "resumed at step 1");
  const nextEpoch = await batches(4, 3);
  assert.notDeepEqual(nextEpoch.map((b) => b.x), full.map((b) => b.x));
});

Deno.test("--augment, --crop-pad, --erase-prob: defaults per dataset and clear errors", () => {
  const fashion = augmentationOptions("fashion-mnist", {});
  assert.deepEqual(fashion.augmentation, NO_AUGMENTATION, "fashion-mnist: none by default");
  assert.deepEqual(
    augmentationOptions("fashion-mnist", { names: "crop,flip,erase" }).augmentation,
    { padCrop: 2, flip: true, eraseProb: 0.5 },
  );
  assert.deepEqual(
    augmentationOptions("cifar10", {}).augmentation,
    { padCrop: 4, flip: true, eraseProb: 0 },
    "cifar10 keeps pad-crop 4 and flip",
  );
  assert.deepEqual(
    augmentationOptions("cifar10", { cropPad: 2, names: "erase, crop" }).augmentation,
    { padCrop: 2, flip: false, eraseProb: 0.5 },
  );
  assert.deepEqual(augmentationOptions("cifar10", { names: "none" }).augmentation, NO_AUGMENTATION);
  assert.deepEqual(augmentationOptions("imagenet", { names: "none" }), { augment: false });
  assert.deepEqual(augmentationOptions("imagenet", {}), {});
  const defaults = { augmentation: NO_AUGMENTATION, cropPad: 2 };
  assert.throws(
    () => resolveAugmentation(defaults, { names: "crop,blur" }),
    /unknown augmentation "blur"/,
  );
  assert.throws(() => resolveAugmentation(defaults, { cropPad: 3 }), /--crop-pad needs crop/);
  assert.throws(
    () => resolveAugmentation(defaults, { names: "crop", eraseProb: 0.2 }),
    /--erase-prob needs erase/,
  );
  assert.throws(
    () => resolveAugmentation(defaults, { names: "erase", eraseProb: 0 }),
    /--erase-prob must be in \(0, 1\]/,
  );
  assert.throws(
    () => augmentationOptions("imagenet", { names: "erase" }),
    /image folders train with/,
  );
  assert.throws(
    () => dataset({ padCrop: 10, flip: false, eraseProb: 0 }),
    /crop padding 10 must be below the image side 10/,
  );
});

Deno.test("augmenting a Fashion-MNIST-sized batch costs far less than a training step", async () => {
  const shape: ImageShape = [1, 28, 28];
  const n = 4096;
  const pixels = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 31) % 256);
  const data = new ByteImageDataset({
    source: "speed",
    pixels,
    labels: new Uint8Array(n),
    shape,
    numClasses: 1,
    classNames: ["x"],
    normalization: { mean: [0.286], std: [0.353] },
    augmentation: { padCrop: 2, flip: true, eraseProb: 0.5 },
    augment: true,
  });
  const indices = Int32Array.from({ length: n }, (_, i) => i);
  const seeds = Uint32Array.from({ length: n }, (_, i) => i * 7919);
  const x = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  await data.load(indices, seeds, x, labels); // warm-up (JIT)
  const start = performance.now();
  await data.load(indices, seeds, x, labels);
  const perSecond = n / ((performance.now() - start) / 1000);
  // Training runs at ~100 images/s on this CPU adapter; 20× that leaves the loader idle.
  assert.ok(perSecond > 2000, `${perSecond.toFixed(0)} augmented images/s`);
});
