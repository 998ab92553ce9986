#!/usr/bin/env bash
# One-command GPU check for a leased CUDA machine (H100/H200): everything GPU-only that has landed.
#   bash scripts/gpu_check.sh [tests|eval|bench|diag|all]   # default all; results under ${OUT:-/tmp/kgepa-gpu}
# diag: scripts/gpu_diagnose.py - proxy variables, package versions, the requests the mock model received,
# each kernel the search stored with its status and error, and the same kernels through eval (same cache).
# Uses the machine's python3 (which has torch with CUDA); the repo is put on PYTHONPATH. On an offline
# machine, wheels of what it lacks (litellm, bm25s, PyStemmer...) placed in .whl/ are installed to a
# private target first. Prints device facts, runs the GPU-marked tests, evaluates the CUDA examples (native
# route and official load_inline) at GPU sizes against the eager PyTorch baseline, and runs the
# compile-latency benchmark; with ray / a Docker engine present, also the Ray executor on the GPU and
# GPU passthrough into the Docker sandbox. Copy the numbers into benchmarks/RESULTS.md with device and date.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export LITELLM_LOCAL_MODEL_COST_MAP="${LITELLM_LOCAL_MODEL_COST_MAP:-True}"  # offline: no price-map download
OUT="${OUT:-/tmp/kgepa-gpu}"
phase="${1:-all}"
mkdir -p "$OUT"
py=python3
if compgen -G ".whl/*.whl" >/dev/null; then
  $py -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/kgepa-site .whl/*.whl \
    && export PYTHONPATH="$PYTHONPATH:/tmp/kgepa-site"
fi
want() { [ "$phase" = all ] || [ "$phase" = "$1" ]; }
$py - <<'PY' | tee "$OUT/device.txt"
import torch, subprocess, shutil
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("device", p.name, "SMs", p.multi_processor_count, "mem GiB", round(p.total_memory / 2**30, 1))
for tool in ("nvcc", "ncu"):
    print(tool, shutil.which(tool) or "missing")
for mod in ("rich", "pytest", "pytest_benchmark", "litellm", "bm25s", "Stemmer", "triton", "cupy", "ray", "docker"):
    try:
        __import__(mod); print(mod, "ok")
    except Exception as e:
        print(mod, "MISSING", type(e).__name__)
PY
status=0
if want tests; then
$py -m pytest tests -m gpu -q -rs -p no:cacheprovider 2>&1 | tee "$OUT/gpu_tests.log" || status=1
fi
if want eval; then
for sub in cuda cuda_load_inline; do
  $py -m kernelgepa.cli eval --backend cuda --profile gpu --ncu-profile --solutions "kernelbench_tasks/examples/$sub" \
      --json "$OUT/eval_${sub}.json" 2>&1 | tee "$OUT/eval_${sub}.log" || status=1
done
for backend in triton cupy; do  # cupy needs the gpu extra: pip install -e '.[gpu]'
  $py -m kernelgepa.cli eval --backend $backend --profile gpu --json "$OUT/eval_${backend}.json" 2>&1 \
      | tee "$OUT/eval_${backend}.log" || status=1
done
# scale-out paths that only a GPU exercises: one-GPU Ray workers, GPU passthrough into Docker containers
if $py -c "import ray" 2>/dev/null; then
  $py -m kernelgepa.cli eval --backend cuda --profile gpu --executor ray --solutions kernelbench_tasks/examples/cuda \
      --json "$OUT/eval_cuda_ray.json" 2>&1 | tee "$OUT/eval_cuda_ray.log" || status=1
fi
if $py -c "import docker; docker.from_env().ping()" 2>/dev/null; then
  $py -m kernelgepa.cli sandbox build-image 2>&1 | tee "$OUT/docker_image.log"
  $py -m kernelgepa.cli eval --backend cuda --profile gpu --sandbox docker --solutions kernelbench_tasks/examples/cuda \
      --json "$OUT/eval_cuda_docker.json" 2>&1 | tee "$OUT/eval_cuda_docker.log" || status=1
fi
fi
if want diag; then
$py scripts/gpu_diagnose.py --backend cuda --out "$OUT/diagnose" 2>&1 | tee "$OUT/diagnose.log" || status=1
fi
if want bench; then
$py -m pytest benchmarks/test_gpu_timing.py benchmarks/test_compile_latency.py -q -s -p no:cacheprovider 2>&1 \
    | tee "$OUT/bench_gpu.log" || status=1
fi
echo "gpu_check finished with status $status; outputs in $OUT"
exit $status
