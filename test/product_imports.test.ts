/**
 * Product code (src/, scripts/) never imports src/reference/: the CPU reference
 * implementations are the tests' yardstick, so that a kernel and its check cannot share
 * a mistake.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* tsFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("no product file imports src/reference/", async () => {
  const offenders: string[] = [];
  for (const folder of ["src", "scripts"]) {
    for await (const path of tsFiles(join(ROOT, folder))) {
      const rel = relative(ROOT, path);
      if (rel.startsWith("src/reference/")) continue;
      const text = await Deno.readTextFile(path);
      const imports = text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gms);
      for (const [, spec] of imports) {
        const target = relative(ROOT, join(path, "..", spec));
        if (target.startsWith("src/reference/")) offenders.push(`${rel} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});
