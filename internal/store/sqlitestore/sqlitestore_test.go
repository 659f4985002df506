package sqlitestore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/storetest"
)

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openTemp(t testing.TB) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "drsorch.db"))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openAt(t, ":memory:") })
}

// migrationsApplied lists schema_migrations.
func migrationsApplied(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.QueryContext(t.Context(),
		`SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("query migrations: %v", err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			v    int
			name string
		)
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatalf("scan: %v", err)
		}
		got = append(got, fmt.Sprintf("%d %s", v, name))
	}
	return got
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drsorch.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	g := &plan.ProtectionGroup{Name: "db", Region: "us-east-1", SourceServerIDs: []string{"s-1"}}
	if err := s.CreateGroup(t.Context(), g); err != nil {
		t.Fatalf("create group: %v", err)
	}
	want := migrationsApplied(t, s)
	if len(want) == 0 {
		t.Fatal("no migration recorded")
	}
	var mode string
	if err := s.db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q (%v), want wal", mode, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	for range 2 {
		s = openAt(t, path)
		got, err := s.GetGroup(t.Context(), g.ID)
		if err != nil {
			t.Fatalf("get group after reopen: %v", err)
		}
		if diff := cmp.Diff(g, got); diff != "" {
			t.Errorf("group after reopen mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, migrationsApplied(t, s)); diff != "" {
			t.Errorf("migrations after reopen mismatch (-want +got):\n%s", diff)
		}
		s.Close()
	}
}

func TestForeignKeys(t *testing.T) {
	s := openTemp(t)
	_, err := s.db.ExecContext(t.Context(),
		`INSERT INTO waves (execution_id, idx, version, data) VALUES ('ex-none', 0, 1, '{}')`)
	if sqliteCode(err)&0xff != 19 { // SQLITE_CONSTRAINT
		t.Errorf("wave of no execution: %v, want a foreign key violation", err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drsorch.db")
	s := openAt(t, path)
	s.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), path) {
		t.Errorf("open of a read-only file: %v, want an error naming the file as read-only", err)
	}
}

func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(t.Context(), dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("open of a directory: %v, want an error saying so", err)
	}
}

// Two Stores on one file stand for two processes: their writers meet in
// SQLite's lock, not in the Store's mutex, and must still not fail with
// SQLITE_BUSY.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drsorch.db")
	a, b := openAt(t, path), openAt(t, path)
	g := &plan.ProtectionGroup{Name: "db", Region: "us-east-1"}
	if err := a.CreateGroup(t.Context(), g); err != nil {
		t.Fatalf("create: %v", err)
	}
	const rounds = 20
	errs := make([]error, 2*rounds)
	var wg sync.WaitGroup
	for i := range 2 * rounds {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			c := *g
			c.Description = fmt.Sprint(i)
			errs[i] = s.UpdateGroup(t.Context(), &c)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrVersionConflict):
			t.Errorf("writer %d: %v, want nil or ErrVersionConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d writers won, want 1", won)
	}
}

// benchRun creates an execution of 3,000 launches in three waves and
// returns its launches, with their versions.
func benchRun(b *testing.B, s *Store) []plan.Launch {
	b.Helper()
	e := &plan.Execution{ID: "ex-0000000000000001", PlanID: "rp-0000000000000001",
		Mode: plan.ModeDrill, Status: plan.ExecRunning, CreatedAt: time.Now()}
	var (
		waves    []plan.WaveRun
		launches []plan.Launch
	)
	for w := range 3 {
		waves = append(waves, plan.WaveRun{Index: w, Name: fmt.Sprintf("wave-%d", w), Status: plan.WavePending})
	}
	for i := range 3000 {
		launches = append(launches, plan.Launch{
			Wave: fmt.Sprintf("wave-%d", i/1000), GroupID: "pg-0000000000000001",
			SourceServerID: fmt.Sprintf("s-%017x", i), Region: "us-east-1",
			Hostname: fmt.Sprintf("host-%04d.example.internal", i), Status: plan.LaunchPending,
		})
	}
	if err := s.CreateExecution(b.Context(), e, waves, launches, nil); err != nil {
		b.Fatalf("create: %v", err)
	}
	return launches
}

// BenchmarkCommit10Launches commits ten changed launches and an event of a
// 3,000-launch execution: the cost of one engine poll.
func BenchmarkCommit10Launches(b *testing.B) {
	s := openTemp(b)
	launches := benchRun(b, s)
	ids := []string{"s-00000000000000010"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := &store.Change{ExecutionID: "ex-0000000000000001"}
		for j := range 10 {
			l := &launches[(i*10+j)%len(launches)]
			l.Attempts++
			c.Launches = append(c.Launches, l)
		}
		c.Events = []*plan.Event{{Time: time.Now(), Type: "poll", SourceServerID: ids[0]}}
		if err := s.Commit(b.Context(), c); err != nil {
			b.Fatalf("commit: %v", err)
		}
	}
}

// BenchmarkListLaunches3000 reads all launches of a 3,000-launch execution.
func BenchmarkListLaunches3000(b *testing.B) {
	s := openTemp(b)
	benchRun(b, s)
	for b.Loop() {
		got, err := s.ListLaunches(b.Context(), "ex-0000000000000001")
		if err != nil || len(got) != 3000 {
			b.Fatalf("list: %d launches, %v", len(got), err)
		}
	}
}

// BenchmarkCreateExecution3000 writes an execution of 3,000 launches.
func BenchmarkCreateExecution3000(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s := openTemp(b)
		b.StartTimer()
		benchRun(b, s)
	}
}

// TestReadsAfterTheFileIsRemoved removes the database file of an open
// Store and reads from many goroutines at once: every read still sees the
// data, since the Store never opens a connection to whatever file is at
// the path later (a new, empty one).
func TestReadsAfterTheFileIsRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drsorch.db")
	s := openAt(t, path)
	g := &plan.ProtectionGroup{Name: "db", Region: "us-east-1", SourceServerIDs: []string{"s-1"}}
	if err := s.CreateGroup(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	const readers = 4 * poolSize
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	start := make(chan struct{})
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 20 {
				got, err := s.GetGroup(t.Context(), g.ID)
				if err != nil {
					errs <- err
					return
				}
				if got.Name != g.Name {
					errs <- fmt.Errorf("read %q, want %q", got.Name, g.Name)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("read after the file was removed: %v", err)
	}
}
