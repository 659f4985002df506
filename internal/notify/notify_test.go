package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// receiver is a webhook on 127.0.0.1 that fails its first failures
// requests and records the bodies of the others.
type receiver struct {
	mu       sync.Mutex
	failures int
	calls    int
	bodies   []map[string]any
}

func (r *receiver) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls++
		if r.calls <= r.failures {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		var body map[string]any
		b, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("webhook body %q: %v", b, err)
		}
		r.bodies = append(r.bodies, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (r *receiver) field(key string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		s, _ := b[key].(string)
		out = append(out, s)
	}
	return out
}

// fakeSNS records what it publishes.
type fakeSNS struct{ subjects []string }

func (f *fakeSNS) Publish(ctx context.Context, topic, subject, message string) error {
	var n Notification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return err
	}
	f.subjects = append(f.subjects, n.Type+": "+subject)
	return nil
}

// storeExecution writes an execution created at created with the given
// event types, and returns its ID.
func storeExecution(t *testing.T, st store.Store, created time.Time, status string, types ...string) string {
	t.Helper()
	ctx := context.Background()
	ex := &plan.Execution{ID: plan.NewID(plan.PrefixExecution), PlanID: plan.NewID(plan.PrefixPlan),
		PlanName: "shop", Mode: plan.ModeDrill, Status: plan.ExecPending, CreatedAt: created,
		StartedBy: "alice", Plan: plan.RecoveryPlan{Waves: []plan.Wave{{Name: "web"}}}}
	if err := st.CreateExecution(ctx, ex, []plan.WaveRun{{Index: 0, Name: "web", Status: plan.WavePending}},
		nil, []plan.Event{{Time: created, Type: "execution_created"}}); err != nil {
		t.Fatal(err)
	}
	var evs []*plan.Event
	for _, typ := range types {
		ev := &plan.Event{Time: created, Type: typ, Message: "note " + typ}
		if typ == "wave_awaiting_approval" {
			ev.Wave = "web"
		}
		evs = append(evs, ev)
	}
	ex.Status = status
	if !plan.Active(status) {
		end := created.Add(time.Hour)
		ex.EndTime = &end
	}
	if err := st.Commit(ctx, &store.Change{ExecutionID: ex.ID, Execution: ex, Events: evs}); err != nil {
		t.Fatal(err)
	}
	return ex.ID
}

