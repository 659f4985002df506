package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// DRS quotas the capacity panel compares usage with: the service's
// defaults, which the engine schedules against too.
const (
	quotaActiveJobs       = 20
	quotaServersInJobs    = 500
	quotaReplicatingCount = 300
)

// recentCount is how many finished executions the overview lists.
const recentCount = 10

// laggiest is how many servers with the most lag the overview names.
const laggiest = 5

type overviewPage struct {
	layout
	Active  []activeRow
	Recent  []recentRow
	Regions []regionHealth
	// Readiness and Deliveries are nil when not configured.
	Readiness  *readinessPanel
	Deliveries *deliveriesPanel
}

// activeRow is an execution still running, with its progress.
type activeRow struct {
	plan.Execution
	Launched, Failed, Total int
	Waiting                 []string // waves awaiting approval
}

// recentRow is a finished execution and how long it took against its RTO.
type recentRow struct {
	plan.Execution
	Duration time.Duration
	RTO      time.Duration
	OverRTO  bool
}

// regionHealth is the replication health and DRS capacity of one account
// and region.
type regionHealth struct {
	Account, Region string
	Error           string
	Servers         int
	States          []stateCount
	Laggiest        []drs.SourceServer
	// Capacity: jobs and servers in the active batches drsorch's
	// executions hold, and servers replicating, each with its quota.
	ActiveJobs, ServersInJobs, Replicating    int
	QuotaJobs, QuotaServers, QuotaReplicating int
}

type stateCount struct {
	State string
	Count int
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := &overviewPage{layout: layout{Title: "Overview", Nav: "overview"}}
	active, err := s.store.ListExecutions(ctx, store.ExecutionFilter{Actionable: true},
		store.ListOptions{Limit: 100})
	if err != nil {
		return fmt.Errorf("list active executions: %w", err)
	}
	usage := map[regionKey]*regionHealth{}
	for _, e := range active.Items {
		v, err := s.executions.Get(ctx, e.ID)
		if err != nil {
			return err
		}
		if plan.Active(e.Status) {
			d.Active = append(d.Active, progressOf(v))
		}
		if err := s.addUsage(ctx, e.ID, usage); err != nil {
			return err
		}
	}
	if err := s.addRecent(ctx, d); err != nil {
		return err
	}
	keys, err := s.regionKeys(ctx)
	if err != nil {
		return err
	}
	for k := range usage {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		h := usage[k]
		if h == nil {
			h = &regionHealth{Account: k.account, Region: k.region}
		}
		s.health(ctx, h)
		d.Regions = append(d.Regions, *h)
	}
	s.addEvidence(ctx, d)
	return s.page(w, r, http.StatusOK, "overview", d)
}

// progressOf counts an execution's launches.
func progressOf(v *execution.View) activeRow {
	row := activeRow{Execution: v.Execution}
	for _, w := range v.Waves {
		row.Launched += w.Launched
		row.Failed += w.Failed
		row.Total += len(w.Servers)
		if w.Status == plan.WaveAwaitingApproval {
			row.Waiting = append(row.Waiting, w.Name)
		}
	}
	return row
}

// addRecent lists the latest finished executions.
func (s *Server) addRecent(ctx context.Context, d *overviewPage) error {
	page, err := s.store.ListExecutions(ctx, store.ExecutionFilter{Statuses: []string{
		plan.ExecCompleted, plan.ExecPartial, plan.ExecFailed, plan.ExecCancelled}},
		store.ListOptions{Limit: recentCount})
	if err != nil {
		return fmt.Errorf("list recent executions: %w", err)
	}
	for _, e := range page.Items {
		d.Recent = append(d.Recent, recentOf(e))
	}
	return nil
}

func recentOf(e plan.Execution) recentRow {
	row := recentRow{Execution: e, Duration: -1, RTO: time.Duration(e.Plan.RTOMinutes) * time.Minute}
	if e.StartTime != nil && e.EndTime != nil {
		row.Duration = e.EndTime.Sub(*e.StartTime)
		row.OverRTO = row.RTO > 0 && row.Duration > row.RTO
	}
	return row
}

