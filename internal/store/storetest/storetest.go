// Package storetest is the conformance suite of store.Store: every backend
// runs Run from its own tests and must pass all of it.
package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drsorch/drsorch/internal/store"
)

// Run runs the whole suite. newStore returns an empty store for one subtest
// and arranges its closing with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Groups", func(t *testing.T) { testNamed(t, newStore, groupOps) })
	t.Run("Plans", func(t *testing.T) { testNamed(t, newStore, planOps) })
	t.Run("Executions", func(t *testing.T) { testExecutions(t, newStore) })
	t.Run("Auth", func(t *testing.T) { testAuth(t, newStore) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, newStore) })
	t.Run("Settings", func(t *testing.T) { testSettings(t, newStore) })
}

// equate lets a backend return nil for an empty slice or map and times in
// another location than they were given in (cmp compares times with Equal).
var equate = cmpopts.EquateEmpty()

// diff is cmp.Diff with the suite's options.
func diff(want, got any) string {
	return cmp.Diff(want, got, equate)
}
