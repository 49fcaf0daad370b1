#compdef berth
# zsh completion for berth: source <(berth completion zsh), or save it as
# _berth in a directory of $fpath. The candidates come from
# `berth __complete -- WORD...`.

_berth() {
    local -a candidates
    candidates=("${(@f)$(berth __complete -- "${(@Q)words[2,CURRENT-1]}" "${(Q)PREFIX}" 2>/dev/null)}")
    candidates=(${candidates:#})
    if (( ! ${#candidates} )); then
        _files
        return
    fi
    # A flag that takes a value: the value follows without a space.
    local -a valued plain
    valued=(${(M)candidates:#*=})
    plain=(${candidates:#*=})
    (( ${#valued} )) && compadd -S '' -- "${valued[@]}"
    (( ${#plain} )) && compadd -- "${plain[@]}"
    return 0
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _berth "$@"
else
    compdef _berth berth
fi
