//go:build tools

// Package engine pins the Pulumi CLI module so `go build` can produce the engine from the
// Go module proxy at exactly the version in go.mod (see build-engine.sh).
package engine

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
