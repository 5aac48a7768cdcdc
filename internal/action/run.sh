#!/usr/bin/env bash
# The kiln action's one step (action.yml): build kiln from this action's
# source once per job, turn the INPUT_* variables action.yml sets into
# kiln's flags, and run kiln. kiln itself writes the masks, annotations,
# job summary and step outputs (internal/ghactions).
#
# Environment:
#   INPUT_COMMAND  render | diff | validate | graph | promote | verify (required)
#   INPUT_ENV      env names separated by commas, blanks or newlines
#   INPUT_FROM, INPUT_TO   promote --from/--to
#   INPUT_IMAGES   a JSON file, or inline JSON when it starts with [ or {
#   INPUT_CONFIG   the pipeline file (kiln.yaml)
#   INPUT_ARGS     more arguments: split like a shell splits words, never expanded
#   KILN_TOKEN     the GitHub token; kiln reads it, it is never put on the command line
#   KILN_BIN       for tests only: run this kiln binary instead of building one
#
# Works with bash 3.2 (macOS runners) and later.
set -euo pipefail

fail() {
	# Escaped as the runner unescapes a command's data, %25 first. A
	# message may quote an input (env is newline-separated by design): a
	# raw CR or LF would end this command and start another.
	local msg="${1//\%/%25}" cr=$'\r' lf=$'\n'
	msg="${msg//$cr/%0D}"
	msg="${msg//$lf/%0A}"
	printf '::error title=kiln action::%s\n' "$msg" >&2
	exit 2
}

src="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"

command="${INPUT_COMMAND:-}"

# A failure of this script (an input it refuses, kiln's build) leaves the
# outputs kiln would have set on a failure (docs/github-actions.md): a
# workflow's `if: steps.kiln.outputs.changed == 'false'` must not meet an
# unset one. exec below replaces the shell, so this never runs once kiln
# does; kiln writes its own on every way out.
unset_outputs() {
	[[ -n "${GITHUB_OUTPUT:-}" ]] || return 0
	local names=(changed out-dir) n v
	[[ "$command" != promote ]] || names=(changed pr-url pr-number out-dir)
	for n in "${names[@]}"; do
		v=""
		[[ "$n" != changed ]] || v=false
		printf '%s<<ghadelimiter_kiln\n%s\nghadelimiter_kiln\n' "$n" "$v" >>"$GITHUB_OUTPUT"
	done
}
trap unset_outputs EXIT
case "$command" in
render | diff | validate | graph | promote | verify) ;;
"") fail "input command is required: render, diff, validate, graph, promote or verify" ;;
*) fail "input command is \"$command\"; use render, diff, validate, graph, promote or verify" ;;
esac

# --- kiln itself -----------------------------------------------------------
if [[ -n "${KILN_BIN:-}" ]]; then
	kiln="$KILN_BIN"
else
	# One binary per action checkout and ref: later steps of the job reuse
	# it, and setup-go's restored build cache makes the first build quick.
	key="$(printf '%s\n%s\n' "$src" "${GITHUB_ACTION_REF:-}" | cksum | cut -d' ' -f1)"
	kiln="$tmp/kiln-action-$key/kiln"
	if [[ ! -x "$kiln" ]]; then
		echo "::group::Building kiln from $src"
		(
			cd "$src"
			# The action's own go.mod and go.sum, whatever the caller's
			# workspace or GOFLAGS say.
			CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly \
				go build -trimpath -tags urfave_cli_no_docs -ldflags "-s -w -X main.version=${GITHUB_ACTION_REF:-action}" -o "$kiln.partial" ./cmd/kiln
		)
		mv "$kiln.partial" "$kiln"
		echo "::endgroup::"
	fi
fi

# --- inputs to flags ---------------------------------------------------------
flags=()

envs=()
if [[ -n "${INPUT_ENV:-}" ]]; then
	read -r -a envs <<<"$(printf '%s' "$INPUT_ENV" | tr ',\n\r\t' '    ')"
fi

from="${INPUT_FROM:-}"
to="${INPUT_TO:-}"
if [[ -n "$from" || -n "$to" ]]; then
	[[ "$command" == promote ]] || fail "inputs from and to are for command promote, not $command"
	[[ -n "$from" && -n "$to" ]] || fail "give both inputs from and to"
	[[ ${#envs[@]} -eq 0 ]] || fail "give input env or inputs from and to, not both"
	flags+=(--from "$from" --to "$to")
fi
if [[ ( "$command" == promote || "$command" == verify ) && ${#envs[@]} -gt 1 ]]; then
	fail "$command takes one env, not \"${INPUT_ENV}\""
fi
for e in ${envs[@]+"${envs[@]}"}; do
	flags+=(--env "$e")
done

images="${INPUT_IMAGES:-}"
trimmed="${images#"${images%%[![:space:]]*}"}"
case "$trimmed" in
"") ;;
"["* | "{"*)
	# Inline JSON: kiln reads image lists from files, so write one.
	file="$(mktemp "$tmp/kiln-images.XXXXXX")"
	printf '%s\n' "$images" >"$file"
	flags+=(--images "$file")
	;;
*) flags+=(--images "$images") ;;
esac

if [[ -n "${INPUT_CONFIG:-}" ]]; then
	flags+=(--config "$INPUT_CONFIG")
fi

# Extra arguments: xargs splits on blanks and honours '…', "…" and \ the
# way a shell does, but runs no shell, so nothing is expanded.
extra=()
args="${INPUT_ARGS:-}"
if [[ -n "${args//[[:space:]]/}" ]]; then
	words="$(mktemp "$tmp/kiln-args.XXXXXX")"
	if ! printf '%s\n' "$args" | xargs printf '%s\0' >"$words"; then
		rm -f "$words"
		fail "input args has an unmatched quote"
	fi
	while IFS= read -r -d '' w; do
		extra+=("$w")
	done <"$words"
	rm -f "$words"
fi

# No trace of the command line here: kiln must be the first to print, so
# that its ::add-mask:: lines come before anything else (GitHub already
# logs the step's inputs). stderr goes into stdout: kiln stops the runner's
# workflow commands while it prints text a pull request controls and
# resumes them around its own, which only holds within one stream (see
# internal/ghactions, Guard).
# execfail: an exec that cannot start kiln (a noexec temp folder on a
# self-hosted runner, a broken download) returns here instead of ending
# the shell, which would skip the EXIT trap and leave no outputs. bash
# 5.2 ends the shell all the same under errexit, whatever follows exec.
shopt -s execfail
set +e
exec "$kiln" "$command" ${flags[@]+"${flags[@]}"} ${extra[@]+"${extra[@]}"} 2>&1
fail "could not start kiln ($kiln, exit $?): check that the runner may execute files in its temp folder"
