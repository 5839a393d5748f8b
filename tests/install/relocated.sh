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
if [ "${QUANTIZE_PYTHON:-OFF}" = ON ]; then
  # The Python module, from where a python3 of the moved prefix looks, reads a JPEG too.
  python_dir=$(echo "$scratch"/moved/lib/python3*/dist-packages)
  [ -f "$python_dir"/quantize.pyi ] || fail "no quantize.pyi in $python_dir"
  PYTHONPATH="$python_dir" /usr/bin/python3 -c "
import quantize, sys
assert quantize.__file__.startswith('$scratch/moved'), quantize.__file__
image = quantize.read(sys.argv[1])
assert quantize.quantize(image, k=4).palette.shape[0] <= 4
" "$corpus/rgb.jpg" || fail "the moved Python module failed"
fi
echo "moved install read JPEG, HEIC and TIFF"
