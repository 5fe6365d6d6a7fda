/**
 * The network and the search space released with the AutoSpace paper (the public
 * repository zhoudaquan/AutoSpace, commit 9c5eac7, holds only these two JSON files and a
 * figure), written out as built-ins so that a clone needs no copy of them:
 *
 * - "autospace-340m": the "AutoSpace-PNAS 340M" network of net_340M.config (README: 4.3M
 *   params, 340M MAdds, 75.3% ImageNet top-1), a ProxylessNAS backbone at 224×224 whose
 *   blocks are the learned cells (Motif blocks), inverted residuals and skipped layers;
 * - the learned space of search_space.config: 11 entries, one per distinct layer shape of
 *   the proxyless-224 backbone, of 9 cells each (the last three the chains dw-dw-dw,
 *   dw-dw-id and the reference DAG dw-id-id).
 *
 * Both read from the files by `importNetConfig` and `importSuperNetConfig`;
 * test/space_net_config.test.ts checks them against the files where they are present.
 */
import { type Cell, parseCompactCell } from "./cell.ts";
import type { BlockSpec, NetworkSpec } from "./network_spec.ts";

/**
 * The blocks of net_340M.config, one a line: kind, input and output channels, stride,
 * then the cell (a Motif block) or the expansion (an inverted residual, kernel 3);
 * "zero" is a skipped layer.
 */
const NET_340M_BLOCKS = `
  irb   32  16 1 1
  cell  16  24 2 r6:dw3,-,id,-,-,id:++
  irb   24  24 1 6
  zero  24  24 1
  zero  24  24 1
  cell  24  40 2 r3:dw5,dw3,id,-,dw3,dw3:*+
  cell  40  40 1 r6:id,dw3,id,-,id,id:*+
  irb   40  40 1 3
  zero  40  40 1
  cell  40  80 2 r6:dw3,dw3,id,-,dw3,dw3:++
  cell  80  80 1 r3:id,dw3,dw3,-,id,dw3:++
  cell  80  80 1 r6:dw3,-,id,-,-,id:++
  zero  80  80 1
  cell  80  96 1 r6:dw5,dw3,id,-,id,dw3:++
  cell  96  96 1 r6:dw3,-,id,-,-,id:++
  zero  96  96 1
  zero  96  96 1
  cell  96 192 2 r6:dw5,dw3,id,-,dw3,id:++
  cell 192 192 1 r6:dw7,-,id,-,-,id:++
  cell 192 192 1 r6:dw7,-,id,-,-,id:++
  cell 192 192 1 r6:dw7,-,id,-,-,id:++
  cell 192 320 1 r6:dw7,-,id,-,-,id:++
`;

/** One line of `NET_340M_BLOCKS` as a block. */
function released340MBlock(line: string): BlockSpec {
  const [kind, cinText, coutText, strideText, detail] = line.trim().split(/\s+/);
  const [cin, cout, stride] = [cinText, coutText, strideText].map(Number);
  if (kind === "cell") return { type: "cell", cin, cout, stride, cell: parseCompactCell(detail) };
  if (kind === "zero") return { type: "zero", cin, cout, stride };
  const expansion = Number(detail);
  return { type: "inverted_residual", cin, cout, stride, kernel: 3, expansion, se: false };
}

/** The released "AutoSpace-PNAS 340M" network (net_340M.config) as a spec. */
export function autospace340M(): NetworkSpec {
  const blocks = NET_340M_BLOCKS.trim().split("\n").map(released340MBlock);
  const head = { featureMix: { cout: 1280 }, dropout: 0 };
  const stem = { cout: 32, kernel: 3, stride: 2 };
  const bn = { momentum: 0.1, eps: 0.006 };
  return {
    name: "autospace-340m",
    input: { channels: 3, size: 224 },
    stem,
    blocks,
    head,
    classes: 1000,
    bn,
  };
}

/** The last three cells of every entry: the chains dw-dw-dw, dw-dw-id, dw-id-id (the reference). */
const RELEASED_CHAINS = [
  "r6:dw3,-,dw3,-,-,dw3:++",
  "r6:dw3,-,dw3,-,-,id:++",
  "r6:dw3,-,id,-,-,id:++",
];

