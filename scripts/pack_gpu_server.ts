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
import { GPU_BUNDLE_RUN_SH } from "../src/setup/gpu_bundle_run_sh.ts";
import { parseCli, runCli } from "./_cli.ts";

const PACK = {
  usage: "deno task pack-gpu [--out FILE]",
  summary: "Packs an offline bundle for a headless GPU server: the project's tracked files, its\n" +
    "linux-x64 npm packages, the Deno binary and Debian's Vulkan loader (libvulkan1). On the\n" +
    "server: tar xzf FILE && cd autospace-gpu && ./run.sh bench (run.sh checks for a Vulkan\n" +
    "adapter first and says what to install when there is none).",
  flags: {
    out: {
      type: "string",
      default: "out/autospace-gpu.tar.gz",
      arg: "FILE",
      help: "the bundle to write",
    },
  },
} as const;

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
  const { values } = parseCli(PACK, Deno.args);
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
  await Deno.writeTextFile(`${root}/run.sh`, GPU_BUNDLE_RUN_SH);
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
