# Shared by the install tests: the build folder, the source folder and a fresh scratch folder
# removed on exit.  Usage in a test: source common.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
source_dir="$2"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/quantize-install-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
# The modules must be found from the installed tree alone.
unset QUANTIZE_CODECS_MODULE QUANTIZE_HEIF_MODULE QUANTIZE_JXL_MODULE
fail() { echo "FAIL: $*" >&2; exit 1; }
install_prefix() {  # install_prefix DIR: cmake --install into DIR, quietly
    cmake --install "$build" --prefix "$1" >/dev/null
}