/** The six learned cells of each entry of search_space.config (distinct layer shape). */
const RELEASED_LEARNED_CELLS: readonly (readonly string[])[] = [
  [
    "r3:id,dw3,dw3,-,id,dw3:+*",
    "r1:c1,c1,dw3,-,id,dw3:**",
    "r1:dw3,-,dw3,-,c1,dw3:*+",
    "r1:c1,c1,dw3,-,dw3,dw3:+*",
    "r1:id,c1,dw3,-,c1,dw3:++",
    "r1:c1,dw3,dw3,-,id,id:**",
  ],
  [
    "r1:dw3,dw3,dw3,-,dw3,c1:++",
    "r3:id,id,c1,-,id,c1:++",
    "r1:id,c1,id,-,dw3,dw3:*+",
    "r6:dw3,dw3,dw3,-,id,dw3:++",
    "r1:c1,id,dw3,-,dw3,id:++",
    "r1:dw3,-,dw3,-,dw3,dw3:++",
  ],
  [
    "r6:id,id,id,-,dw3,id:**",
    "r1:c1,dw3,dw3,-,dw3,id:**",
    "r3:c1,dw3,id,-,dw3,c1:*+",
    "r1:id,id,c1,-,dw3,id:+*",
    "r3:dw3,dw3,dw3,-,dw3,dw3:*+",
    "r6:id,dw3,id,-,id,id:*+",
  ],
  [
    "r6:id,id,dw3,-,id,dw3:*+",
    "r6:id,id,id,-,id,dw3:**",
    "r6:dw3,-,dw3,-,id,dw3:++",
    "r6:dw3,dw3,dw3,-,id,dw3:++",
    "r1:id,id,id,-,dw3,dw3:**",
    "r1:dw3,-,dw3,-,id,dw3:+*",
  ],
  [
    "r3:id,c1,id,-,c1,dw3:+*",
    "r3:id,dw3,dw3,-,id,dw3:++",
    "r6:dw3,dw3,id,-,id,dw3:++",
    "r6:dw3,dw3,id,-,dw3,dw3:++",
    "r6:dw3,dw3,dw3,-,-,id:++",
    "r6:dw3,dw3,dw3,-,dw3,dw3:++",
  ],
  [
    "r1:id,c1,id,-,c1,c1:*+",
    "r6:dw3,dw3,dw3,-,id,id:++",
    "r1:id,c1,id,-,id,c1:+*",
    "r3:dw3,c1,id,-,c1,dw3:+*",
    "r1:id,c1,c1,-,dw3,dw3:**",
    "r6:dw3,id,id,-,dw3,dw3:**",
  ],
  [
    "r3:id,c1,dw3,-,dw3,dw3:++",
    "r6:dw3,id,dw3,-,id,dw3:++",
    "r6:dw3,dw3,dw3,-,id,dw3:**",
    "r6:dw3,dw3,dw3,-,id,dw3:++",
    "r3:dw3,c1,dw3,-,dw3,id:+*",
    "r6:dw3,-,dw3,-,-,dw3:++",
  ],
  [
    "r3:c1,id,id,-,c1,id:++",
    "r1:c1,c1,c1,-,id,c1:*+",
    "r3:dw3,dw3,id,-,id,dw3:*+",
    "r3:dw3,dw3,dw3,-,dw3,id:**",
    "r3:c1,id,dw3,-,dw3,id:*+",
    "r3:id,c1,id,-,id,id:**",
  ],
  [
    "r3:dw3,c1,dw3,-,id,dw3:*+",
    "r6:dw3,id,id,-,id,id:**",
    "r1:id,c1,c1,-,c1,dw3:**",
    "r6:id,dw3,dw3,-,id,dw3:++",
    "r1:id,c1,id,-,c1,dw3:**",
    "r6:dw3,dw3,dw3,-,dw3,id:++",
  ],
  [
    "r1:dw3,dw3,c1,-,c1,dw3:++",
    "r3:c1,dw3,id,-,c1,id:**",
    "r6:dw3,dw3,dw3,-,id,id:++",
    "r3:id,id,c1,-,id,dw3:++",
    "r1:id,id,c1,-,id,id:++",
    "r1:c1,-,id,-,dw3,dw3:++",
  ],
  [
    "r3:dw3,dw3,id,-,dw3,dw3:++",
    "r1:dw3,id,id,-,c1,dw3:+*",
    "r1:id,dw3,dw3,-,dw3,c1:*+",
    "r1:c1,id,id,-,id,c1:++",
    "r1:id,c1,c1,-,id,dw3:++",
    "r3:id,id,c1,-,id,c1:+*",
  ],
];

/** The released learned space (search_space.config): per entry, its 9 candidate cells. */
export function releasedSpaceEntries(): Cell[][] {
  return RELEASED_LEARNED_CELLS.map((cells) =>
    [...cells, ...RELEASED_CHAINS].map(parseCompactCell)
  );
}
