package storetest

import (
	"testing"

	"github.com/drsorch/drsorch/internal/store"
)

func testExecutions(t *testing.T, newStore func(*testing.T) store.Store) {
	// TODO: the execution suite is being written.
}
