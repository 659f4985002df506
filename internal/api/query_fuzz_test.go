package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// queryRoutes are the GET routes that read query parameters or headers.
var queryRoutes = []string{
	"/api/v1/protection-groups",
	"/api/v1/recovery-plans",
	"/api/v1/executions",
	"/api/v1/source-servers",
	"/api/v1/executions/ex-0000000000000000/events",
}

// FuzzQuery sends arbitrary query strings and Last-Event-ID headers to
// the list and event routes: every answer is a 200 list or a 4xx error
// document with a code, never a 500 or a panic.
func FuzzQuery(f *testing.F) {
	for _, seed := range []struct {
		route       uint8
		query, last string
	}{
		{0, "limit=10", ""},
		{1, "limit=1&nextToken=eyJsIjoicGxhbnMiLCJuIjoiYSJ9", ""},
		{2, "planId=rp-1&status=RUNNING&status=FAILED&limit=1000", ""},
		{3, "region=us-east-1&tag=tier=db&tag=env=prod&state=CONTINUOUS&groupId=pg-1", ""},
		{4, "after=3", ""},
		{4, "", "17"},
		{4, "nextToken=-1", "x"},
		{2, "limit=%ff&nextToken=%00", ""},
		{0, "limit=1e3&limit=2", ""},
		{3, "tag=&tag==&tag=a=b=c", ""},
	} {
		f.Add(seed.route, seed.query, seed.last)
	}
	st, err := sqlitestore.Open(context.Background(), ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	srv := New(Options{
		Store:         st,
		DRS:           &fakeDRS{},
		DefaultRegion: "us-east-1",
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executions:    execution.New(execution.Options{Store: st, Logger: slog.New(slog.DiscardHandler)}),
		// Fuzzing sends requests faster than any person.
		Limiter: auth.NewLimiter(0, 0, nil),
	})
	h := srv.Handler()
	token := authtest.AdminToken(f, st)
	f.Fuzz(func(t *testing.T, route uint8, query, last string) {
		path := queryRoutes[int(route)%len(queryRoutes)]
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = path
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+token)
		if last != "" {
			req.Header["Last-Event-ID"] = []string{last}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK:
			var body struct {
				Items []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Items == nil {
				t.Fatalf("GET %s?%s: 200 with %q", path, query, rec.Body)
			}
		case rec.Code >= 400 && rec.Code < 500:
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("GET %s?%s: %d with %q, want an error document", path, query, rec.Code, rec.Body)
			}
		default:
			t.Fatalf("GET %s?%s (Last-Event-ID %q): %d %s", path, query, last, rec.Code, strings.TrimSpace(rec.Body.String()))
		}
	})
}
