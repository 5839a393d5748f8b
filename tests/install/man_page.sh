#!/usr/bin/env bash
# quantize(1) names every option that `quantize --help`, `quantize batch --help` and
# `quantize palette --help` list.
#   man_page.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/common.sh" "$1" "$2"
page=$(sed -e 's/\\-/-/g' "$build/quantize.1")
count=0
for sub in "" batch palette; do
  for option in $("$build/quantize" $sub --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'); do
    grep -q -- "$option" <<<"$page" || fail "quantize.1 lacks $sub $option"
    count=$((count + 1))
  done
done
[ "$count" -gt 20 ] || fail "only $count options read from --help"
echo "quantize.1 lists all $count options"
