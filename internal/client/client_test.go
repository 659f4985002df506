package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
)

// seen is one request the test server received.
type seen struct {
	Method, Path, Query, IfMatch, ContentType, Auth, Body string
}

// fakeAPI answers with canned responses and records what it was asked.
type fakeAPI struct {
	t        *testing.T
	requests []seen
	answer   func(w http.ResponseWriter, r *http.Request)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.requests = append(f.requests, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		IfMatch: r.Header.Get("If-Match"), ContentType: r.Header.Get("Content-Type"),
		Auth: r.Header.Get("Authorization"), Body: strings.TrimSpace(string(body))})
	f.answer(w, r)
}

func newTestClient(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*Client, *fakeAPI) {
	t.Helper()
	f := &fakeAPI{t: t, answer: answer}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func TestListGroupsFollowsPages(t *testing.T) {
	c, f := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("nextToken") {
		case "":
			writeJSON(w, 200, map[string]any{"items": []plan.ProtectionGroup{{ID: "pg-1", Name: "a"}}, "nextToken": "t1"})
		case "t1":
			writeJSON(w, 200, map[string]any{"items": []plan.ProtectionGroup{{ID: "pg-2", Name: "b"}}})
		}
	})
	got, err := c.AllGroups(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]plan.ProtectionGroup{{ID: "pg-1", Name: "a"}, {ID: "pg-2", Name: "b"}}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	want := []seen{
		{Method: "GET", Path: "/api/v1/protection-groups", Query: "limit=1000"},
		{Method: "GET", Path: "/api/v1/protection-groups", Query: "limit=1000&nextToken=t1"},
	}
	if diff := cmp.Diff(want, f.requests); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

func TestAllStopsOnARepeatedToken(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"items": []plan.RecoveryPlan{}, "nextToken": "same"})
	})
	if _, err := c.AllPlans(t.Context()); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Errorf("AllPlans = %v, want an error about the repeated token", err)
	}
}

func TestGroupWrites(t *testing.T) {
	stored := plan.ProtectionGroup{ID: "pg-1", Name: "db", Region: "us-east-1", Version: 2,
		ServerSelector: &plan.Selector{Tags: map[string]string{"tier": "db"}}}
	c, f := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", strconv.Quote(fmt.Sprint(stored.Version)))
		switch r.Method {
		case "POST":
			writeJSON(w, 201, stored)
		case "DELETE":
			w.WriteHeader(204)
		default:
			writeJSON(w, 200, stored)
		}
	})
	c.Token = "secret"
	ctx := t.Context()
	in := stored
	in.ID, in.Version = "ignored", 9 // only the definition is sent

	got, etag, err := c.CreateGroup(ctx, in)
	if err != nil || etag != `"2"` || got.ID != "pg-1" {
		t.Errorf("CreateGroup = %+v, %q, %v", got, etag, err)
	}
	if _, etag, err = c.GetGroup(ctx, "pg-1"); err != nil || etag != `"2"` {
		t.Errorf("GetGroup ETag = %q, %v", etag, err)
	}
	if _, _, err = c.UpdateGroup(ctx, "pg-1", in, ETag(2)); err != nil {
		t.Errorf("UpdateGroup: %v", err)
	}
	if err = c.DeleteGroup(ctx, "pg-1", ETag(3)); err != nil {
		t.Errorf("DeleteGroup: %v", err)
	}
	body := `{"name":"db","region":"us-east-1","serverSelector":{"tags":{"tier":"db"}}}`
	auth := "Bearer secret"
	want := []seen{
		{Method: "POST", Path: "/api/v1/protection-groups", ContentType: "application/json", Auth: auth, Body: body},
		{Method: "GET", Path: "/api/v1/protection-groups/pg-1", Auth: auth},
		{Method: "PUT", Path: "/api/v1/protection-groups/pg-1", IfMatch: `"2"`, ContentType: "application/json",
			Auth: auth, Body: body},
		{Method: "DELETE", Path: "/api/v1/protection-groups/pg-1", IfMatch: `"3"`, Auth: auth},
	}
	if diff := cmp.Diff(want, f.requests); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

