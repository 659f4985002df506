package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/drsorch/drsorch/internal/engine"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// limit is the emulated time after which a run is declared stuck: a
// broken benchmark, not a slow one.
const limit = 48 * time.Hour

// countingStore counts the commits and the records written through it.
type countingStore struct {
	store.Store
	commits, records int
}

func (s *countingStore) Commit(ctx context.Context, c *store.Change) error {
	err := s.Store.Commit(ctx, c)
	if err == nil {
		s.commits++
		s.records += len(c.Waves) + len(c.Launches) + len(c.Batches)
	}
	return err
}

// engineRun is a finished run of the engine on a world.
type engineRun struct {
	store    store.Store
	ids      []string // execution IDs, one per plan
	rounds   int
	commits  int
	records  int
	wall     time.Duration
	roundErr []error
}

// runEngine writes one execution per plan and runs engine rounds, PollMin
// of emulated time apart as the engine's own loop does, until none has
// work left. The store stays open for the caller to read (and close).
func runEngine(ctx context.Context, w *world, plans []benchPlan, change func(*engine.Options)) (*engineRun, error) {
	st, err := sqlitestore.Open(ctx, ":memory:")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	cs := &countingStore{Store: st}
	out := &engineRun{store: st}
	for _, p := range plans {
		id, err := createExecution(ctx, st, p, w.os, w.clock.Now())
		if err != nil {
			st.Close()
			return nil, err
		}
		out.ids = append(out.ids, id)
	}
	opts := engine.Options{
		Store: cs, DRS: engine.FromClients(w.clients), Owner: "bench",
		Clock: w.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if change != nil {
		change(&opts)
	}
	poll := opts.PollMin
	if poll <= 0 {
		poll = 5 * time.Second
	}
	e := engine.New(opts)

	start, t0 := time.Now(), w.clock.Now()
	for {
		out.rounds++
		if err := e.Reconcile(ctx); err != nil {
			out.roundErr = append(out.roundErr, err)
		}
		page, err := st.ListExecutions(ctx, store.ExecutionFilter{Actionable: true}, store.ListOptions{Limit: 1})
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("list executions: %w", err)
		}
		if len(page.Items) == 0 {
			break
		}
		if w.clock.Now().Sub(t0) > limit {
			st.Close()
			return nil, fmt.Errorf("engine: executions not ended after %s emulated", limit)
		}
		if err := ctx.Err(); err != nil {
			st.Close()
			return nil, err
		}
		w.clock.Add(poll)
	}
	out.wall = time.Since(start)
	out.commits, out.records = cs.commits, cs.records
	return out, nil
}

// createExecution writes an execution of p the way the execution service
// does (see the engine's package documentation): header, waves and
// launches PENDING (with their server's OS), one protection group per
// wave.
func createExecution(ctx context.Context, st store.Store, p benchPlan, os map[string]string, now time.Time) (string, error) {
	ex := &plan.Execution{
		ID:        plan.NewID(plan.PrefixExecution),
		PlanID:    plan.NewID(plan.PrefixPlan),
		PlanName:  p.Name,
		Mode:      plan.ModeDrill,
		Status:    plan.ExecPending,
		CreatedAt: now,
		Cleanup:   plan.CleanupNotStarted,
	}
	var waves []plan.WaveRun
	var launches []plan.Launch
	for i, w := range p.Waves {
		g := plan.ProtectionGroup{
			ID: "pg-" + p.Name + "-" + w.Name, Name: p.Name + "-" + w.Name,
			AccountID: benchAccount, Region: benchRegion,
			SourceServerIDs: append([]string(nil), w.Servers...),
		}
		deps := append([]string{}, w.DependsOn...)
		ex.Plan.Waves = append(ex.Plan.Waves, plan.Wave{Name: w.Name, DependsOn: deps, ProtectionGroupIDs: []string{g.ID}})
		ex.Groups = append(ex.Groups, g)
		waves = append(waves, plan.WaveRun{ExecutionID: ex.ID, Index: i, Name: w.Name, Status: plan.WavePending})
		for _, id := range w.Servers {
			launches = append(launches, plan.Launch{
				ExecutionID: ex.ID, Wave: w.Name, GroupID: g.ID, SourceServerID: id,
				AccountID: benchAccount, Region: benchRegion, OS: os[id], Status: plan.LaunchPending,
			})
		}
	}
	ex.Plan.ID, ex.Plan.Name = ex.PlanID, ex.PlanName
	if err := st.CreateExecution(ctx, ex, waves, launches, nil); err != nil {
		return "", fmt.Errorf("create execution: %w", err)
	}
	return ex.ID, nil
}
