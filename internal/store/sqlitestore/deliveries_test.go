package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/store"
)

func TestDeliveries(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "drsorch.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, key := range []string{"ex-1/3@ops", "ex-1/9@ops", "readiness/x@chat"} {
		d := &store.Delivery{Key: key, Target: "ops", Type: "execution.started", Attempts: i + 1,
			OK: i != 1, Time: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.RecordDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	err = s.RecordDelivery(ctx, &store.Delivery{Key: "ex-1/3@ops", Time: t0})
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("a second delivery of one key: %v, want ErrExists", err)
	}
	s.Close()

	// Deliveries survive a reopen.
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ListDeliveries(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, d := range got {
		keys = append(keys, d.Key)
	}
	if diff := cmp.Diff([]string{"readiness/x@chat", "ex-1/9@ops"}, keys); diff != "" {
		t.Errorf("newest deliveries mismatch (-want +got):\n%s", diff)
	}
	if got[1].OK || got[1].Attempts != 2 || !got[1].Time.Equal(t0.Add(time.Minute)) {
		t.Errorf("delivery read back as %+v", got[1])
	}
	for key, want := range map[string]bool{"ex-1/3@ops": true, "ex-1/4@ops": false} {
		if ok, err := s.Delivered(ctx, key); err != nil || ok != want {
			t.Errorf("Delivered(%q) = %v, %v; want %v", key, ok, err, want)
		}
	}
}
