package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// testRevision checks that every commit to an execution, whatever it
// writes, moves its Revision on by one, and that nothing else does.
func testRevision(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("ex-00000000000000e1", "rp-00000000000000e1", 2, 2)
	other := newRun("ex-00000000000000e2", "rp-00000000000000e2", 1, 1)
	r.create(t, s)
	other.create(t, s)
	if r.exec.Revision != 1 {
		t.Fatalf("Revision %d after create, want 1", r.exec.Revision)
	}
	id := r.exec.ID
	launches := r.wantLaunches()
	waves := r.wantWaves()
	header := *r.exec
	batch := &plan.Batch{ID: "bt-00000000000000e1", Kind: plan.BatchLaunch, Wave: waves[0].Name,
		Region: "us-east-1", SourceServerIDs: []string{launches[0].SourceServerID},
		Status: plan.BatchRequesting, RequestTime: t0}

	// revision reads the header's Revision and, from a backend with the
	// store.RevisionReader capability, checks that it reads the same.
	rr, hasReader := s.(store.RevisionReader)
	revision := func(id string) int64 {
		t.Helper()
		e, err := s.GetExecution(ctx, id)
		must(t, err, "get execution")
		if hasReader {
			got, err := rr.ExecutionRevision(ctx, id)
			must(t, err, "execution revision")
			if got != e.Revision {
				t.Errorf("ExecutionRevision %d, header's Revision %d", got, e.Revision)
			}
		}
		return e.Revision
	}
	if hasReader {
		if _, err := rr.ExecutionRevision(ctx, "ex-00000000000000ff"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ExecutionRevision of an unknown execution: %v, want ErrNotFound", err)
		}
	}
	steps := []struct {
		name   string
		change func() *store.Change
		err    bool
	}{
		{"a launch", func() *store.Change {
			l := launches[0]
			l.Status = plan.LaunchRequested
			return &store.Change{ExecutionID: id, Launches: []*plan.Launch{&l}}
		}, false},
		{"a wave", func() *store.Change {
			w := waves[1]
			w.Status = plan.WaveLaunching
			return &store.Change{ExecutionID: id, Waves: []*plan.WaveRun{&w}}
		}, false},
		{"a batch", func() *store.Change {
			return &store.Change{ExecutionID: id, Batches: []*plan.Batch{batch}}
		}, false},
		{"an event", func() *store.Change {
			return &store.Change{ExecutionID: id, Events: []*plan.Event{{Time: t0, Type: "note"}}}
		}, false},
		{"nothing but the lease check", func() *store.Change {
			return &store.Change{ExecutionID: id}
		}, false},
		{"the header", func() *store.Change {
			header.Status = plan.ExecRunning
			return &store.Change{ExecutionID: id, Execution: &header}
		}, false},
		{"a refused commit", func() *store.Change {
			stale := header
			stale.Version = 0
			return &store.Change{ExecutionID: id, Execution: &stale}
		}, true},
	}
	want := int64(1)
	for _, st := range steps {
		err := s.Commit(ctx, st.change())
		if (err != nil) != st.err {
			t.Fatalf("commit of %s: %v", st.name, err)
		}
		if !st.err {
			want++
		}
		if got := revision(id); got != want {
			t.Errorf("after a commit of %s: Revision %d, want %d", st.name, got, want)
		}
	}
	if header.Revision != want {
		t.Errorf("caller's header Revision %d after its commit, want %d", header.Revision, want)
	}

	// The lease is not the execution's content.
	must(t, s.Claim(ctx, id, "engine-1", t0, t0.Add(time.Minute)), "claim")
	must(t, s.Release(ctx, id, "engine-1"), "release")
	if got := revision(id); got != want {
		t.Errorf("after claim and release: Revision %d, want %d", got, want)
	}
	if got := revision(other.exec.ID); got != 1 {
		t.Errorf("other execution's Revision %d, want 1", got)
	}
	page, err := s.ListExecutions(ctx, store.ExecutionFilter{PlanID: r.exec.PlanID}, store.ListOptions{})
	must(t, err, "list executions")
	if len(page.Items) != 1 || page.Items[0].Revision != want {
		t.Errorf("listed %+v, want one execution of Revision %d", page.Items, want)
	}
}
