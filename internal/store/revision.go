package store

import "context"

// RevisionReader is an optional capability: a backend that can read an
// execution's Revision without decoding its header (which holds the frozen
// plan and groups) implements it, and readers that only need to know
// whether an execution changed, such as a cache of encoded views, use it
// when present. It returns ErrNotFound for an unknown execution.
type RevisionReader interface {
	ExecutionRevision(ctx context.Context, id string) (int64, error)
}
