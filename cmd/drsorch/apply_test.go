package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
)

// fakeResources is one collection of the fake API: groups or plans.
type fakeResources[T any] struct {
	prefix string
	items  map[string]*T
	// fields returns pointers to a resource's ID, name and version.
	fields    func(*T) (*string, *string, *int64)
	normalize func(T) T
}

// planAPIFake is a small in-memory stand-in for drsorch's REST API:
// groups and plans with names, versions, ETags, pages of two and refusals
// on demand. It records every write.
type planAPIFake struct {
	mu     sync.Mutex
	groups fakeResources[plan.ProtectionGroup]
	plans  fakeResources[plan.RecoveryPlan]
	next   int
	writes []string
	// refuse answers writes of the named objects with a validation error
	// whose details are these.
	refuse map[string][]plan.FieldError
}

func newPlanAPIFake(t *testing.T) (*planAPIFake, string) {
	t.Helper()
	f := &planAPIFake{
		groups: fakeResources[plan.ProtectionGroup]{prefix: plan.PrefixGroup, items: map[string]*plan.ProtectionGroup{},
			fields:    func(g *plan.ProtectionGroup) (*string, *string, *int64) { return &g.ID, &g.Name, &g.Version },
			normalize: plan.NormalizeGroup},
		plans: fakeResources[plan.RecoveryPlan]{prefix: plan.PrefixPlan, items: map[string]*plan.RecoveryPlan{},
			fields:    func(p *plan.RecoveryPlan) (*string, *string, *int64) { return &p.ID, &p.Name, &p.Version },
			normalize: plan.NormalizePlan},
		refuse: map[string][]plan.FieldError{},
	}
	mux := http.NewServeMux()
	routes(f, mux, "/api/v1/protection-groups", &f.groups)
	routes(f, mux, "/api/v1/recovery-plans", &f.plans)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func fakeError(w http.ResponseWriter, status int, code, msg string, details []plan.FieldError) {
	body := map[string]any{"code": code, "message": msg}
	if len(details) > 0 {
		body["field"], body["details"] = details[0].Field, details
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": body})
}

func fakeJSON(w http.ResponseWriter, status int, version int64, v any) {
	w.Header().Set("Content-Type", "application/json")
	if version > 0 {
		w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(version, 10)))
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func routes[T any](f *planAPIFake, mux *http.ServeMux, path string, rs *fakeResources[T]) {
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var all []T
		for _, it := range rs.items {
			all = append(all, *it)
		}
		slices.SortFunc(all, func(a, b T) int {
			_, na, _ := rs.fields(&a)
			_, nb, _ := rs.fields(&b)
			return cmp.Compare(*na, *nb)
		})
		start, _ := strconv.Atoi(r.URL.Query().Get("nextToken"))
		end := min(start+2, len(all))
		body := map[string]any{"items": append([]T{}, all[start:end]...)}
		if end < len(all) {
			body["nextToken"] = strconv.Itoa(end)
		}
		fakeJSON(w, 200, 0, body)
	})
	mux.HandleFunc("GET "+path+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		it, ok := rs.items[r.PathValue("id")]
		if !ok {
			fakeError(w, 404, "not_found", "not found", nil)
			return
		}
		_, _, v := rs.fields(it)
		fakeJSON(w, 200, *v, it)
	})
	write := func(w http.ResponseWriter, r *http.Request, id string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var in T
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			fakeError(w, 400, "invalid", err.Error(), nil)
			return
		}
		inID, name, _ := rs.fields(&in)
		f.writes = append(f.writes, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", r.Method, path, *name, r.Header.Get("If-Match"))))
		if d := f.refuse[*name]; d != nil {
			fakeError(w, 400, "invalid", d[0].Message, d)
			return
		}
		if *inID != "" {
			fakeError(w, 400, "invalid", "the client sent an id", nil)
			return
		}
		version := int64(1)
		if id == "" {
			for _, it := range rs.items {
				if _, n, _ := rs.fields(it); *n == *name {
					fakeError(w, 409, "conflict", "name taken", nil)
					return
				}
			}
			f.next++
			id = fmt.Sprintf("%s%d", rs.prefix, f.next)
		} else {
			cur, ok := rs.items[id]
			if !ok {
				fakeError(w, 404, "not_found", "not found", nil)
				return
			}
			_, _, v := rs.fields(cur)
			if r.Header.Get("If-Match") != strconv.Quote(strconv.FormatInt(*v, 10)) {
				fakeError(w, 412, "precondition_failed", "stale", nil)
				return
			}
			version = *v + 1
		}
		out := rs.normalize(in)
		oid, _, ov := rs.fields(&out)
		*oid, *ov = id, version
		rs.items[id] = &out
		fakeJSON(w, 200, version, out)
	}
	mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) { write(w, r, "") })
	mux.HandleFunc("PUT "+path+"/{id}", func(w http.ResponseWriter, r *http.Request) { write(w, r, r.PathValue("id")) })
}

