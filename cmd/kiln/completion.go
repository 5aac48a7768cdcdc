package main

import (
	"io"

	"github.com/urfave/cli/v2"
)

// The bash and zsh scripts ask kiln itself for the words that may follow,
// through urfave/cli's --generate-bash-completion flag (EnableBashCompletion),
// as urfave/cli's own autocomplete scripts do; fish gets urfave/cli's
// generated script. The scripts therefore never go stale as flags change.
const bashCompletion = `# bash completion for kiln. Load it with: source <(kiln completion bash)
_kiln_complete() {
	local cur words
	COMPREPLY=()
	cur="${COMP_WORDS[COMP_CWORD]}"
	if [[ "$cur" == "-"* ]]; then
		words=$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" --generate-bash-completion 2>/dev/null)
	else
		words=$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" --generate-bash-completion 2>/dev/null)
	fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o bashdefault -o default -F _kiln_complete kiln
`

const zshCompletion = `#compdef kiln
# zsh completion for kiln. Load it with: source <(kiln completion zsh)
_kiln() {
	local -a opts
	local cur="${words[-1]}"
	if [[ "$cur" == "-"* ]]; then
		opts=("${(@f)$(${words[@]:0:#words[@]-1} "$cur" --generate-bash-completion 2>/dev/null)}")
	else
		opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
	fi
	if [[ "${opts[1]}" != "" ]]; then
		_describe 'values' opts
	else
		_files
	fi
}
compdef _kiln kiln
`

func completionCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		UsageText: "kiln completion bash|zsh|fish   (for example: source <(kiln completion bash))",
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return usagef("give one shell: kiln completion bash|zsh|fish")
			}
			var script string
			switch sh := c.Args().First(); sh {
			case "bash":
				script = bashCompletion
			case "zsh":
				script = zshCompletion
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				script = s
			default:
				return usagef("unknown shell %q: kiln completion bash|zsh|fish", sh)
			}
			_, err := io.WriteString(stdout, script)
			return err
		},
	}
}
