#!/usr/bin/env bash
# The GPU check, offline: scripts/gpu_check.sh OUTDIR [flags of deno task gpu-check]
# (./gpu-check.sh OUTDIR in the unpacked bundle). It finds Deno, the Vulkan loader, the
# npm packages and the dataset in the bundle (bin/, debs/, node_modules/, data/) or in
# a checkout's carried tools folder .tools/gpu (deno.xz, libvulkan1_*.deb,
# node_modules.tar.xz, fashion-mnist/; `deno task pack-gpu --tools .tools/gpu`), and
# unpacks what it must: nothing can be fetched on a lent GPU machine.
set -euo pipefail
if [ $# -lt 1 ] || [[ "$1" == -* ]]; then
  echo "usage: gpu_check.sh OUTDIR [flags of deno task gpu-check]" >&2
  exit 2
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
shift
cd "$(dirname "$(readlink -f "$0")")/.."
tools=.tools/gpu

# xz where there is one, else Python's lzma (CUDA images have Python, not always xz).
unxz_cat() {
  if command -v xz >/dev/null; then
    xz -dc "$1"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"
  fi
}

# Deno: the bundle's, else the carried one (unpacked outside the carried folder, so a
# later carry stays small), else the PATH's.
deno=bin/deno
if [ ! -x "$deno" ] && [ -f "$tools/deno.xz" ]; then
  deno="${TMPDIR:-/tmp}/autospace-gpu-check/deno"
  if [ ! -x "$deno" ] || [ "$tools/deno.xz" -nt "$deno" ]; then
    mkdir -p "$(dirname "$deno")"
    unxz_cat "$tools/deno.xz" >"$deno.tmp"
    chmod +x "$deno.tmp"
    mv "$deno.tmp" "$deno"
  fi
fi
if [ ! -x "$deno" ]; then deno="$(command -v deno || true)"; fi
if [ -z "$deno" ]; then
  echo "gpu-check: no Deno: not in bin/ (the bundle), $tools/deno.xz (deno task pack-gpu --tools $tools) or PATH" >&2
  exit 1
fi

# npm packages: the bundle's node_modules, else the carried archive.
if [ ! -d node_modules ] && [ -f "$tools/node_modules.tar.xz" ]; then
  unxz_cat "$tools/node_modules.tar.xz" | tar xf -
fi

source scripts/vulkan_env.sh debs/libvulkan1_*.deb "$tools"/libvulkan1_*.deb

# The bundle's or the carried slice of Fashion-MNIST, else evolve's default folder.
data=()
for d in data/fashion-mnist "$tools/fashion-mnist"; do
  if [ -f "$d/train-images-idx3-ubyte.gz" ]; then
    data=(--data "$d")
    break
  fi
done

exec "$deno" run --cached-only -A scripts/gpu_check.ts --out "$out" ${data[@]+"${data[@]}"} "$@"
