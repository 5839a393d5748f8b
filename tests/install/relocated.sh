#!/usr/bin/env bash
# An installed tree moved elsewhere still reads JPEG, HEIC and TIFF (the codec modules found
# relative to the library, no build or install path compiled in).
#   relocated.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/common.sh" "$1" "$2"
install_prefix "$scratch/first"
mv "$scratch/first" "$scratch/moved"
bin="$scratch/moved/bin/quantize"
for file in $(find "$scratch/moved" -name '*.so*' -type f) "$bin"; do
  if grep -q -F -e "$build" -e "$scratch/first" "$file"; then fail "$file names $build"; fi
done
heif-enc -q 90 -o "$scratch/in.heic" "$source_dir/samples/kodim23.png" >/dev/null
corpus="$source_dir/tests/fuzz/corpus/fuzz_decode"
for input in "$corpus/rgb.jpg" "$scratch/in.heic" "$corpus/rgba.tif"; do
  name=$(basename "$input")
  "$bin" "$input" -k 4 -o "$scratch/$name.png" -q || fail "$name: exit $?"
  [ -s "$scratch/$name.png" ] || fail "$name: no output"
done
"$bin" "$source_dir/samples/kodim23.png" -k 4 -o "$scratch/out.tif" -q || fail "TIFF write: exit $?"
echo "moved install read JPEG, HEIC and TIFF"
