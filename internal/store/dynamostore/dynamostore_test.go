package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drsorch/drsorch/internal/plan"

	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/storetest"
)

// endpoint returns the DynamoDB Local endpoint the tests run against. The
// tests skip without one, except in CI (CI=true), where .ci/run starts
// DynamoDB Local and a missing endpoint is a broken setup.
func endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("DRSORCH_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DRSORCH_TEST_DYNAMODB_ENDPOINT is not set; .ci/run starts DynamoDB Local and sets it")
		}
		t.Skip("DRSORCH_TEST_DYNAMODB_ENDPOINT not set (scripts/dynamodb-local.sh start)")
	}
	return ep
}

var tables atomic.Int64

// newTestStore opens a store on a table of its own, created now and
// deleted when the test ends.
func newTestStore(t testing.TB, optFns ...func(*dynamodb.Options)) *Store {
	t.Helper()
	ep := endpoint(t)
	prefix := fmt.Sprintf("test-%d-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9, tables.Add(1))
	s, err := open(t.Context(), fmt.Sprintf("dynamodb://%s?region=us-east-1&endpoint=%s", prefix, ep), optFns...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := s.CreateTables(t.Context()); err != nil {
		t.Fatalf("create tables: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.DeleteTables(ctx); err != nil {
			t.Errorf("delete tables: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		want    Config
		wantErr bool
	}{
		{"dynamodb://", Config{Prefix: "drsorch"}, false},
		{"dynamodb://?prefix=dr&region=us-east-1&endpoint=http://127.0.0.1:8000",
			Config{Prefix: "dr", Region: "us-east-1", Endpoint: "http://127.0.0.1:8000"}, false},
		{"dynamodb://prod-dr?region=eu-west-1", Config{Prefix: "prod-dr", Region: "eu-west-1"}, false},
		{"dynamodb://a?prefix=a", Config{Prefix: "a"}, false},
		{"dynamodb://a?prefix=b", Config{}, true},
		{"dynamodb://?tabel=x", Config{}, true},
		{"dynamodb://bad%20name", Config{}, true},
		{"sqlite:drsorch.db", Config{}, true},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.url)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseURL(%q): error %v, want error %v", tt.url, err, tt.wantErr)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" && !tt.wantErr {
			t.Errorf("ParseURL(%q) mismatch (-want +got):\n%s", tt.url, d)
		}
	}
}

// TestChunkedCommit covers what the conformance suite cannot see of a
// commit larger than one transaction: a stale record or a lost lease
// refuses it before anything is written.
func TestChunkedCommit(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	e, launches := setup(t, s, 100)
	now := time.Now()

	change := func() []*plan.Launch {
		var out []*plan.Launch
		for i := range 150 {
			l := launches[i]
			l.Status = plan.LaunchRequested
			out = append(out, &l)
		}
		return out
	}
	stale := change()
	stale[140].Version = 9
	err := s.Commit(ctx, &store.Change{ExecutionID: e.ID, Owner: "engine-1", Now: now, Launches: stale})
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Errorf("chunked commit with a stale launch: %v, want ErrVersionConflict", err)
	}
	err = s.Commit(ctx, &store.Change{ExecutionID: e.ID, Owner: "engine-2", Now: now, Launches: change()})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("chunked commit under another's lease: %v, want ErrLeaseLost", err)
	}
	got, err := s.ListLaunches(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(launches, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("refused chunked commits changed launches (-want +got):\n%s", d)
	}

	// A good one, with a header change and events, lands whole.
	ok := change()
	e.Status = plan.ExecPaused
	var events []*plan.Event
	for i := range 30 {
		events = append(events, &plan.Event{Time: now, Type: fmt.Sprint("e", i)})
	}
	err = s.Commit(ctx, &store.Change{ExecutionID: e.ID, Owner: "engine-1", Now: now,
		Execution: e, Launches: ok, Events: events})
	if err != nil {
		t.Fatalf("chunked commit: %v", err)
	}
	if e.Version != 2 || ok[149].Version != 2 || events[29].Seq != 30 {
		t.Errorf("after commit: header Version %d, launch Version %d, last Seq %d; want 2, 2, 30",
			e.Version, ok[149].Version, events[29].Seq)
	}
	evs, err := s.ListEvents(ctx, e.ID, 0, 0)
	if err != nil || len(evs) != 30 {
		t.Errorf("list events: %d, %v; want 30", len(evs), err)
	}
}

// TestHalfWrittenInvisible checks that an execution whose header was never
// written (a create that died after its children) does not exist.
func TestHalfWrittenInvisible(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	e, _ := setup(t, s, 50)
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: key(execPK(e.ID), skHead),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetExecution(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get: %v, want ErrNotFound", err)
	}
	if _, err := s.ListLaunches(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("list launches: %v, want ErrNotFound", err)
	}
	if _, err := s.ListWaves(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("list waves: %v, want ErrNotFound", err)
	}
	page, err := s.ListExecutions(ctx, store.ExecutionFilter{}, store.ListOptions{})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("list executions: %d items, %v; want none", len(page.Items), err)
	}
}
