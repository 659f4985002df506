// Package store defines how drsorch persists protection groups, recovery
// plans and executions, and the errors every backend returns. Optional
// capabilities, which callers find by type assertion, add notification
// deliveries (DeliveryStore), tokens, sessions and the audit trail
// (AuthStore, AuditStore), applied launch settings (SettingsStore) and
// cheap revision reads (RevisionReader). Backends live
// in sibling packages (sqlitestore, dynamostore) and all pass the suite in
// storetest.
//
// Every record carries a Version. Create sets it to 1; an update or delete
// names the version it read and fails with ErrVersionConflict when the
// stored version differs; a successful update stores Version+1 and writes
// the new version back into the caller's value. A write that fails leaves
// the caller's values unchanged.
//
// Create assigns an ID (plan.NewID with the kind's prefix) when the caller
// left it empty. For groups and plans, Create sets CreatedAt and UpdatedAt
// to the current time when CreatedAt is zero; Update keeps the stored
// CreatedAt and sets UpdatedAt to the current time, and writes both back.
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
	// ErrInvalidToken is returned by the List methods for a NextToken that
	// no previous Page of that list produced.
	ErrInvalidToken = errors.New("store: invalid page token")
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
// creation time, newest first, for executions (ties broken by ID,
// descending). NextToken is empty on the last page.
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
//
// Within an execution a wave is identified by its Index, a launch by its
// Wave and SourceServerID, and a batch by its ID. Records whose
// ExecutionID is empty take the execution's; a different one is an error.
// The List methods of an execution's records return ErrNotFound for an
// execution that does not exist.
type ExecutionStore interface {
	// CreateExecution writes the header, its waves and launches and the
	// given events atomically; every record gets Version 1. It fails with
	// ErrExists, writing nothing, when another execution of the same plan
	// is still active (plan.Active of its status), so that two concurrent
	// starts of one plan cannot both succeed. An existing ID is ErrExists
	// too. The header's CreatedAt is set to the current time when zero,
	// and every launch's Wave must name one of waves.
	CreateExecution(ctx context.Context, e *plan.Execution, waves []plan.WaveRun, launches []plan.Launch, events []plan.Event) error
	GetExecution(ctx context.Context, id string) (*plan.Execution, error)
	ListExecutions(ctx context.Context, f ExecutionFilter, opts ListOptions) (Page[plan.Execution], error)
	// ListWaves returns the waves ordered by Index.
	ListWaves(ctx context.Context, executionID string) ([]plan.WaveRun, error)
	// ListLaunches returns the launches ordered by their wave's Index,
	// then by SourceServerID.
	ListLaunches(ctx context.Context, executionID string) ([]plan.Launch, error)
	// ListBatches returns the batches ordered by RequestTime, then ID.
	ListBatches(ctx context.Context, executionID string) ([]plan.Batch, error)

	// ListEvents returns up to limit events with Seq > afterSeq, oldest
	// first; limit <= 0 means all of them. Seq starts at 1 and increases
	// by one per event of an execution.
	ListEvents(ctx context.Context, executionID string, afterSeq int64, limit int) ([]plan.Event, error)

	// Commit applies a set of changes to one execution atomically: all of
	// them or none. Records in Change carry the version they were read at
	// (0 for a new batch); each is written with Version+1 and the new
	// version is set on the caller's value. When Owner is not empty the
	// header's lease must be held by Owner and unexpired at Now, or
	// Commit fails with ErrLeaseLost and writes nothing; a zero Now means
	// the store's current time. Events get their Seq assigned in order.
	// Commit never changes the lease fields. A wave or launch that does
	// not exist is ErrNotFound; a new batch whose ID exists is
	// ErrVersionConflict; a header change that would make a second
	// execution of the plan active is ErrExists.
	Commit(ctx context.Context, c *Change) error

	// Claim takes the lease of an execution for owner until expiry when it
	// is free, expired at now, or already owner's; otherwise ErrLeaseHeld.
	// It changes only the lease fields and does not bump Version.
	Claim(ctx context.Context, executionID, owner string, now, expiry time.Time) error
	// Release gives the lease up if owner holds it, and does nothing
	// otherwise. Both fail with ErrNotFound for an unknown execution.
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
