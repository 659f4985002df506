package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

func TestViewCache(t *testing.T) {
	c := newViewCache(10)
	body := func(n int) []byte { return make([]byte, n) }
	c.put("a", 1, body(4))
	c.put("b", 1, body(4))
	if _, ok := c.get("a", 1); !ok { // a is now the most recent
		t.Fatal("a at revision 1 not kept")
	}
	if _, ok := c.get("a", 2); ok {
		t.Error("a kept at a revision it never had")
	}
	c.put("c", 1, body(4)) // over 10 bytes: b, the least recent, goes
	type state struct {
		A, B, C bool
		Bytes   int
	}
	has := func(id string, rev int64) bool { _, ok := c.get(id, rev); return ok }
	if diff := cmp.Diff(state{true, false, true, 8}, state{has("a", 1), has("b", 1), has("c", 1), c.bytes()}); diff != "" {
		t.Errorf("after eviction: mismatch (-want +got):\n%s", diff)
	}
	c.put("a", 3, body(2)) // a new revision replaces the old
	c.put("a", 2, body(2)) // an older one does not
	if diff := cmp.Diff(state{true, false, true, 6}, state{has("a", 3), has("a", 2), has("c", 1), c.bytes()}); diff != "" {
		t.Errorf("after replacing: mismatch (-want +got):\n%s", diff)
	}
	c.put("huge", 1, body(11))
	if has("huge", 1) || c.bytes() != 6 {
		t.Errorf("a body larger than the cache was kept (%d bytes)", c.bytes())
	}
}

func TestViewCacheConcurrent(t *testing.T) {
	c := newViewCache(1 << 10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprint("ex-", i%7)
				c.put(id, int64(i), make([]byte, 10+g))
				c.get(id, int64(i))
			}
		})
	}
	wg.Wait()
	if c.bytes() > 1<<10 {
		t.Errorf("cache holds %d bytes, over its bound", c.bytes())
	}
}

// A GET of an execution answers If-None-Match with 304 while nothing of
// it changed, and shows a changed launch at once, under a new ETag.
func TestGetExecutionCached(t *testing.T) {
	e := newExecEnv(t)
	id := e.start("drill")
	path := "/api/v1/executions/" + id

	get := func(hdr ...string) (int, string, execution.View) {
		t.Helper()
		rec := e.do("GET", path, nil, hdr...)
		var v execution.View
		if rec.Code == http.StatusOK {
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
		}
		return rec.Code, rec.Header().Get("ETag"), v
	}
	code, tag, first := get()
	if code != 200 || tag == "" {
		t.Fatalf("first GET: %d, ETag %q", code, tag)
	}
	if code, again, _ := get("If-None-Match", tag); code != http.StatusNotModified || again != tag {
		t.Errorf("GET with If-None-Match %s: %d, ETag %q; want 304 with the same ETag", tag, code, again)
	}
	if code, again, v := get(); code != 200 || again != tag || !cmp.Equal(first, v) {
		t.Errorf("second GET: %d, ETag %q (want %q), same view %t", code, again, tag, cmp.Equal(first, v))
	}

	// A change to one launch alone, as the engine makes it.
	launches, err := e.store.ListLaunches(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	l := launches[0]
	l.Error = "changed behind the cache"
	if err := e.store.Commit(t.Context(), &store.Change{ExecutionID: id, Launches: []*plan.Launch{&l}}); err != nil {
		t.Fatal(err)
	}
	code, changed, v := get("If-None-Match", tag)
	if code != 200 || changed == tag {
		t.Fatalf("GET after a change: %d, ETag %q (was %q); want 200 and a new ETag", code, changed, tag)
	}
	var got string
	for _, w := range v.Waves {
		for _, s := range w.Servers {
			if s.SourceServerID == l.SourceServerID {
				got = s.Error
			}
		}
	}
	if got != l.Error {
		t.Errorf("launch %s shows error %q, want %q", l.SourceServerID, got, l.Error)
	}
}
