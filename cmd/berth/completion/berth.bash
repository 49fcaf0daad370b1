# bash completion for berth: eval "$(berth completion bash)"
# The candidates come from `berth __complete -- WORD...`.

_berth() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    read -r -a words <<< "$line"
    if [[ -z $line || $line == *[[:space:]] ]]; then
        words+=("")
    fi
    local cur=${words[${#words[@]}-1]}
    # berth gets the word as the command will: without the backslashes
    # that escape its characters.
    words[${#words[@]}-1]=${cur//\\/}

    local IFS=$'\n'
    local -a out
    out=($(berth __complete -- "${words[@]:1}" 2>/dev/null))
    COMPREPLY=()
    # None: complete -o default completes file names.
    (( ${#out[@]} )) || return 0

    # Bash replaces only the part of the word after its last unescaped
    # word-break character (COMP_WORDBREAKS has = and :), so the
    # candidates lose what comes before it.
    local prefix="" i
    for (( i = ${#cur} - 1; i >= 0; i-- )); do
        if [[ $COMP_WORDBREAKS == *"${cur:i:1}"* && ( $i -eq 0 || ${cur:i-1:1} != '\' ) ]]; then
            prefix=${cur:0:i+1}
            break
        fi
    done
    local c
    for c in "${out[@]}"; do
        # Quoted for the shell: an address may hold [ and ".
        [[ $c == *[^-A-Za-z0-9_./=:,@%+]* ]] && printf -v c '%q' "$c"
        COMPREPLY+=("${c#"$prefix"}")
    done
    # A flag that takes a value: the value follows without a space.
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}

complete -o default -F _berth berth
