package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/store"
)

// startDemo serves a demo on a loopback port until the test ends.
func startDemo(t *testing.T, cfg demoConfig) (*demo, string) {
	t.Helper()
	d, err := newDemo(t.Context(), cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	// The CLI's commands read their --token from here, as after the
	// export line the demo prints.
	t.Setenv("DRSORCH_TOKEN", d.token)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		d.Close()
	})
	return d, "http://" + ln.Addr().String()
}

func fastDemo(t *testing.T, data string) demoConfig {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	return demoConfig{Data: data, Servers: 24, TimeScale: 3000, Seed: 1,
		Poll: 50 * time.Millisecond, Logger: logConfig{Format: "text", Level: "warn"}}
}

// TestDemoDrillAndCleanup runs the sample plan as a user would, through
// the CLI's run functions, and checks in the emulator that every shop
// server launched once and that cleanup left no drill instance behind.
func TestDemoDrillAndCleanup(t *testing.T) {
	old := cleanupPoll
	cleanupPoll = 50 * time.Millisecond
	t.Cleanup(func() { cleanupPoll = old })

	d, url := startDemo(t, fastDemo(t, t.TempDir()))
	ctx := t.Context()

	var out, errOut bytes.Buffer
	err := runRun(ctx, []string{"shop", "--mode", "drill", "--wait", "--server", url}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, &out, &errOut)
	}
	id, _, _ := strings.Cut(out.String(), "\n")
	for _, want := range []string{"wave web", "ended COMPLETED", "executions cleanup " + id} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("run output lacks %q:\n%s", want, &out)
		}
	}

	launches := d.sim.Launches()
	var shop []string
	for _, s := range d.sim.Servers() {
		if s.Tags["app"] == "shop" {
			shop = append(shop, s.ID)
			if launches[s.ID] != 1 {
				t.Errorf("server %s (%s) launched %d times, want 1", s.ID, s.Hostname, launches[s.ID])
			}
		}
	}
	if len(shop) != 8 || len(launches) != 8 {
		t.Errorf("%d shop servers, %d servers launched; want 8 and 8", len(shop), len(launches))
	}
	client, err := drs.NewClient(ctx, drs.Config{Region: demoRegion, Endpoint: "http://drssim.local",
		HTTPClient: &http.Client{Transport: d.sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	instances, err := client.DescribeRecoveryInstances(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(instances) != 8 {
		t.Errorf("%d recovery instances after the drill, want 8", len(instances))
	}

	out.Reset()
	if err := runExecutions(ctx, []string{"cleanup", id, "--wait", "--server", url}, &out, &errOut); err != nil {
		t.Fatalf("cleanup: %v\n%s%s", err, &out, &errOut)
	}
	if !strings.Contains(out.String(), "cleanup COMPLETED") {
		t.Errorf("cleanup output:\n%s", &out)
	}
	instances, err = client.DescribeRecoveryInstances(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ri := range instances {
		t.Errorf("recovery instance %s of %s left after cleanup (drill %v)", ri.ID, ri.SourceServerID, ri.IsDrill)
	}
}

// TestDemoSeedIsIdempotent restarts a demo on its data folder: the sample
// groups and plan are kept, not duplicated, and edits survive.
func TestDemoSeedIsIdempotent(t *testing.T) {
	data := t.TempDir()
	cfg := fastDemo(t, data)
	ctx := t.Context()
	names := func(d *demo) (groups, plans []string) {
		gp, err := d.store.ListGroups(ctx, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gp.Items {
			groups = append(groups, g.Name+":"+g.Description)
		}
		pp, err := d.store.ListPlans(ctx, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pp.Items {
			plans = append(plans, p.Name)
		}
		return groups, plans
	}

	d, err := newDemo(ctx, cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := d.store.GetGroupByName(ctx, "shop-web")
	if err != nil {
		t.Fatal(err)
	}
	g.Description = "edited"
	if err := d.store.UpdateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	d.Close()

	d, err = newDemo(ctx, cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	groups, plans := names(d)
	wantGroups := []string{"shop-app:the app tier of the shop application",
		"shop-db:the db tier of the shop application", "shop-web:edited"}
	if diff := cmp.Diff(wantGroups, groups); diff != "" {
		t.Errorf("groups mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop"}, plans); diff != "" {
		t.Errorf("plans mismatch (-want +got):\n%s", diff)
	}
}