func TestPlanBody(t *testing.T) {
	c, f := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, plan.RecoveryPlan{}) })
	p := plan.RecoveryPlan{ID: "rp-1", Name: "shop", RTOMinutes: 5, Version: 4,
		Waves: []plan.Wave{{Name: "w", ProtectionGroupIDs: []string{"pg-1"}, DependsOn: []string{}}}}
	if _, _, err := c.CreatePlan(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	want := `{"name":"shop","rtoMinutes":5,"waves":[{"name":"w","protectionGroupIds":["pg-1"],"dependsOn":[]}]}`
	if got := f.requests[0].Body; got != want {
		t.Errorf("body = %s\nwant   %s", got, want)
	}
}

func TestListSourceServersQuery(t *testing.T) {
	c, f := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"items": []map[string]any{
			{"sourceServerId": "s-1", "lagSeconds": 30, "protectionGroupId": "pg-1", "someNewField": true},
		}})
	})
	page, err := c.ListSourceServers(t.Context(), ServerFilter{Region: "us-east-1", State: "CONTINUOUS",
		Tags: map[string]string{"tier": "db", "app": "shop"}}, ListOptions{Limit: 10, NextToken: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]SourceServer{{ID: "s-1", LagSeconds: 30, ProtectionGroupID: "pg-1"}}, page.Items); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	want := "limit=10&nextToken=x&region=us-east-1&state=CONTINUOUS&tag=app%3Dshop&tag=tier%3Ddb"
	if got := f.requests[0].Query; got != want {
		t.Errorf("query = %s\nwant    %s", got, want)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   *Error
	}{
		{
			name:   "validation",
			status: 400,
			body: `{"error":{"code":"invalid","message":"unknown wave \"x\"","field":"waves[1].dependsOn[0]",` +
				`"details":[{"code":"unknown_wave","message":"unknown wave \"x\"","field":"waves[1].dependsOn[0]"}]}}`,
			want: &Error{StatusCode: 400, Code: "invalid", Message: `unknown wave "x"`, Field: "waves[1].dependsOn[0]",
				Details: []plan.FieldError{{Code: "unknown_wave", Message: `unknown wave "x"`, Field: "waves[1].dependsOn[0]"}}},
		},
		{
			name:   "stale",
			status: 412,
			body:   `{"error":{"code":"precondition_failed","message":"changed","field":"If-Match"}}`,
			want:   &Error{StatusCode: 412, Code: "precondition_failed", Message: "changed", Field: "If-Match"},
		},
		{
			name:   "not the API",
			status: 502,
			body:   "<html>bad gateway</html>",
			want:   &Error{StatusCode: 502, Code: "http_502", Message: "<html>bad gateway</html>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, _, err := c.GetPlan(t.Context(), "rp-1")
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if ErrorCode(err) != tt.want.Code {
				t.Errorf("ErrorCode = %q, want %q", ErrorCode(err), tt.want.Code)
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, bad := range []string{"127.0.0.1:8080", "ftp://x", "http://", "://"} {
		if _, err := New(bad, nil); err == nil {
			t.Errorf("New(%q) = nil error", bad)
		}
	}
	c, err := New("http://127.0.0.1:1/prefix/", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.AllGroups(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("AllGroups on a cancelled context = %v", err)
	}
}

func TestPathPrefixAndEscaping(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.EscapedPath()
		writeJSON(w, 200, plan.ProtectionGroup{})
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/drs/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GetGroup(t.Context(), "a/b"); err != nil {
		t.Fatal(err)
	}
	if want := "/drs/api/v1/protection-groups/a%2Fb"; path != want {
		t.Errorf("path = %s, want %s", path, want)
	}
}
