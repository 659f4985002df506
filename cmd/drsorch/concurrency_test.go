package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// TestConcurrentStartsAndEdits races requests that only one may win, many
// times over, on the wired app (run it with -race): two starts of one plan
// make one execution and one 409; two edits with one ETag make one 200 and
// one 412.
func TestConcurrentStartsAndEdits(t *testing.T) {
	a, sim, token := hostileApp(t)
	do := func(method, path string, body any, hdr ...string) *httptest.ResponseRecorder {
		var b []byte
		if body != nil {
			b, _ = json.Marshal(body)
		}
		req := httptest.NewRequest(method, path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		a.mux.ServeHTTP(rec, req)
		return rec
	}
	// race sends n requests at once and returns their statuses, sorted.
	race := func(n int, send func(i int) int) []int {
		var wg sync.WaitGroup
		out := make([]int, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				out[i] = send(i)
			})
		}
		close(start)
		wg.Wait()
		sort.Ints(out)
		return out
	}

	servers := sim.Servers()
	const trials = 15
	for i := range trials {
		// A plan of its own per trial: a plan with a running execution
		// refuses a second start for good.
		g := do("POST", "/api/v1/protection-groups", plan.ProtectionGroup{Name: "g" + string(rune('a'+i)),
			Region: "us-east-1", SourceServerIDs: []string{servers[i].ID}})
		var gv plan.ProtectionGroup
		json.Unmarshal(g.Body.Bytes(), &gv)
		p := do("POST", "/api/v1/recovery-plans", plan.RecoveryPlan{Name: "p" + string(rune('a'+i)),
			Waves: []plan.Wave{{Name: "w", ProtectionGroupIDs: []string{gv.ID}}}})
		var pv plan.RecoveryPlan
		json.Unmarshal(p.Body.Bytes(), &pv)
		if g.Code != 201 || p.Code != 201 {
			t.Fatalf("setup: %d %s / %d %s", g.Code, g.Body, p.Code, p.Body)
		}

		got := race(2, func(int) int {
			return do("POST", "/api/v1/recovery-plans/"+pv.ID+"/executions", map[string]string{"mode": "drill"}).Code
		})
		if diff := cmp.Diff([]int{202, 409}, got); diff != "" {
			t.Errorf("trial %d: two starts: mismatch (-want +got):\n%s", i, diff)
		}
		page, err := a.store.ListExecutions(t.Context(), store.ExecutionFilter{PlanID: pv.ID}, store.ListOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 {
			t.Errorf("trial %d: %d executions of the plan, want 1", i, len(page.Items))
		}

		got = race(2, func(k int) int {
			edit := pv
			edit.ID, edit.Version = "", 0
			edit.Description = "edit " + string(rune('a'+k))
			return do("PUT", "/api/v1/recovery-plans/"+pv.ID, edit, "If-Match", `"1"`).Code
		})
		if diff := cmp.Diff([]int{200, 412}, got); diff != "" {
			t.Errorf("trial %d: two edits with one ETag: mismatch (-want +got):\n%s", i, diff)
		}
		final, err := a.store.GetPlan(t.Context(), pv.ID)
		if err != nil || final.Version != 2 {
			t.Errorf("trial %d: plan after the edits: version %d, %v; want 2", i, final.Version, err)
		}
	}
}
