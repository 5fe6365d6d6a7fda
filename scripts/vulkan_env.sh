# Sourced, from the root of the GPU bundle or a checkout, by the bundle's run.sh and by
# scripts/gpu_check.sh: `source scripts/vulkan_env.sh DEB...`. Unpacks the Vulkan loader
# from the given Debian .deb files when the system has none, points the loader at
# NVIDIA's ICD where containers keep it, and asks Deno for the Vulkan backend (never
# wgpu's far slower OpenGL fallback) unless the caller chose one.
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  for f in "$@"; do
    if [ -e "$f" ]; then dpkg -x "$f" .vulkan; fi
  done
  export LD_LIBRARY_PATH="$PWD/.vulkan/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
# NVIDIA containers often keep the ICD outside the loader's default search path.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ]; then
  export VK_DRIVER_FILES="$icd"
fi
export DENO_WEBGPU_BACKEND="${DENO_WEBGPU_BACKEND:-vulkan}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" DENO_NO_UPDATE_CHECK=1
