# bash completion for quantize: subcommands, then the options of the one being typed, read from
# its own --help so they never fall out of step with the command.
_quantize() {
    local cur="${COMP_WORDS[COMP_CWORD]}" sub=""
    if [[ ${COMP_CWORD} -gt 1 && ( "${COMP_WORDS[1]}" == batch || "${COMP_WORDS[1]}" == palette ) ]]; then
        sub="${COMP_WORDS[1]}"
    fi
    if [[ "$cur" == -* ]]; then
        local options
        options=$("${COMP_WORDS[0]}" $sub --help 2>/dev/null | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+')
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        return
    fi
    if [[ ${COMP_CWORD} -eq 1 ]]; then
        COMPREPLY=($(compgen -W "batch palette" -- "$cur"))
    fi
    COMPREPLY+=($(compgen -f -- "$cur"))
}
complete -o filenames -F _quantize quantize
