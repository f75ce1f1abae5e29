#!/bin/sh
# Encoder comparison for LineGraph2Road on the multi-domain road set (issue 10, item 3).
#
# Two runs side by side, one CPU thread each, the same data, crops and budget in steps
# (STEPS, default 2500: on a machine shared with other work a wall-clock budget would
# measure the neighbours, not the encoders; unloaded, a step of either takes about 0.65 s):
#   vit_tiny   - today's shipped SAM-style ViT, starting from its Massachusetts weights;
#   hiera_pico - SAM2 Hiera + FPN, the encoder started from the shipped Anchor-SAM
#                (road segmentation, multi-domain), heads from scratch.
# Targets as the shipped vit_tiny: 5 px road mask. Data: the multi-domain set at 1 m written once by write_domain_set_at_gsd (Vegas pan left
# out: partial labels), train split '*__train__*', selection split '*__select__*'.
# Rerunning resumes each run from OUT/last.pt. Output (git-ignored): out/train/lg2r_md/<variant>/.
# Stop them with: kill $(cat out/train/lg2r_md/*/pid)
cd "$(dirname "$0")/../.." || exit 1
ROOT=out/train/lg2r_md
DATA=$ROOT/data_1m
STEPS=${STEPS:-2500}
mkdir -p "$ROOT"
.venv/bin/python -c "from backend.train.datasets import write_domain_set_at_gsd as w; \
print(w('../shared/data/roads', '$DATA', 1.0))" || exit 1
start() {  # start VARIANT EXTRA_ARGS...
  variant=$1; shift
  run=$ROOT/$variant
  mkdir -p "$run"
  resume=""
  [ -f "$run/last.pt" ] && resume="--resume"
  OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/python \
    -m backend.train.linegraph2road train --data "$DATA" --out "$run" \
    --cache-dir "$ROOT/targets" --train-include '*__train__*' --val-include '*__select__*' \
    --variant "$variant" --road-width-px 5 --balance-domains --photometric --batch-size 4 --max-steps "$STEPS" \
    --warmup-steps 100 --val-every 1250 --checkpoint-every 200 \
    --log-every 20 --no-graph-metrics --threads 1 --seed 0 $resume "$@" >> "$run/train.log" 2>&1 &
  echo $! > "$run/pid"
  echo "$variant: PID $(cat "$run/pid"), log $run/train.log"
}
[ -n "$ONLY" ] && [ "$ONLY" != vit_tiny ] || start vit_tiny --init-encoder-from backend/models/weights/linegraph2road_vit_tiny_1m.pt \
  --lr 5e-4 --encoder-lr-scale 1.0
[ -n "$ONLY" ] && [ "$ONLY" != hiera_pico ] || start hiera_pico --init-encoder-from backend/models/weights/anchor_sam_pico_1m.pt \
  --lr 1e-3 --encoder-lr-scale 0.1
