#!/usr/bin/env bash
# Train every architecture with several settings in parallel (on a GPU machine), to choose the shipped ones.
set -u
OUTDIR=${OUT:-/tmp/out}/sweep
mkdir -p "$OUTDIR"
for arch in mlp cnn cnn16_32 lenet5 simple_cnn inception resnet densenet; do
  for ep in 15 30; do
    for aug in aug noaug; do
      flag=""; [ $aug = aug ] && flag="--augment"
      ( python3 -m cnnviz.train --arch $arch --epochs $ep $flag --quiet --out "$OUTDIR/$arch-$ep-$aug" \
          > "$OUTDIR/$arch-$ep-$aug.log" 2>&1 ) &
    done
  done
done
wait
grep -h "test accuracy" "$OUTDIR"/*.log | sort
