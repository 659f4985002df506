package drssim

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestStableDurations checks that with StableDurations every launch of a
// server takes exactly PlannedLaunch after StablePending, whichever job
// it is in, and that LaunchEnds reports when it ended.
func TestStableDurations(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := New(Options{Servers: 3, Seed: 9, Clock: clock, StableDurations: true})
	ids := []string{}
	for _, srv := range s.Servers() {
		ids = append(ids, srv.ID)
	}
	start := func(ids ...string) {
		t.Helper()
		var parts []string
		for _, id := range ids {
			parts = append(parts, `{"sourceServerID":"`+id+`"}`)
		}
		body := `{"isDrill":true,"sourceServers":[` + strings.Join(parts, ",") + `]}`
		req, _ := http.NewRequest("POST", "http://drs.local/StartRecovery", strings.NewReader(body))
		resp, err := s.Transport().RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("start recovery: %v, status %d", err, resp.StatusCode)
		}
	}
	want := map[string]time.Time{}
	for _, id := range ids {
		d, ok := s.PlannedLaunch(id)
		if !ok || d <= 0 {
			t.Fatalf("PlannedLaunch(%s) = %s, %v", id, d, ok)
		}
		want[id] = now.Add(StablePending + d)
	}

	// Two jobs: one server alone, then the other two together.
	start(ids[0])
	start(ids[1], ids[2])
	s.Advance(2 * time.Hour)
	if diff := cmp.Diff(want, s.LaunchEnds()); diff != "" {
		t.Errorf("launch ends mismatch (-want +got):\n%s", diff)
	}

	// Without the option nothing is planned.
	if _, ok := New(Options{Servers: 3, Seed: 9, Clock: clock}).PlannedLaunch(ids[0]); ok {
		t.Errorf("PlannedLaunch without StableDurations: ok, want not known")
	}
}