// takeWrites returns the writes recorded since the last call.
func (f *planAPIFake) takeWrites() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.writes
	f.writes = nil
	return w
}

// runCLI runs the command line and returns its exit code and output lines,
// stdout's then stderr's.
func runCLI(t *testing.T, args ...string) (int, []string, []string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, &stdout, &stderr)
	code := 0
	var ee exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		t.Fatalf("%s: %v\n%s", args[0], err, stderr.String())
	}
	return code, lines(stdout.String()), lines(stderr.String())
}

func lines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestApplyExportApply(t *testing.T) {
	f, url := newPlanAPIFake(t)

	code, out, errs := runCLI(t, "apply", "-f", "../../examples/shop.yaml", "--server", url)
	want := []string{
		"protection-group/shop-db created",
		"protection-group/shop-app created",
		"protection-group/shop-web created",
		"recovery-plan/shop created",
	}
	if code != 0 || errs != nil {
		t.Fatalf("apply: exit %d, stderr %q", code, errs)
	}
	if diff := gocmp.Diff(want, out); diff != "" {
		t.Errorf("first apply mismatch (-want +got):\n%s", diff)
	}
	// The plan reaches the server with group IDs, not names.
	var waves [][]string
	for _, p := range f.plans.items {
		for _, w := range p.Waves {
			waves = append(waves, w.ProtectionGroupIDs)
		}
	}
	if diff := gocmp.Diff([][]string{{"pg-1"}, {"pg-2"}, {"pg-3"}}, waves); diff != "" {
		t.Errorf("plan waves mismatch (-want +got):\n%s", diff)
	}
	f.takeWrites()

	unchanged := []string{
		"protection-group/shop-db unchanged",
		"protection-group/shop-app unchanged",
		"protection-group/shop-web unchanged",
		"recovery-plan/shop unchanged",
	}
	_, out, _ = runCLI(t, "apply", "-f", "../../examples/shop.yaml", "--server", url)
	if diff := gocmp.Diff(unchanged, out); diff != "" {
		t.Errorf("second apply mismatch (-want +got):\n%s", diff)
	}
	if w := f.takeWrites(); w != nil {
		t.Errorf("an unchanged apply wrote %q", w)
	}

	exported := filepath.Join(t.TempDir(), "export.yaml")
	if code, _, errs := runCLI(t, "export", "--server", url, "-o", exported); code != 0 || errs != nil {
		t.Fatalf("export: exit %d, stderr %q", code, errs)
	}
	_, out, _ = runCLI(t, "apply", "-f", exported, "--server", url)
	sorted := []string{ // export sorts by name
		"protection-group/shop-app unchanged",
		"protection-group/shop-db unchanged",
		"protection-group/shop-web unchanged",
		"recovery-plan/shop unchanged",
	}
	if diff := gocmp.Diff(sorted, out); diff != "" {
		t.Errorf("apply of the export mismatch (-want +got):\n%s", diff)
	}
	if w := f.takeWrites(); w != nil {
		t.Errorf("applying the export wrote %q", w)
	}

	// An edited file updates what changed, at the version it read.
	data, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "pauseBefore: true", "pauseBefore: false", 1)
	edited = strings.Replace(edited, "the web tier", "the front tier", 1)
	path := writePlanFile(t, "edited.yaml", edited)
	_, out, _ = runCLI(t, "apply", "-f", path, "--server", url)
	want = []string{
		"protection-group/shop-app unchanged",
		"protection-group/shop-db unchanged",
		"protection-group/shop-web updated",
		"recovery-plan/shop updated",
	}
	if diff := gocmp.Diff(want, out); diff != "" {
		t.Errorf("apply of an edit mismatch (-want +got):\n%s", diff)
	}
	wantWrites := []string{
		`PUT /api/v1/protection-groups shop-web "1"`,
		`PUT /api/v1/recovery-plans shop "1"`,
	}
	if diff := gocmp.Diff(wantWrites, f.takeWrites()); diff != "" {
		t.Errorf("writes mismatch (-want +got):\n%s", diff)
	}
}

