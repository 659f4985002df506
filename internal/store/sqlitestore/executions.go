package sqlitestore

import (
	"context"
	"errors"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// TODO: executions are being written; these stubs keep the package usable
// for groups and plans meanwhile.
var errTODO = errors.New("sqlitestore: executions not implemented yet")

func (s *Store) CreateExecution(ctx context.Context, e *plan.Execution, waves []plan.WaveRun, launches []plan.Launch, events []plan.Event) error {
	return errTODO
}
func (s *Store) GetExecution(ctx context.Context, id string) (*plan.Execution, error) {
	return nil, errTODO
}
func (s *Store) ListExecutions(ctx context.Context, f store.ExecutionFilter, opts store.ListOptions) (store.Page[plan.Execution], error) {
	return store.Page[plan.Execution]{}, errTODO
}
func (s *Store) ListWaves(ctx context.Context, executionID string) ([]plan.WaveRun, error) {
	return nil, errTODO
}
func (s *Store) ListLaunches(ctx context.Context, executionID string) ([]plan.Launch, error) {
	return nil, errTODO
}
func (s *Store) ListBatches(ctx context.Context, executionID string) ([]plan.Batch, error) {
	return nil, errTODO
}
func (s *Store) ListEvents(ctx context.Context, executionID string, afterSeq int64, limit int) ([]plan.Event, error) {
	return nil, errTODO
}
func (s *Store) Commit(ctx context.Context, c *store.Change) error { return errTODO }
func (s *Store) Claim(ctx context.Context, executionID, owner string, now, expiry time.Time) error {
	return errTODO
}
func (s *Store) Release(ctx context.Context, executionID, owner string) error { return errTODO }
