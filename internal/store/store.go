// Package store defines how drsorch persists protection groups, recovery
// plans and executions, and the errors every backend returns. Backends live
// in sibling packages (sqlitestore, dynamostore) and all pass the suite in
// storetest.
//
// Every record carries a Version. Create sets it to 1; an update or delete
// names the version it read and fails with ErrVersionConflict when the
// stored version differs; a successful update stores Version+1 and writes
// the new version back into the caller's value.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// Sentinel errors. Backends wrap them; callers test with errors.Is.
var (
	ErrNotFound        = errors.New("store: not found")
	ErrExists          = errors.New("store: already exists")
	ErrVersionConflict = errors.New("store: version conflict")
	ErrLeaseHeld       = errors.New("store: lease held by another owner")
	ErrLeaseLost       = errors.New("store: lease lost")
)

// Store is the persistence drsorch needs.
type Store interface {
	GroupStore
	PlanStore
	ExecutionStore
	Close() error
}

// ListOptions asks for one page of a list. Limit <= 0 means the backend's
// default (50); backends cap Limit at 1000. NextToken is opaque and comes
// from a previous Page.
type ListOptions struct {
	Limit     int
	NextToken string
}

// Page is one page of a list, ordered by name for groups and plans and by
// creation time, newest first, for executions. NextToken is empty on the
// last page.
type Page[T any] struct {
	Items     []T
	NextToken string
}

// GroupStore stores protection groups. Names are unique (ErrExists).
type GroupStore interface {
	CreateGroup(ctx context.Context, g *plan.ProtectionGroup) error
	GetGroup(ctx context.Context, id string) (*plan.ProtectionGroup, error)
	GetGroupByName(ctx context.Context, name string) (*plan.ProtectionGroup, error)
	ListGroups(ctx context.Context, opts ListOptions) (Page[plan.ProtectionGroup], error)
	UpdateGroup(ctx context.Context, g *plan.ProtectionGroup) error
	DeleteGroup(ctx context.Context, id string, version int64) error
}

// PlanStore stores recovery plans. Names are unique (ErrExists).
type PlanStore interface {
	CreatePlan(ctx context.Context, p *plan.RecoveryPlan) error
	GetPlan(ctx context.Context, id string) (*plan.RecoveryPlan, error)
	GetPlanByName(ctx context.Context, name string) (*plan.RecoveryPlan, error)
	ListPlans(ctx context.Context, opts ListOptions) (Page[plan.RecoveryPlan], error)
	UpdatePlan(ctx context.Context, p *plan.RecoveryPlan) error
	DeletePlan(ctx context.Context, id string, version int64) error
}

// ExecutionFilter narrows ListExecutions. Empty fields match everything.
type ExecutionFilter struct {
	PlanID   string
	Statuses []string
	// Actionable keeps only executions the engine has work on: those
	// whose status is not final (plan.Active) and those with any request
	// pending in Requests.
	Actionable bool
}

// ExecutionStore stores executions as one header, one record per wave, one
// per launch and one per batch, plus an append-only event list.
type ExecutionStore interface {
	// CreateExecution writes the header, its waves and launches and the
	// given events atomically; every record gets Version 1. It fails with
	// ErrExists, writing nothing, when another execution of the same plan
	// is still active (plan.Active of its status), so that two concurrent
	// starts of one plan cannot both succeed.
	CreateExecution(ctx context.Context, e *plan.Execution, waves []plan.WaveRun, launches []plan.Launch, events []plan.Event) error
	GetExecution(ctx context.Context, id string) (*plan.Execution, error)
	ListExecutions(ctx context.Context, f ExecutionFilter, opts ListOptions) (Page[plan.Execution], error)
	ListWaves(ctx context.Context, executionID string) ([]plan.WaveRun, error)
	ListLaunches(ctx context.Context, executionID string) ([]plan.Launch, error)
	ListBatches(ctx context.Context, executionID string) ([]plan.Batch, error)

	// ListEvents returns up to limit events with Seq > afterSeq, oldest
	// first.
	ListEvents(ctx context.Context, executionID string, afterSeq int64, limit int) ([]plan.Event, error)

	// Commit applies a set of changes to one execution atomically: all of
	// them or none. Records in Change carry the version they were read at
	// (0 for a new batch); each is written with Version+1 and the new
	// version is set on the caller's value. When Owner is not empty the
	// header's lease must be held by Owner and unexpired at Now, or
	// Commit fails with ErrLeaseLost and writes nothing. Events get their
	// Seq assigned in order.
	Commit(ctx context.Context, c *Change) error

	// Claim takes the lease of an execution for owner until expiry when it
	// is free, expired at now, or already owner's; otherwise ErrLeaseHeld.
	// It changes only the lease fields and does not bump Version.
	Claim(ctx context.Context, executionID, owner string, now, expiry time.Time) error
	// Release gives the lease up if owner holds it.
	Release(ctx context.Context, executionID, owner string) error
}

// Change is one atomic write to an execution. Execution may be nil when the
// header does not change (its lease is still checked when Owner is set).
type Change struct {
	ExecutionID string
	Owner       string
	Now         time.Time
	Execution   *plan.Execution
	Waves       []*plan.WaveRun
	Launches    []*plan.Launch
	Batches     []*plan.Batch
	Events      []*plan.Event
}
