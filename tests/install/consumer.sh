#!/usr/bin/env bash
# A program built against an installed prefix, through find_package(quantize) (libquantize.so,
# or libquantize.a with cmake-static) and through pkg-config, runs and quantizes an image.
#   consumer.sh BUILD_DIR SOURCE_DIR cmake|cmake-static|pkg-config
source "$(dirname "$0")/common.sh" "$1" "$2"
how="$3"
install_prefix "$scratch/prefix"
libdir=$(find "$scratch/prefix" -name 'libquantize.so' -printf '%h\n' | head -1)
case "$how" in
  cmake)
    cmake -S "$source_dir/tests/consumer" -B "$scratch/consumer" -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
    cmake --build "$scratch/consumer" >/dev/null
    program="$scratch/consumer/consumer" ;;
  cmake-static)
    cmake -S "$source_dir/tests/consumer" -B "$scratch/consumer" -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCONSUMER_STATIC=ON >/dev/null
    cmake --build "$scratch/consumer" >/dev/null
    program="$scratch/consumer/consumer"
    ldd "$program" >"$scratch/ldd.txt"
    ! grep -q libquantize "$scratch/ldd.txt" || fail "the static consumer loads libquantize.so" ;;
  pkg-config)
    export PKG_CONFIG_PATH="$libdir/pkgconfig"
    g++ "$source_dir/tests/consumer/main.cpp" -o "$scratch/consumer" \
        $(pkg-config --cflags --libs quantize) -Wl,-rpath,"$libdir"
    program="$scratch/consumer" ;;
  *) fail "unknown way: $how" ;;
esac
out=$("$program" "$source_dir/samples/kodim23.png")
[ "$out" = "quantize $QUANTIZE_VERSION: 4 colors" ] || fail "consumer printed '$out'"
echo "$how consumer: $out"
