package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// TestServeWiringOverHTTP builds the app as serve does, on an emulator
// served over loopback HTTP: EC2 goes to the DRS endpoint unless
// --ec2-endpoint says otherwise, and the scheduled tag sync copies the
// source machines' tags onto the source servers of every group's region.
func TestServeWiringOverHTTP(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	sim := drssim.New(drssim.Options{Servers: 12, Seed: 2, Region: demoRegion})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	ctx := t.Context()

	newTestApp := func(ec2Endpoint string, tagSync time.Duration) *app {
		a, err := newApp(ctx, appConfig{Store: "sqlite:" + filepath.Join(t.TempDir(), "drsorch.db"),
			Region: demoRegion, DRSEndpoint: srv.URL, EC2Endpoint: ec2Endpoint, TagSyncInterval: tagSync})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		g := plan.ProtectionGroup{Name: "db", Region: demoRegion,
			ServerSelector: &plan.Selector{Tags: map[string]string{"tier": "db"}},
			LaunchSettings: &plan.LaunchSettings{SecurityGroupIDs: []string{"sg-0e5a1d00000000022"}}}
		if err := a.api.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
		return a
	}

	// EC2 through the DRS endpoint: the settings apply, then are in line.
	a := newTestApp("", 0)
	g, err := a.store.GetGroupByName(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.api.ApplyLaunchSettings(ctx, g.ID)
	if err != nil || len(res) == 0 {
		t.Fatalf("apply: %v, %d results", err, len(res))
	}
	for _, r := range res {
		if r.Error != "" || len(r.Changed) == 0 {
			t.Errorf("apply %s: changed %v, error %q", r.SourceServerID, r.Changed, r.Error)
		}
	}
	if d, err := a.api.GroupDrift(ctx, g.ID); err != nil || d.Drifted != 0 || d.Unreadable != 0 {
		t.Errorf("drift after apply: %+v, %v", d, err)
	}

	// An --ec2-endpoint where nothing listens: the drift cannot be read.
	b := newTestApp("http://127.0.0.1:9", 0)
	bg, err := b.store.GetGroupByName(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.api.GroupDrift(ctx, bg.ID)
	var he *api.Error
	if err == nil && d.Unreadable == 0 || err != nil && !errors.As(err, &he) {
		t.Errorf("drift with EC2 unreachable: %+v, %v; want it unreadable", d, err)
	}

	// The scheduled sync: the first round runs at once.
	dc, err := drs.NewClient(ctx, drs.Config{Region: demoRegion, Endpoint: srv.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	costCenters := func() int {
		servers, err := dc.DescribeSourceServers(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range servers {
			if s.Tags["CostCenter"] != "" {
				n++
			}
		}
		return n
	}
	if n := costCenters(); n != 0 {
		t.Fatalf("%d servers carry CostCenter before any sync", n)
	}
	c := newTestApp("", time.Hour)
	sctx, cancel := context.WithCancel(ctx)
	stop := c.startTagSync(sctx)
	// Bounded only so that a sync that never comes fails rather than hangs.
	for i := 0; costCenters() < 12 && i < 1000; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	cancel()
	if n := costCenters(); n != 12 {
		t.Errorf("%d of 12 servers carry CostCenter after the scheduled sync", n)
	}
	// What it wrote is in the audit trail.
	page, err := c.store.(store.AuditStore).ListAudit(ctx, store.AuditFilter{Action: "drs:TagResource"}, store.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Actor != "tag sync schedule" || page.Items[0].Outcome != "ok" {
		t.Errorf("audit of the scheduled sync: %+v, want one ok entry", page.Items)
	}
}
