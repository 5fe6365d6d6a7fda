/**
 * The run script of the offline GPU-server bundle (`deno task pack-gpu`): it runs a
 * deno task with the bundled Deno and Vulkan loader, on the Vulkan backend, after
 * checking that a Vulkan adapter exists (a server cannot be given lavapipe the way a
 * CPU machine is: it needs its GPU driver's Vulkan ICD, so set-up only says so).
 */
export const GPU_BUNDLE_RUN_SH = `#!/usr/bin/env bash
# Runs a deno task offline with the bundled Deno and Vulkan loader: ./run.sh bench [flags]
set -euo pipefail
cd "$(dirname "$0")"
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  mkdir -p .vulkan
  for f in debs/*.deb; do
    if [ -e "$f" ]; then dpkg -x "$f" .vulkan; fi
  done
  export LD_LIBRARY_PATH="$PWD/.vulkan/usr/lib/x86_64-linux-gnu:\${LD_LIBRARY_PATH:-}"
fi
# NVIDIA containers often keep the ICD outside the loader's default search path.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "\${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
# Vulkan, never wgpu's OpenGL fallback (far slower), unless the caller chose otherwise.
export DENO_WEBGPU_BACKEND="\${DENO_WEBGPU_BACKEND:-vulkan}"
export XDG_RUNTIME_DIR="\${XDG_RUNTIME_DIR:-/tmp}" DENO_NO_UPDATE_CHECK=1
task="\${1:-bench}"; shift || true
# Names the adapter, or says in one line what to install and stops.
./bin/deno run -A scripts/setup.ts --no-install
exec ./bin/deno task "$task" "$@"
`;
