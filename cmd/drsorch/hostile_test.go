package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// hostileApp is the wired app (API, UI, engine not started) on a SQLite
// file and an in-process emulator, and an admin token for it.
func hostileApp(t *testing.T) (*app, *drssim.Sim, string) {
	t.Helper()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_ENDPOINT_URL_DRS": ""} {
		t.Setenv(k, v)
	}
	sim := drssim.New(drssim.Options{Servers: 20, Seed: 5})
	a, err := newApp(t.Context(), appConfig{
		Store:         "sqlite:" + filepath.Join(t.TempDir(), "drsorch.db"),
		Region:        "us-east-1",
		DRSEndpoint:   "http://drs.local",
		DRSHTTPClient: &http.Client{Transport: sim.Transport()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	token, _, err := auth.ForStore(a.store).CreateToken(t.Context(), "reliability", auth.RoleAdmin, 24*time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	return a, sim, token
}

// snapshot is everything a request could have changed, as JSON.
func snapshot(t *testing.T, st store.Store) string {
	t.Helper()
	ctx := context.Background()
	all := store.ListOptions{Limit: 1000}
	gs, err := st.ListGroups(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := st.ListPlans(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	es, err := st.ListExecutions(ctx, store.ExecutionFilter{}, all)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"groups": gs, "plans": ps, "executions": es}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHostileRequests sends the real handler requests no client should
// send: each gets a clear 4xx with an error code (or, for a path that is
// not clean, the mux's redirect to the clean path) and changes nothing.
func TestHostileRequests(t *testing.T) {
	a, sim, token := hostileApp(t)
	send := func(method, target, ctype string, body []byte, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		a.mux.ServeHTTP(rec, req)
		return rec
	}
	created := func(path string, v any) map[string]any {
		b, _ := json.Marshal(v)
		rec := send("POST", path, "application/json", b)
		if rec.Code != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		var out map[string]any
		json.Unmarshal(rec.Body.Bytes(), &out)
		return out
	}
	srv := sim.Servers()
	g := created("/api/v1/protection-groups", plan.ProtectionGroup{Name: "db", Region: "us-east-1",
		SourceServerIDs: []string{srv[0].ID, srv[1].ID}})
	gid := g["id"].(string)
	p := created("/api/v1/recovery-plans", plan.RecoveryPlan{Name: "shop",
		Waves: []plan.Wave{{Name: "db", ProtectionGroupIDs: []string{gid}}}})
	pid := p["id"].(string)

	nested := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	manyWaves := func(n int) []byte {
		ws := make([]plan.Wave, n)
		for i := range ws {
			ws[i] = plan.Wave{Name: fmt.Sprintf("w%d", i), ProtectionGroupIDs: []string{gid}}
		}
		b, _ := json.Marshal(plan.RecoveryPlan{Name: "many", Waves: ws})
		return b
	}
	group := func(name string) []byte {
		b, _ := json.Marshal(plan.ProtectionGroup{Name: name, Region: "us-east-1", SourceServerIDs: []string{srv[2].ID}})
		return b
	}
	planWith := func(field string) []byte {
		return []byte(`{"name": "x", "waves": [{"name": "w", "protectionGroupIds": ["` + gid + `"], ` + field + `}]}`)
	}
	const js = "application/json"
	tests := []struct {
		name, method, target, ctype string
		body                        []byte
		hdr                         []string
		status                      int
		code                        string // error code; empty for a redirect
	}{
		{"body over 1 MiB", "POST", "/api/v1/protection-groups", js,
			[]byte(`{"name": "` + strings.Repeat("x", 2<<20) + `"}`), nil, 413, "too_large"},
		{"10,000 nested arrays", "POST", "/api/v1/recovery-plans", js,
			[]byte(`{"name": "n", "waves": ` + nested + `}`), nil, 400, "invalid"},
		{"10,000 nested arrays as the body", "POST", "/api/v1/protection-groups", js, []byte(nested), nil, 400, "invalid"},
		{"nested objects in an unknown field", "POST", "/api/v1/protection-groups", js,
			[]byte(`{"x": ` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat("}", 5000) + `}`), nil, 400, "invalid"},
		{"invalid UTF-8 in a name", "POST", "/api/v1/protection-groups", js,
			[]byte("{\"name\": \"db\xff\xfe\", \"region\": \"us-east-1\", \"sourceServerIds\": [\"" + srv[3].ID + "\"]}"), nil, 400, "invalid"},
		{"NUL in a name", "POST", "/api/v1/protection-groups", js, group("a\u0000b"), nil, 400, "invalid"},
		{"text/plain", "POST", "/api/v1/protection-groups", "text/plain", group("web"), nil, 415, "unsupported_media_type"},
		{"no content type", "POST", "/api/v1/protection-groups", "", group("web"), nil, 415, "unsupported_media_type"},
		{"form", "POST", "/api/v1/recovery-plans", "application/x-www-form-urlencoded", []byte("name=x"), nil, 415, "unsupported_media_type"},
		{"bad media type", "POST", "/api/v1/protection-groups", "application/json; ===", group("web"), nil, 415, "unsupported_media_type"},
		{"duplicate key", "POST", "/api/v1/protection-groups", js,
			[]byte(`{"name": "web", "name": "db", "region": "us-east-1", "sourceServerIds": ["` + srv[4].ID + `"]}`), nil, 400, "invalid"},
		{"duplicate key deep", "POST", "/api/v1/recovery-plans", js, planWith(`"name": "v"`), nil, 400, "invalid"},
		{"rto 1e400", "POST", "/api/v1/recovery-plans", js,
			[]byte(`{"name": "x", "rtoMinutes": 1e400, "waves": [{"name": "w", "protectionGroupIds": ["` + gid + `"]}]}`), nil, 400, "invalid"},
		{"rto -1", "POST", "/api/v1/recovery-plans", js,
			[]byte(`{"name": "x", "rtoMinutes": -1, "waves": [{"name": "w", "protectionGroupIds": ["` + gid + `"]}]}`), nil, 400, "invalid"},
		{"rto 2^63", "POST", "/api/v1/recovery-plans", js,
			[]byte(`{"name": "x", "rtoMinutes": 9223372036854775808, "waves": [{"name": "w", "protectionGroupIds": ["` + gid + `"]}]}`), nil, 400, "invalid"},
		{"minSuccessPercent 2^63-1", "POST", "/api/v1/recovery-plans", js, planWith(`"minSuccessPercent": 9223372036854775807`), nil, 400, "invalid"},
		{"minSuccessPercent 1.5", "POST", "/api/v1/recovery-plans", js, planWith(`"minSuccessPercent": 1.5`), nil, 400, "invalid"},
		{"launchTimeoutMinutes 1e400", "POST", "/api/v1/recovery-plans", js, planWith(`"launchTimeoutMinutes": 1e400`), nil, 400, "invalid"},
		{"launchTimeoutMinutes -1", "POST", "/api/v1/recovery-plans", js, planWith(`"launchTimeoutMinutes": -1`), nil, 400, "invalid"},
		{"launchTimeoutMinutes 1441", "POST", "/api/v1/recovery-plans", js, planWith(`"launchTimeoutMinutes": 1441`), nil, 400, "invalid"},
		{"hook timeout 2^63", "POST", "/api/v1/recovery-plans", js,
			planWith(`"hooks": {"before": [{"url": "http://127.0.0.1/", "timeoutSeconds": 9223372036854775808}]}`), nil, 400, "invalid"},
		{"5,000 waves", "POST", "/api/v1/recovery-plans", js, manyWaves(5000), nil, 400, "invalid"},
		{"name of 129 characters", "POST", "/api/v1/protection-groups", js, group(strings.Repeat("n", 129)), nil, 400, "invalid"},
		{"name of 100,000 characters", "POST", "/api/v1/protection-groups", js, group(strings.Repeat("é", 100000)), nil, 400, "invalid"},
		{"plan name of 300,000 bytes", "POST", "/api/v1/recovery-plans", js,
			[]byte(`{"name": "` + strings.Repeat("p", 300000) + `", "waves": [{"name": "w", "protectionGroupIds": ["` + gid + `"]}]}`), nil, 400, "invalid"},
		{"empty body", "POST", "/api/v1/protection-groups", js, nil, nil, 400, "invalid"},
		{"two values", "POST", "/api/v1/protection-groups", js, append(group("a"), group("b")...), nil, 400, "invalid"},
		{"unknown field", "POST", "/api/v1/protection-groups", js, []byte(`{"name": "web", "region": "us-east-1", "admin": true}`), nil, 400, "invalid"},
		{"array for an object", "POST", "/api/v1/protection-groups", js, []byte(`[]`), nil, 400, "invalid"},
		{"put without If-Match", "PUT", "/api/v1/protection-groups/" + gid, js, group("db2"), nil, 428, "precondition_required"},
		{"put with a stale If-Match", "PUT", "/api/v1/protection-groups/" + gid, js, group("db2"), []string{"If-Match", `"7"`}, 412, "precondition_failed"},
		{"put with a garbage If-Match", "PUT", "/api/v1/protection-groups/" + gid, js, group("db2"), []string{"If-Match", strings.Repeat("\"9", 1000)}, 412, "precondition_failed"},
		{"delete with If-Match of 2^64", "DELETE", "/api/v1/recovery-plans/" + pid, "", nil, []string{"If-Match", `"18446744073709551616"`}, 412, "precondition_failed"},
		{"limit -1", "GET", "/api/v1/recovery-plans?limit=-1", "", nil, nil, 400, "invalid"},
		{"limit 0", "GET", "/api/v1/recovery-plans?limit=0", "", nil, nil, 400, "invalid"},
		{"limit 2^63", "GET", "/api/v1/recovery-plans?limit=9223372036854775808", "", nil, nil, 400, "invalid"},
		{"limit 1001", "GET", "/api/v1/protection-groups?limit=1001", "", nil, nil, 400, "invalid"},
		{"limit twice", "GET", "/api/v1/protection-groups?limit=1&limit=2", "", nil, nil, 400, "invalid"},
		{"limit word", "GET", "/api/v1/executions?limit=ten", "", nil, nil, 400, "invalid"},
		{"nextToken garbage", "GET", "/api/v1/recovery-plans?nextToken=%00%ff", "", nil, nil, 400, "invalid"},
		{"nextToken huge", "GET", "/api/v1/executions?nextToken=" + strings.Repeat("A", 8000), "", nil, nil, 400, "invalid"},
		{"status filter unknown", "GET", "/api/v1/executions?status=EXPLODED", "", nil, nil, 400, "invalid"},
		{"events after -5", "GET", "/api/v1/executions/ex-none/events?after=-5", "", nil, nil, 400, "invalid"},
		{"dot-dot in an ID", "GET", "/api/v1/recovery-plans/..%2f..%2fprotection-groups", "", nil, nil, 404, "not_found"},
		{"encoded slash in an ID", "GET", "/api/v1/protection-groups/" + gid + "%2fx", "", nil, nil, 404, "not_found"},
		{"encoded dot-dot segment", "DELETE", "/api/v1/recovery-plans/%2e%2e", "", nil, []string{"If-Match", `"1"`}, 404, "not_found"},
		{"ID of 10,000 characters", "GET", "/api/v1/recovery-plans/rp-" + strings.Repeat("a", 10000), "", nil, nil, 404, "not_found"},
		{"start with an unknown mode", "POST", "/api/v1/recovery-plans/" + pid + "/executions", js, []byte(`{"mode": "chaos"}`), nil, 400, "invalid"},
		{"start with a point in time of year 99999", "POST", "/api/v1/recovery-plans/" + pid + "/executions", js,
			[]byte(`{"mode": "drill", "pointInTime": "99999-01-01T00:00:00Z"}`), nil, 400, "invalid"},
		{"method not allowed", "PATCH", "/api/v1/recovery-plans/" + pid, js, []byte(`{}`), nil, 405, ""},
		// A path that is not clean: the mux redirects to the clean one,
		// which the client must then ask for (and nothing changes).
		{"dot-dot path", "DELETE", "/api/v1/recovery-plans/../protection-groups/" + gid, "", nil, []string{"If-Match", `"1"`}, 307, ""},
		{"double slash", "POST", "/api/v1//recovery-plans", js, group("x"), nil, 307, ""},
		{"percent-encoded dot-dot path", "DELETE", "/api/v1/recovery-plans/%2e%2e/%2e%2e/protection-groups/" + gid, "", nil, []string{"If-Match", `"1"`}, 404, "not_found"},
	}
	before := snapshot(t, a.store)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := send(tt.method, tt.target, tt.ctype, tt.body, tt.hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %.300s", rec.Code, tt.status, rec.Body)
			}
			if tt.code == "" {
				return
			}
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("body %.300q is not an error document: %v", rec.Body, err)
			}
			if e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("error %+v, want code %q with a message", e.Error, tt.code)
			}
		})
	}
	if diff := cmp.Diff(before, snapshot(t, a.store)); diff != "" {
		t.Errorf("hostile requests changed the store (-before +after):\n%s", diff)
	}
	// The handler still serves.
	if rec := send("GET", "/api/v1/recovery-plans/"+pid, "", nil); rec.Code != 200 {
		t.Errorf("GET plan after the barrage: %d", rec.Code)
	}
	io.Discard.Write(nil)
}
