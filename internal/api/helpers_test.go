package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// testEnv is an API on a real SQLite store and a fake DRS.
type testEnv struct {
	t     *testing.T
	srv   *Server
	store store.Store
	drs   *fakeDRS
	logs  *syncBuffer
	// token is an admin token that do sends unless told otherwise.
	token string
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newTestEnvWith(t, st)
}

func newTestEnvWith(t *testing.T, st store.Store) *testEnv {
	t.Helper()
	e := &testEnv{t: t, store: st, drs: &fakeDRS{}, logs: &syncBuffer{}}
	e.srv = New(Options{
		Store:         st,
		DRS:           e.drs,
		DefaultRegion: "us-east-1",
		Logger:        slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:           func() time.Time { return testNow },
	})
	e.token = authtest.AdminToken(t, st)
	return e
}

// do sends one request. body is nil for none, a string for raw JSON, or a
// value to encode; hdr are header name and value pairs.
func (e *testEnv) do(method, path string, body any, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(bodyBytes(e.t, body))
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// bodyBytes is a request body: a string as it is, or a value encoded.
func bodyBytes(t *testing.T, body any) []byte {
	t.Helper()
	switch b := body.(type) {
	case string:
		return []byte(b)
	case []byte:
		return b
	}
	j, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// decodeRec decodes a recorded response body into a T.
func decodeRec[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	return v
}

// must sends a request that has to answer status, and decodes its body
// into a T.
func must[T any](e *testEnv, status int, method, path string, body any, hdr ...string) T {
	e.t.Helper()
	rec := e.do(method, path, body, hdr...)
	if rec.Code != status {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, rec.Code, status, rec.Body)
	}
	return decodeRec[T](e.t, rec)
}

// snapshot returns every stored group and plan, to show that a refused
// request changed nothing.
func (e *testEnv) snapshot() string {
	e.t.Helper()
	ctx := context.Background()
	groups, err := e.srv.allGroups(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	plans, err := e.srv.allPlans(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"groups": groups, "plans": plans}, "", " ")
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// sid returns a well-formed source server ID.
func sid(n int) string { return fmt.Sprintf("s-%017x", n) }

// fakeDRS serves a fixed inventory per region.
type fakeDRS struct {
	mu      sync.Mutex
	servers map[string][]drs.SourceServer // by region
	calls   []string                      // "account/region"
	err     error
}

func (f *fakeDRS) SourceServers(ctx context.Context, accountID, region string) ([]drs.SourceServer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, accountID+"/"+region)
	if f.err != nil {
		return nil, f.err
	}
	return append([]drs.SourceServer(nil), f.servers[region]...), nil
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// group builds a group request body.
func group(name string, ids ...string) plan.ProtectionGroup {
	return plan.ProtectionGroup{Name: name, Region: "us-east-1", SourceServerIDs: ids}
}

func ptr[T any](v T) *T { return &v }

// handler returns the API's handler, for tests that serve it for real.
func (e *testEnv) handler() http.Handler { return e.srv.Handler() }
