package execution

import (
	"context"
	"errors"
	"fmt"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// View is an execution as the API shows it: the header and its waves,
// each with its servers.
type View struct {
	plan.Execution
	Waves []WaveView `json:"waves"`
}

// WaveView is one wave of a View with its launches and how many of them
// launched, failed, or are still to finish.
type WaveView struct {
	plan.WaveRun
	Launched int           `json:"launched"`
	Failed   int           `json:"failed"`
	Pending  int           `json:"pending"`
	Skipped  int           `json:"skipped,omitempty"`
	Servers  []plan.Launch `json:"servers"`
}

// Get returns an execution with its waves and launches.
func (s *Service) Get(ctx context.Context, id string) (*View, error) {
	e, err := s.store.GetExecution(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("execution %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load execution %q: %w", id, err)
	}
	waves, err := s.store.ListWaves(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("list waves of %s: %w", id, err)
	}
	launches, err := s.store.ListLaunches(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("list launches of %s: %w", id, err)
	}
	return NewView(e, waves, launches), nil
}

// NewView assembles a View from stored records.
func NewView(e *plan.Execution, waves []plan.WaveRun, launches []plan.Launch) *View {
	v := &View{Execution: *e, Waves: make([]WaveView, len(waves))}
	at := map[string]int{}
	for i, w := range waves {
		v.Waves[i] = WaveView{WaveRun: w, Servers: []plan.Launch{}}
		at[w.Name] = i
	}
	for _, l := range launches {
		i, ok := at[l.Wave]
		if !ok {
			continue
		}
		w := &v.Waves[i]
		w.Servers = append(w.Servers, l)
		switch l.Status {
		case plan.LaunchLaunched, plan.LaunchTerminating, plan.LaunchTerminated:
			w.Launched++
		case plan.LaunchFailed:
			w.Failed++
		case plan.LaunchSkipped:
			w.Skipped++
		default:
			w.Pending++
		}
	}
	return v
}

// Filter narrows List.
type Filter struct {
	PlanID string
	Status string
}

// List returns one page of executions, newest first.
func (s *Service) List(ctx context.Context, f Filter, opts store.ListOptions) (store.Page[plan.Execution], error) {
	sf := store.ExecutionFilter{PlanID: f.PlanID}
	if f.Status != "" {
		sf.Statuses = []string{f.Status}
	}
	page, err := s.store.ListExecutions(ctx, sf, opts)
	if err != nil {
		return page, fmt.Errorf("list executions: %w", err)
	}
	if page.Items == nil {
		page.Items = []plan.Execution{}
	}
	return page, nil
}

// Events returns up to limit events of an execution after seq after,
// oldest first, and whether the execution is final.
func (s *Service) Events(ctx context.Context, id string, after int64, limit int) ([]plan.Event, bool, error) {
	e, err := s.store.GetExecution(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, notFound("execution %q not found", id)
	}
	if err != nil {
		return nil, false, fmt.Errorf("load execution %q: %w", id, err)
	}
	events, err := s.store.ListEvents(ctx, id, after, limit)
	if err != nil {
		return nil, false, fmt.Errorf("list events of %s: %w", id, err)
	}
	if events == nil {
		events = []plan.Event{}
	}
	return events, final(e), nil
}

// final reports whether an execution will change no more on its own: its
// status is final and no request or cleanup is pending.
func final(e *plan.Execution) bool {
	return !plan.Active(e.Status) && e.Requests == (plan.Requests{}) &&
		e.Cleanup != plan.CleanupRunning
}
