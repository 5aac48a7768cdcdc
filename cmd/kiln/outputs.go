package main

import (
	"fmt"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/internal/ghactions"
)

// stepOutput is a step output of the action's commands and the value it
// holds when the command sets no other: the value of a command that
// failed before it knew better (a usage mistake, kiln.yaml unreadable, a
// guard or a gate refusing, an interrupt, a crash).
type stepOutput struct{ name, unset string }

// actionOutputs are the step outputs each of the action's commands sets
// on every exit (docs/github-actions.md, Outputs), in the order written.
// A workflow's `if: steps.kiln.outputs.changed == 'false'` must not meet
// an output the run left unset.
var actionOutputs = func() map[string][]stepOutput {
	common := []stepOutput{{"changed", "false"}, {"out-dir", ""}}
	m := map[string][]stepOutput{
		"promote": {{"changed", "false"}, {"pr-url", ""}, {"pr-number", ""}, {"out-dir", ""}},
	}
	for _, c := range []string{"render", "validate", "graph", "diff", "verify"} {
		m[c] = common
	}
	return m
}()

// stepOutputs holds one run's step outputs until runApp writes them all,
// once the command has returned on whatever path.
type stepOutputs struct {
	lookup  env
	mu      sync.Mutex
	command string // the action's command that runs; "" for any other
	values  map[string]string
}

const outputsKey = "kiln.outputs"

func outputsOf(app *cli.App) *stepOutputs {
	return app.Metadata[outputsKey].(*stepOutputs)
}

// setOutput records the step output name of the running command.
func setOutput(c *cli.Context, name, value string) {
	o := outputsOf(c.App)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.values[name] = value
}

// run records that the command named name runs; only the action's
// commands have outputs (kiln version in the same step must not reset
// the changed that kiln promote set).
func (o *stepOutputs) run(name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := actionOutputs[name]; ok {
		o.command = name
	}
}

// write appends the command's outputs to $GITHUB_OUTPUT inside GitHub
// Actions, masked with the run's secrets; outside it does nothing.
func (o *stepOutputs) write(s *sinks) error {
	gh := ghactions.FromEnv(o.lookup, s.rawStderr).WithSecrets(s.secrets)
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, out := range actionOutputs[o.command] {
		v, ok := o.values[out.name]
		if !ok {
			v = out.unset
		}
		if err := gh.SetOutput(out.name, v); err != nil {
			return fmt.Errorf("setting the step output %s: %w", out.name, err)
		}
	}
	return nil
}
