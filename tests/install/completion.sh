#!/usr/bin/env bash
# The bash completion offers the subcommands and each one's options.
#   completion.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/common.sh" "$1" "$2"
source "$source_dir/completions/quantize.bash"
complete_words() {  # complete_words WORD...: COMPREPLY for the last word
    COMP_WORDS=("$build/quantize" "$@")
    COMP_CWORD=$#
    COMPREPLY=()
    _quantize
    echo "${COMPREPLY[*]}"
}
[[ " $(complete_words --col) " == *" --colors "* ]] || fail "--col does not give --colors"
[[ " $(complete_words batch --jo) " == *" --jobs "* ]] || fail "batch --jo does not give --jobs"
[[ " $(complete_words palette --for) " == *" --format "* ]] || fail "palette --for does not give --format"
[[ " $(complete_words ba) " == *" batch "* ]] || fail "ba does not give batch"
echo "completion ok"
