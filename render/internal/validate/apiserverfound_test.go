package validate

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestAPIServerFindings holds the objects on which kiln's verdict and a
// real kube-apiserver 1.37's (server-side apply, dry run, as Flux
// applies) disagreed when they were first compared
// (internal/apiservercheck, docs/validation.md), each with the API
// server's verdict: want is a part of kiln's error, "" for none.
func TestAPIServerFindings(t *testing.T) {
	t.Parallel()
	const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo, namespace: apps}
spec:
  selector: {matchLabels: {app: podinfo}}
  template:
    metadata: {labels: {app: podinfo}}
    spec:
      containers: [{name: podinfod, image: ghcr.io/stefanprodan/podinfo:6.9.0}]
`
	tests := []struct {
		name, doc, want string
	}{
		// The API server: "spec.template.spec.ephemeralContainers:
		// Forbidden: ephemeral containers not allowed in pod template".
		{"ephemeral container in a template", deploy + "      ephemeralContainers: [{name: debug, image: busybox}]\n",
			`a.yaml:10: app demo: Deployment/apps/podinfo: field "spec.template.spec.ephemeralContainers": Forbidden: ephemeral containers not allowed in pod template`},
		{"ephemeral container in a CronJob's template", `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: apps}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: busybox}]
          ephemeralContainers: [{name: debug, image: busybox}]
`, `field "spec.jobTemplate.spec.template.spec.ephemeralContainers": Forbidden: ephemeral containers not allowed in pod template`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := schemas().Env("1.37.0", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, err := range diag.Flatten(e.Objects("demo", parse(t, "a.yaml", tc.doc))) {
				got = append(got, err.Error())
			}
			all := strings.Join(got, "\n")
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("want no error, got:\n%s", all)
			case tc.want != "" && !strings.Contains(all, tc.want):
				t.Errorf("want an error with %q, got:\n%s", tc.want, all)
			}
		})
	}
}
