// Package warm pins modules that helpers are about to use, so that go mod
// tidy keeps them while the code that imports them is being written.
// Removed once every import below has a real user.
package warm

import (
	_ "github.com/fluxcd/helm-controller/api/v2"
	_ "github.com/fluxcd/notification-controller/api/v1beta3"
	_ "github.com/fluxcd/source-controller/api/v1"
	_ "github.com/google/go-github/v60/github"
)
