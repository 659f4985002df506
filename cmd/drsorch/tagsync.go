package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drsorch/drsorch/internal/store"
)

// startTagSync runs a tag sync of every account and region a group names
// at once and then every tagSyncEvery, until ctx ends or the returned
// function is called. Every replica behind a load balancer runs its own:
// a sync only adds the tags that are missing or differ, so two replicas
// syncing at once write the same tags, and the second finds nothing to do.
func (a *app) startTagSync(ctx context.Context) func() {
	if a.tagSyncEvery <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		log := a.log.With("component", "tagsync")
		timer := time.NewTimer(0)
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			if err := a.syncAllTags(ctx); err != nil && ctx.Err() == nil {
				log.Warn("tag sync", "error", err)
			}
			timer.Reset(a.tagSyncEvery)
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// auditTagSync records a scheduled tag sync of an account and region.
func (a *app) auditTagSync(ctx context.Context, where string, err error) {
	if a.audit == nil {
		return
	}
	e := store.AuditEntry{Actor: "tag sync schedule", Action: "drs:TagResource", Target: where, Outcome: "ok"}
	if err != nil {
		e.Outcome, e.Error = "error", err.Error()
	}
	a.audit.Record(ctx, e)
}

// syncAllTags syncs the tags of every account and region a stored group
// names, one after another, logging each result; an account's failure
// does not stop the others.
func (a *app) syncAllTags(ctx context.Context) error {
	places, err := groupPlaces(ctx, a.store)
	if err != nil {
		return err
	}
	log := a.log.With("component", "tagsync")
	for _, p := range places {
		res, err := a.settings.SyncTags(ctx, p.account, p.region)
		where := strings.Trim(p.account+"/"+p.region, "/")
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Warn("tag sync", "where", where, "error", err)
			a.auditTagSync(ctx, where, err)
			continue
		}
		if res.Updated > 0 || len(res.Errors) > 0 {
			// It wrote to DRS (or tried to): the audit trail says so, as
			// it does for a sync asked for through the API.
			var werr error
			if len(res.Errors) > 0 {
				werr = fmt.Errorf("%d servers updated, %d failed: %s", res.Updated, len(res.Errors), res.Errors[0])
			}
			a.auditTagSync(ctx, where, werr)
		}
		level := log.Info
		if len(res.Errors) > 0 {
			level = log.Warn
		}
		level("tags synced", "where", where, "servers", res.Servers, "linked", res.Linked,
			"updated", res.Updated, "errors", len(res.Errors))
		for _, e := range res.Errors {
			log.Warn("tag sync of a server", "where", where, "error", e)
		}
	}
	return nil
}

type place struct{ account, region string }

// groupPlaces returns the accounts and regions the stored groups name,
// sorted, each once.
func groupPlaces(ctx context.Context, st store.Store) ([]place, error) {
	seen := map[place]bool{}
	var out []place
	opts := store.ListOptions{Limit: 1000}
	for {
		page, err := st.ListGroups(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		for _, g := range page.Items {
			p := place{g.AccountID, g.Region}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		if page.NextToken == "" {
			break
		}
		opts.NextToken = page.NextToken
	}
	slices.SortFunc(out, func(x, y place) int {
		if c := strings.Compare(x.account, y.account); c != 0 {
			return c
		}
		return strings.Compare(x.region, y.region)
	})
	return out, nil
}