type regionKey struct{ account, region string }

// regionKeys lists the accounts and regions the stored groups use, and
// the default region, ordered.
func (s *Server) regionKeys(ctx context.Context) ([]regionKey, error) {
	groups, err := s.allGroups(ctx)
	if err != nil {
		return nil, err
	}
	var keys []regionKey
	if s.defaultRegion != "" {
		keys = append(keys, regionKey{"", s.defaultRegion})
	}
	for _, g := range groups {
		k := regionKey{g.AccountID, g.Region}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].account != keys[j].account {
			return keys[i].account < keys[j].account
		}
		return keys[i].region < keys[j].region
	})
	return keys, nil
}

// addUsage adds the active batches of an execution to their region's
// capacity. A batch holds DRS capacity from its request until its job
// ends; the engine counts it the same way when it schedules.
func (s *Server) addUsage(ctx context.Context, id string, usage map[regionKey]*regionHealth) error {
	batches, err := s.store.ListBatches(ctx, id)
	if err != nil {
		return fmt.Errorf("list batches of %s: %w", id, err)
	}
	for _, b := range batches {
		active := b.Status == plan.BatchRequesting || b.Status == plan.BatchRequested && b.EndTime == nil
		if !active {
			continue
		}
		k := regionKey{b.AccountID, b.Region}
		h := usage[k]
		if h == nil {
			h = &regionHealth{Account: k.account, Region: k.region}
			usage[k] = h
		}
		h.ActiveJobs++
		h.ServersInJobs += len(b.SourceServerIDs)
	}
	return nil
}

// health fills in a region's replication health from DRS. A region DRS
// cannot list is shown with the reason rather than failing the page.
func (s *Server) health(ctx context.Context, h *regionHealth) {
	h.QuotaJobs, h.QuotaServers, h.QuotaReplicating = quotaActiveJobs, quotaServersInJobs, quotaReplicatingCount
	servers, err := s.servers.SourceServers(ctx, h.Account, h.Region)
	if err != nil {
		s.log.WarnContext(ctx, "describe source servers", "region", h.Region, "account_id", h.Account,
			"error", err)
		h.Error = fmt.Sprintf("DRS could not be read in %s: %s", h.Region, short(err))
		return
	}
	h.Servers = len(servers)
	counts := map[string]int{}
	for _, srv := range servers {
		counts[srv.ReplicationState]++
		// DRS counts every server that replicates towards its quota; a
		// disconnected one no longer does.
		if srv.ReplicationState != drs.StateDisconnected {
			h.Replicating++
		}
	}
	for st, n := range counts {
		h.States = append(h.States, stateCount{State: st, Count: n})
	}
	sort.Slice(h.States, func(i, j int) bool { return h.States[i].State < h.States[j].State })
	byLag := slices.Clone(servers)
	sort.SliceStable(byLag, func(i, j int) bool { return byLag[i].Lag > byLag[j].Lag })
	for _, srv := range byLag {
		if len(h.Laggiest) == laggiest || srv.Lag <= 0 {
			break
		}
		h.Laggiest = append(h.Laggiest, srv)
	}
}

// short returns the first line of an error's message, bounded, for a
// panel that has room for a sentence.
func short(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// allGroups reads every stored group, page by page.
func (s *Server) allGroups(ctx context.Context) ([]plan.ProtectionGroup, error) {
	var all []plan.ProtectionGroup
	opts := store.ListOptions{Limit: 1000}
	for {
		page, err := s.store.ListGroups(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		all = append(all, page.Items...)
		if page.NextToken == "" {
			return all, nil
		}
		opts.NextToken = page.NextToken
	}
}

// allPlans reads every stored plan, page by page.
func (s *Server) allPlans(ctx context.Context) ([]plan.RecoveryPlan, error) {
	var all []plan.RecoveryPlan
	opts := store.ListOptions{Limit: 1000}
	for {
		page, err := s.store.ListPlans(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list plans: %w", err)
		}
		all = append(all, page.Items...)
		if page.NextToken == "" {
			return all, nil
		}
		opts.NextToken = page.NextToken
	}
}
