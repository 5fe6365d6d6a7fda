/**
 * The first images of Fashion-MNIST as a dataset folder of its own (the same four
 * gzipped IDX files), for machines that cannot install the Debian package: the GPU
 * bundle carries a few thousand images, enough for `evolve --quick` (512 training and
 * 256 held-out images) at ~2 MiB instead of 30.
 */
import { gzipSync } from "node:zlib";
import { readIdx } from "./idx.ts";

/** Images kept per split when not told otherwise. */
export const SUBSET_IMAGES = { train: 4_000, test: 1_000 } as const;

const FILES = [
  ["train", "train-images-idx3-ubyte"],
  ["train", "train-labels-idx1-ubyte"],
  ["test", "t10k-images-idx3-ubyte"],
  ["test", "t10k-labels-idx1-ubyte"],
] as const;

/** Writes the first `counts` images (and labels) of `src` into `dst`. */
export async function writeFashionMnistSubset(
  src: string,
  dst: string,
  counts: { train: number; test: number } = SUBSET_IMAGES,
): Promise<void> {
  await Deno.mkdir(dst, { recursive: true });
  for (const [split, name] of FILES) {
    const gz = `${src}/${name}.gz`;
    const idx = await readIdx(await Deno.stat(gz).then(() => gz, () => `${src}/${name}`));
    const n = Math.min(counts[split], idx.dims[0]);
    const dims = [n, ...idx.dims.slice(1)];
    const per = idx.dims.slice(1).reduce((a, b) => a * b, 1);
    const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
    header.setUint8(2, 0x08); // unsigned bytes
    header.setUint8(3, dims.length);
    dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
    const bytes = new Uint8Array(header.byteLength + n * per);
    bytes.set(new Uint8Array(header.buffer), 0);
    bytes.set(idx.data.subarray(0, n * per), header.byteLength);
    await Deno.writeFile(`${dst}/${name}.gz`, gzipSync(bytes, { level: 9 }));
  }
}
