/**
 * `deno task evolve` — the differentiable evolutionary algorithm (paper §3.2).
 * Not built yet: the engine, spaces and data layers it needs are being built first.
 */
console.error(
  "evolve: the differentiable evolutionary algorithm is not implemented yet (issue 6). " +
    "What works today: `deno task test` (engine, kernels, reference) and `deno task inspect <network>`.",
);
Deno.exit(2);