func TestExportFormat(t *testing.T) {
	_, url := newPlanAPIFake(t)
	file := writePlanFile(t, "in.yaml", `kind: ProtectionGroup
name: db
region: eu-west-1
sourceServerIds: [s-0123456789abcdef1, s-0123456789abcdef0]
---
kind: RecoveryPlan
name: p
waves:
  - {name: one, protectionGroups: [db]}
`)
	if code, _, errs := runCLI(t, "apply", "-f", file, "--server", url); code != 0 {
		t.Fatalf("apply: exit %d: %q", code, errs)
	}
	_, out, _ := runCLI(t, "export", "--server", url)
	want := []string{
		"kind: ProtectionGroup",
		"name: db",
		"region: eu-west-1",
		"sourceServerIds:",
		"  - s-0123456789abcdef0",
		"  - s-0123456789abcdef1",
		"---",
		"kind: RecoveryPlan",
		"name: p",
		"waves:",
		"  - name: one",
		"    protectionGroups: [db]",
		"    dependsOn: []",
		"    failurePolicy: stop",
		"    minSuccessPercent: 100",
	}
	if diff := gocmp.Diff(want, out); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestApplyRefusals(t *testing.T) {
	tests := []struct {
		name    string
		server  []plan.ProtectionGroup // stored before the apply
		refuse  map[string][]plan.FieldError
		file    string
		want    []string // stdout
		wantErr []string // stderr
		writes  []string
	}{
		{
			name: "invalid file changes nothing",
			file: `kind: ProtectionGroup
name: db
region: us-east-1
serverSelector: {tags: {}}
---
kind: RecoveryPlan
name: p
waves: [{name: w, protectionGroups: [nope]}]
`,
			wantErr: []string{
				`ProtectionGroup "db": serverSelector.tags: a server selector needs at least one tag; an empty one would match nothing (selector_empty)`,
				`RecoveryPlan "p": waves[0].protectionGroupIds[0]: unknown protection group "nope" (unknown_group)`,
				"2 problems; nothing was changed",
			},
		},
		{
			name:   "a server claimed by a group of the server",
			server: []plan.ProtectionGroup{{Name: "old", Region: "us-east-1", SourceServerIDs: []string{"s-0123456789abcdef0"}}},
			file:   "kind: ProtectionGroup\nname: new\nregion: us-east-1\nsourceServerIds: [s-0123456789abcdef0]\n",
			wantErr: []string{
				`ProtectionGroup "new": sourceServerIds[0]: source server "s-0123456789abcdef0" is in protection groups "new" and "old" (server_in_other_group)`,
				"1 problem; nothing was changed",
			},
		},
		{
			name:   "a plan may name a group of the server",
			server: []plan.ProtectionGroup{{Name: "old", Region: "us-east-1", SourceServerIDs: []string{"s-0123456789abcdef0"}}},
			file:   "kind: RecoveryPlan\nname: p\nwaves: [{name: w, protectionGroups: [old]}]\n",
			want:   []string{"recovery-plan/p created"},
			writes: []string{"POST /api/v1/recovery-plans p"},
		},
		{
			name: "the server's refusal, detail by detail",
			refuse: map[string][]plan.FieldError{"p": {
				{Code: "quota", Field: "waves", Message: "too big"},
				{Code: "other", Field: "name", Message: "also bad"},
			}},
			file: `kind: ProtectionGroup
name: db
region: us-east-1
serverSelector: {tags: {tier: db}}
---
kind: RecoveryPlan
name: p
waves: [{name: w, protectionGroups: [db]}]
`,
			want:    []string{"protection-group/db created"},
			wantErr: []string{`RecoveryPlan "p": waves: too big (quota)`, `RecoveryPlan "p": name: also bad (other)`},
			writes:  []string{"POST /api/v1/protection-groups db", "POST /api/v1/recovery-plans p"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, url := newPlanAPIFake(t)
			for _, g := range tt.server {
				f.next++
				g.ID, g.Version = fmt.Sprint(plan.PrefixGroup, "s", f.next), 1
				f.groups.items[g.ID] = &g
			}
			f.refuse = tt.refuse
			code, out, errs := runCLI(t, "apply", "-f", writePlanFile(t, "in.yaml", tt.file), "--server", url)
			wantCode := 0
			if tt.wantErr != nil {
				wantCode = 1
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
			if diff := gocmp.Diff(tt.want, out); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(tt.wantErr, errs); diff != "" {
				t.Errorf("stderr mismatch (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(tt.writes, f.takeWrites()); diff != "" {
				t.Errorf("writes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyServerFromEnvironment(t *testing.T) {
	_, url := newPlanAPIFake(t)
	t.Setenv("DRSORCH_SERVER", url)
	file := writePlanFile(t, "in.yaml", "kind: ProtectionGroup\nname: db\nregion: us-east-1\nserverSelector: {tags: {a: b}}\n")
	_, out, _ := runCLI(t, "apply", "-f", file)
	if diff := gocmp.Diff([]string{"protection-group/db created"}, out); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
