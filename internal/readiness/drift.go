package readiness

import (
	"context"
	"fmt"
	"sort"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// finishedDrill are the statuses of a drill that ran to an end; a
// cancelled one may have launched only part of the plan.
var finishedDrill = []string{plan.ExecCompleted, plan.ExecPartial, plan.ExecFailed}

// drift compares the servers a plan resolves to now (server -> group)
// with the launches frozen into its latest finished drill, as pairs of
// server and group; nil when it has no such drill.
func (c *check) drift(ctx context.Context, p plan.RecoveryPlan, now map[string]string) (*Drift, error) {
	last, err := lastDrill(ctx, c.opts.Store, p.ID)
	if err != nil || last == nil {
		return nil, err
	}
	launches, err := c.opts.Store.ListLaunches(ctx, last.ID)
	if err != nil {
		return nil, fmt.Errorf("list launches of %s: %w", last.ID, err)
	}
	d := &Drift{ExecutionID: last.ID, DrillTime: last.CreatedAt,
		Added: []DriftServer{}, Removed: []DriftServer{}}
	// A server that moved to another group moved to another wave, too:
	// it leaves one group and joins the other.
	then := map[string]string{}
	for _, l := range launches {
		then[l.SourceServerID] = l.GroupID
		if g, ok := now[l.SourceServerID]; !ok || g != l.GroupID {
			d.Removed = append(d.Removed, DriftServer{l.SourceServerID, l.GroupID})
		}
	}
	for id, g := range now {
		if was, ok := then[id]; !ok || was != g {
			d.Added = append(d.Added, DriftServer{id, g})
		}
	}
	sort.Slice(d.Added, func(i, j int) bool { return d.Added[i].SourceServerID < d.Added[j].SourceServerID })
	sort.Slice(d.Removed, func(i, j int) bool { return d.Removed[i].SourceServerID < d.Removed[j].SourceServerID })
	d.Changed = len(d.Added)+len(d.Removed) > 0
	return d, nil
}

// lastDrill returns the newest finished drill of a plan, or nil.
func lastDrill(ctx context.Context, st store.Store, planID string) (*plan.Execution, error) {
	opts := store.ListOptions{Limit: 100}
	for {
		page, err := st.ListExecutions(ctx, store.ExecutionFilter{PlanID: planID,
			Statuses: finishedDrill}, opts)
		if err != nil {
			return nil, fmt.Errorf("list executions of %s: %w", planID, err)
		}
		for _, e := range page.Items {
			if e.Mode == plan.ModeDrill {
				return &e, nil
			}
		}
		if page.NextToken == "" {
			return nil, nil
		}
		opts.NextToken = page.NextToken
	}
}

func allPlans(ctx context.Context, st store.Store) ([]plan.RecoveryPlan, error) {
	var out []plan.RecoveryPlan
	opts := store.ListOptions{Limit: 1000}
	for {
		page, err := st.ListPlans(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list plans: %w", err)
		}
		out = append(out, page.Items...)
		if page.NextToken == "" {
			return out, nil
		}
		opts.NextToken = page.NextToken
	}
}

func allGroups(ctx context.Context, st store.Store) ([]plan.ProtectionGroup, error) {
	var out []plan.ProtectionGroup
	opts := store.ListOptions{Limit: 1000}
	for {
		page, err := st.ListGroups(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		out = append(out, page.Items...)
		if page.NextToken == "" {
			return out, nil
		}
		opts.NextToken = page.NextToken
	}
}
