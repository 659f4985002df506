package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/notify"
	"github.com/drsorch/drsorch/internal/report"
	"github.com/drsorch/drsorch/internal/store"
)

// TestReportAndPredictOnDemo drills the demo plan, then reads the
// evidence through the CLI and the client as a user would: the report in
// each format, the prediction, the trend and readiness.
func TestReportAndPredictOnDemo(t *testing.T) {
	_, url := startDemo(t, fastDemo(t, t.TempDir()))
	ctx := t.Context()
	var out, errOut bytes.Buffer
	if err := runRun(ctx, []string{"shop", "--mode", "drill", "--wait", "--server", url}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s%s", err, &out, &errOut)
	}
	id, _, _ := strings.Cut(out.String(), "\n")

	dir := t.TempDir()
	for _, f := range []string{"json", "csv", "html"} {
		errOut.Reset()
		path := filepath.Join(dir, "report."+f)
		if err := runReport(ctx, []string{id, "--format", f, "-o", path, "--server", url}, &out, &errOut); err != nil {
			t.Fatalf("report --format %s: %v\n%s", f, err, &errOut)
		}
	}
	var r report.Report
	if err := json.Unmarshal([]byte(readFile(filepath.Join(dir, "report.json"))), &r); err != nil {
		t.Fatal(err)
	}
	if r.ExecutionID != id || r.Servers != 8 || r.Launched != 8 || r.DurationSeconds == nil || len(r.Waves) != 3 {
		t.Errorf("report: %s, %d servers, %d launched, %d waves", r.ExecutionID, r.Servers, r.Launched, len(r.Waves))
	}
	rows, err := csv.NewReader(strings.NewReader(readFile(filepath.Join(dir, "report.csv")))).ReadAll()
	if err != nil || len(rows) != 9 {
		t.Errorf("csv: %d rows, error %v", len(rows), err)
	}
	page := readFile(filepath.Join(dir, "report.html"))
	for _, w := range r.Waves {
		for _, s := range w.Servers {
			if !strings.Contains(page, s.SourceServerID) {
				t.Errorf("html lacks %s", s.SourceServerID)
			}
		}
	}
	if err := runReport(ctx, []string{id, "--format", "pdf", "--server", url}, &out, &errOut); err == nil {
		t.Error("report --format pdf succeeded")
	}

	out.Reset()
	if err := runPredict(ctx, []string{"shop", "--server", url}, &out, &errOut); err != nil {
		t.Fatalf("predict: %v\n%s", err, &errOut)
	}
	for _, want := range []string{"plan shop: about", "8 measured in the last 1 drills",
		"critical path: database → application → web"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("predict output lacks %q:\n%s", want, &out)
		}
	}

	c, err := client.New(url, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = os.Getenv("DRSORCH_TOKEN")
	p, err := findPlan(ctx, c, "shop")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.PlanTrend(ctx, p.ID, 0, 0)
	if err != nil || len(tr.Drills) != 1 || tr.Drills[0].ExecutionID != id {
		t.Errorf("trend %+v, error %v", tr, err)
	}
	svg, err := c.PlanTrendSVG(ctx, p.ID, 0, 0)
	if err != nil || strings.Count(string(svg), `class="drill"`) != 1 {
		t.Errorf("trend chart %q, error %v", svg, err)
	}
	rd, err := c.Readiness(ctx, p.ID, true)
	if err != nil || len(rd.Plans) != 1 || rd.Plans[0].Servers != 8 || rd.Plans[0].Drift == nil {
		t.Fatalf("readiness %+v, error %v", rd, err)
	}
	// Right after the drill nothing has drifted, and the emulator's
	// servers replicate.
	if !rd.Ready {
		t.Errorf("the demo plan is not ready: %+v", rd.Plans[0].Problems)
	}
	out.Reset()
	if err := runReadiness(ctx, []string{"--plan", "shop", "--server", url}, &out, &errOut); err != nil {
		t.Errorf("readiness: %v\n%s", err, &out)
	}
	if !strings.Contains(out.String(), "plan shop: 8 servers, ready") {
		t.Errorf("readiness output:\n%s", &out)
	}
}

// TestServeNotifies serves an app with a webhook target on an
// in-process emulator and runs a drill: the webhook hears it start and
// complete, and the app records the deliveries.
func TestServeNotifies(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	var mu sync.Mutex
	var types []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notify.Notification
		json.NewDecoder(r.Body).Decode(&n)
		mu.Lock()
		types = append(types, n.Type)
		mu.Unlock()
	}))
	defer hook.Close()
	var hooks webhookFlags
	if err := hooks.Set(hook.URL + ",name=test"); err != nil {
		t.Fatal(err)
	}
	sim := drssim.New(drssim.Options{Servers: 24, Seed: 1, Region: demoRegion, TimeScale: 3000})
	a, err := newApp(t.Context(), appConfig{
		Store: "sqlite:" + filepath.Join(t.TempDir(), "drsorch.db"), Region: demoRegion,
		DRSEndpoint: "http://drssim.local", DRSHTTPClient: &http.Client{Transport: sim.Transport()},
		Engine: engineConfig{PollInterval: 50 * time.Millisecond, PollMax: 200 * time.Millisecond,
			ExpectedJob: 100 * time.Millisecond},
		Evidence: evidenceConfig{Webhooks: hooks, Clock: sim.Now, NotifyPoll: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	t.Setenv("DRSORCH_TOKEN", authtest.AdminToken(t, a.store))
	gate, err := startDemoGate(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	if err := seedDemo(t.Context(), a.store, sim.Servers(), gate.URL()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()

	var out, errOut bytes.Buffer
	if err := runRun(t.Context(), []string{"shop", "--mode", "drill", "--wait", "--server", url}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s%s", err, &out, &errOut)
	}
	want := []string{notify.TypeExecutionStarted, notify.TypeExecutionCompleted}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := slices.Clone(types)
		mu.Unlock()
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook heard %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var list struct{ Items []store.Delivery }
	getJSON(t, url+"/api/v1/notifications/deliveries", &list)
	if len(list.Items) != 2 || !list.Items[0].OK || list.Items[0].Target != "test" {
		t.Errorf("deliveries %+v", list.Items)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
