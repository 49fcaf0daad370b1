# fish completion for berth: berth completion fish | source, or save it as
# ~/.config/fish/completions/berth.fish. The candidates come from
# `berth __complete -- WORD...`.

function __berth_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cur (commandline -ct)
    set -l out (berth __complete -- $words "$cur" 2>/dev/null)
    if test (count $out) -eq 0
        __fish_complete_path "$cur"
        return
    end
    printf '%s\n' $out
end

complete -c berth -f -a '(__berth_complete)'
