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
source scripts/vulkan_env.sh debs/*.deb
task="\${1:-bench}"; shift || true
# Names the adapter, or says in one line what to install and stops.
./bin/deno run -A scripts/setup.ts --no-install
exec ./bin/deno task "$task" "$@"
`;
