/**
 * Packs what an offline GPU server needs to run `deno task bench` (or any task):
 * the project's tracked files, its installed npm packages (linux-x64 only), the Deno
 * binary, and Debian's Vulkan loader (libvulkan1) as a .deb that the run script
 * unpacks next to it. The server needs only its GPU driver (with its Vulkan ICD).
 *
 *   deno run -A scripts/pack_gpu_server.ts [--out out/autospace-gpu.tar.gz]
 *   # on the server:
 *   tar xzf autospace-gpu.tar.gz && cd autospace-gpu && ./run.sh bench --json bench.json
 */
import { parseArgs } from "node:util";
import { runCli } from "./_cli.ts";

const RUN_SH = `#!/usr/bin/env bash
# Runs a deno task offline with the bundled Deno and Vulkan loader: ./run.sh bench [flags]
set -euo pipefail
cd "$(dirname "$0")"
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  mkdir -p .vulkan && for f in debs/*.deb; do dpkg -x "$f" .vulkan; done
  export LD_LIBRARY_PATH="$PWD/.vulkan/usr/lib/x86_64-linux-gnu:\${LD_LIBRARY_PATH:-}"
fi
# NVIDIA containers often keep the ICD outside the loader's default search path.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "\${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
export XDG_RUNTIME_DIR="\${XDG_RUNTIME_DIR:-/tmp}" DENO_NO_UPDATE_CHECK=1
task="\${1:-bench}"; shift || true
exec ./bin/deno task "$task" "$@"
`;

/**
 * Other platforms' native binaries inside onnxruntime-node: not needed on a linux-x64
 * server. (Whole packages stay: Deno checks node_modules against deno.lock.)
 */
const PRUNE = [/onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32|linux\/arm64)(\/|$)/];

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err}`);
  }
  return new TextDecoder().decode(out.stdout);
}

async function copyTree(src: string, dst: string, skip: RegExp[]): Promise<void> {
  for await (const e of Deno.readDir(src)) {
    const from = `${src}/${e.name}`;
    const to = `${dst}/${e.name}`;
    if (skip.some((re) => re.test(from))) continue;
    if (e.isDirectory) {
      await Deno.mkdir(to, { recursive: true });
      await copyTree(from, to, skip);
    } else if (e.isSymlink) {
      await Deno.symlink(await Deno.readLink(from), to);
    } else {
      await Deno.copyFile(from, to);
    }
  }
}

await runCli("pack", async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: "out/autospace-gpu.tar.gz" } },
  });
  const out = values.out!;
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new Error(
      `packing must run on linux x86_64 (the server's platform), not ${Deno.build.target}`,
    );
  }
  console.log("pack: installing npm packages (deno install) ...");
  await run(Deno.execPath(), ["install"]);
  const stage = await Deno.makeTempDir({ prefix: "autospace-pack-" });
  const root = `${stage}/autospace-gpu`;
  await Deno.mkdir(`${root}/bin`, { recursive: true });
  await Deno.mkdir(`${root}/debs`, { recursive: true });
  console.log("pack: downloading libvulkan1 (apt-get download) ...");
  await run("apt-get", ["download", "libvulkan1"], `${root}/debs`).catch((e) => {
    throw new Error(`${e.message}; run as a user that can use apt-get (Debian/Ubuntu)`);
  });
  const files = (await run("git", ["ls-files"])).trim().split("\n");
  for (const f of files) {
    const dir = f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : "";
    if (dir) await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    await Deno.copyFile(f, `${root}/${f}`);
  }
  console.log("pack: copying node_modules (linux-x64 binaries only) ...");
  await Deno.mkdir(`${root}/node_modules`, { recursive: true });
  await copyTree("node_modules", `${root}/node_modules`, PRUNE);
  await Deno.copyFile(Deno.execPath(), `${root}/bin/deno`);
  await Deno.chmod(`${root}/bin/deno`, 0o755);
  await Deno.writeTextFile(`${root}/run.sh`, RUN_SH);
  await Deno.chmod(`${root}/run.sh`, 0o755);
  const dir = out.includes("/") ? out.slice(0, out.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const abs = out.startsWith("/") ? out : `${Deno.cwd()}/${out}`;
  console.log("pack: compressing ...");
  await run("tar", ["czf", `${abs}.tmp`, "-C", stage, "autospace-gpu"]);
  await Deno.rename(`${abs}.tmp`, abs);
  await Deno.remove(stage, { recursive: true });
  const mib = (await Deno.stat(abs)).size / 2 ** 20;
  console.log(
    `pack: wrote ${out} (${mib.toFixed(0)} MiB); on the server: tar xzf, then ./run.sh bench`,
  );
});
