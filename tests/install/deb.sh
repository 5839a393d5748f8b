#!/usr/bin/env bash
# cpack makes a .deb that holds the command, library, headers, CMake and pkg-config files, man
# page, completion and licence, depends on the libraries its binaries need, and runs unpacked.
#   deb.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/common.sh" "$1" "$2"
cpack --config "$build/CPackConfig.cmake" -B "$scratch/out" >/dev/null
deb=$(ls "$scratch"/out/*.deb)
listing=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/quantize ./usr/lib/libquantize.so ./usr/lib/libquantize.a \
            ./usr/lib/libquantize.so.$QUANTIZE_SOVERSION \
            ./usr/lib/quantize/libquantize-opencv-codecs.so ./usr/lib/quantize/libquantize-heif-codec.so \
            ./usr/lib/quantize/libquantize-jxl-codec.so ./usr/include/quantize/quantize.hpp \
            ./usr/include/quantize/version.hpp ./usr/lib/cmake/quantize/quantizeConfig.cmake \
            ./usr/lib/cmake/quantize/quantizeConfigVersion.cmake ./usr/lib/pkgconfig/quantize.pc \
            ./usr/share/man/man1/quantize.1 ./usr/share/bash-completion/completions/quantize \
            ./usr/share/doc/quantize/LICENSE; do
  grep -qxF "$path" <<<"$listing" || fail "$path not in $deb"
done
if [ "${QUANTIZE_PYTHON:-OFF}" = ON ]; then
  grep -qE '^\./usr/lib/python3/dist-packages/quantize\.cpython-.*\.so$' <<<"$listing" \
    || fail "no Python module in /usr/lib/python3/dist-packages"
  grep -qxF ./usr/lib/python3/dist-packages/quantize.pyi <<<"$listing" || fail "no quantize.pyi"
fi
depends=$(dpkg-deb -f "$deb" Depends)
for library in libtbb libopencv-core libopencv-imgcodecs libheif libjxl libspng libexiv2 libc6; do
  grep -q "$library" <<<"$depends" || fail "Depends lacks $library: $depends"
done
dpkg-deb -x "$deb" "$scratch/root"
"$scratch/root/usr/bin/quantize" "$source_dir/samples/kodim23.png" -k 4 -o "$scratch/out.png" -q \
  || fail "the unpacked command failed"
echo "$(basename "$deb"): $(wc -l <<<"$listing") entries; Depends: $depends"
