#!/usr/bin/env bash
# The default model's GPU run, ready for whenever a GPU is lent: one command, under 9 minutes of wall time.
#
#   tools/train_gpu.sh OUT_DIR [MINUTES]        (or: make train-gpu OUT=OUT_DIR)
#
# Warm-starts from the shipped default (studio/models/default.safetensors), renders the world cache on every CPU
# core, trains on the GPU (fused modconv, bf16 autocast, TF32; the trainer's "auto" plan for CUDA) for
# MINUTES (default 7.5) and writes to OUT_DIR, each file well under 16 MiB:
#   default.safetensors + default.json   the model in float16 with its card (ship it if it beats the default)
#   samples.png  loss_curves.png  metrics.jsonl  train.log
# Needs python3 with torch (CUDA), numpy, pillow, safetensors and tqdm; nothing is installed or downloaded.
# The run folder (RUN_DIR, default /tmp/gan-studio-gpu-run) resumes if the command is repeated.
set -euo pipefail
out=${1:?usage: tools/train_gpu.sh OUT_DIR [MINUTES]}
minutes=${2:-7.5}
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
run=${RUN_DIR:-/tmp/gan-studio-gpu-run}
mkdir -p "$out"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
# ALLOW_CPU=1 runs it on the CPU (to check the script, not to train)
[ "${ALLOW_CPU:-0}" = 1 ] || "$py" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'"
# batch 64: the small cpu64 networks leave a big GPU idle at 32; R1's gamma follows the batch (0.0002 res^2 / batch).
# --face-critic 1: the recipe that won the CPU A/B of 2026-12-07 (README, "A critic for faces")
"$py" -m studio.cli train --preset cpu64 --init default --data world --out "$run" --resume auto \
    --batch 64 --kimg 100000 --minutes "$minutes" --checkpoint-every 2000 --sample-every 1000 --face-critic 1 \
    2>&1 | tr '\r' '\n' | awk 'NR % 200 == 1 || !/^train: /' | tee "$out/train.log" || true
test -f "$run/model.safetensors" || { echo "the run wrote no model; see $out/train.log" >&2; exit 1; }
"$py" -m studio.cli convert "$run/model.safetensors" "$out/default.safetensors" --half
cp "$run/loss_curves.png" "$run/metrics.jsonl" "$out/"
cp "$(ls "$run"/samples/*.png | tail -n 1)" "$out/samples.png"
ls -l "$out"