func openStore(t *testing.T) *sqlitestore.Store {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestNotifierFollowsEvents(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	hook := &receiver{failures: 2}
	slack := &receiver{}
	sns := &fakeSNS{}
	targets := func() []Target {
		return []Target{
			&Webhook{TargetName: "ops", URL: hook.serve(t)},
			&Webhook{TargetName: "chat", URL: slack.serve(t), Slack: true,
				Types: []string{TypeExecutionFailed, TypeWaveAwaitingApproval}},
			&SNSTopic{TopicARN: "arn:aws:sns:us-east-1:123456789012:dr", Publisher: sns},
		}
	}
	ts := targets()
	clock := t0
	n := New(Options{Store: st, Targets: ts, Backoff: time.Millisecond, Clock: func() time.Time { return clock }})

	// Before the notifier started: neither replayed nor lost for active
	// ones; an old finished one is ignored.
	storeExecution(t, st, t0.Add(-48*time.Hour), plan.ExecCompleted, "execution_started", "execution_completed")
	id := storeExecution(t, st, t0.Add(time.Minute), plan.ExecFailed,
		"execution_started", "wave_started", "wave_awaiting_approval", "server_failed", "execution_failed")
	if err := n.Poll(ctx); err != nil {
		t.Fatal(err)
	}

	wantTypes := []string{TypeExecutionStarted, TypeWaveAwaitingApproval, TypeExecutionFailed}
	if diff := cmp.Diff(wantTypes, hook.field("type")); diff != "" {
		t.Errorf("webhook types mismatch (-want +got):\n%s", diff)
	}
	if got := hook.field("executionId"); len(got) != 3 || got[0] != id {
		t.Errorf("webhook execution IDs %v, want %s", got, id)
	}
	wantSlack := []string{
		"drill of plan shop (" + id + "): wave web awaits approval",
		"drill of plan shop (" + id + ") ended FAILED: note execution_failed",
	}
	if diff := cmp.Diff(wantSlack, slack.field("text")); diff != "" {
		t.Errorf("slack texts mismatch (-want +got):\n%s", diff)
	}
	if len(sns.subjects) != 3 {
		t.Errorf("sns published %v", sns.subjects)
	}

	ds, err := n.Deliveries(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	attempts := map[string]int{}
	for _, d := range ds {
		if !d.OK {
			t.Errorf("delivery %s not ok: %s", d.Key, d.Error)
		}
		attempts[d.Target] += d.Attempts
	}
	// The first webhook call failed twice and succeeded on the third.
	want := map[string]int{"ops": 3 + 1 + 1, "chat": 2, "sns:arn:aws:sns:us-east-1:123456789012:dr": 3}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("attempts per target mismatch (-want +got):\n%s", diff)
	}

	// A poll with nothing new sends nothing; a restarted notifier
	// replays the recent execution and skips what was delivered.
	if err := n.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := New(Options{Store: st, Targets: ts, Backoff: time.Millisecond,
		Clock: func() time.Time { return clock.Add(10 * time.Minute) }})
	if err := restarted.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(hook.field("type")); got != 3 {
		t.Errorf("%d webhook notifications after a poll and a restart, want still 3", got)
	}
}

func TestNotifierGivesUp(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	hook := &receiver{failures: 100}
	n := New(Options{Store: st, Targets: []Target{&Webhook{URL: hook.serve(t)}},
		Retries: 2, Backoff: time.Millisecond, Clock: func() time.Time { return t0 }})
	storeExecution(t, st, t0.Add(time.Minute), plan.ExecRunning, "execution_started")
	if err := n.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _ := n.Deliveries(ctx, 0)
	if len(ds) != 1 || ds[0].OK || ds[0].Attempts != 3 || ds[0].StatusCode != http.StatusBadGateway {
		t.Errorf("deliveries %+v, want one failed after 3 attempts with 502", ds)
	}
}

func TestReadinessNotifications(t *testing.T) {
	ctx := context.Background()
	hook := &receiver{}
	n := New(Options{Store: openStore(t), Targets: []Target{&Webhook{URL: hook.serve(t)}}})
	bad := func(at time.Time, servers ...string) *readiness.Result {
		p := readiness.PlanResult{PlanID: "rp-1", PlanName: "shop"}
		for _, s := range servers {
			p.Problems = append(p.Problems, readiness.Problem{Code: readiness.CodeUnhealthy, SourceServerID: s})
		}
		p.Ready = len(servers) == 0
		return &readiness.Result{CheckedAt: at, Ready: p.Ready, Problems: len(servers),
			Plans: []readiness.PlanResult{p}}
	}
	for _, r := range []*readiness.Result{
		bad(t0, "s-1"),               // notified
		bad(t0.Add(1), "s-1"),        // the same problems: not again
		bad(t0.Add(2), "s-1", "s-2"), // a new problem: notified
		bad(t0.Add(3)),               // ready
		bad(t0.Add(4), "s-1"),        // back: notified
	} {
		n.readiness(ctx, r)
	}
	if got := hook.field("text"); len(got) != 3 || got[1] != "readiness: 2 problems in 1 of 1 plans" {
		t.Errorf("readiness notifications %q", got)
	}
}

func TestParseWebhook(t *testing.T) {
	tests := []struct {
		in   string
		want *Webhook
		err  bool
	}{
		{in: "https://hooks.example/x", want: &Webhook{URL: "https://hooks.example/x"}},
		{in: "https://hooks.slack.com/services/T/B/X,slack,name=chat",
			want: &Webhook{URL: "https://hooks.slack.com/services/T/B/X", Slack: true, TargetName: "chat"}},
		{in: "http://127.0.0.1:9/h,types=execution.failed|readiness.problems",
			want: &Webhook{URL: "http://127.0.0.1:9/h", Types: []string{TypeExecutionFailed, TypeReadinessProblems}}},
		{in: "ftp://x", err: true},
		{in: "https://x,types=execution.exploded", err: true},
		{in: "https://x,loud", err: true},
	}
	for _, tt := range tests {
		got, err := ParseWebhook(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%q: error %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}
