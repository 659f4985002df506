package main

import (
	"errors"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// TestApplyExportApplyRealAPI runs apply, export and apply again against
// the real REST handler on an SQLite store: what export writes must apply
// as unchanged, which holds only if the API stores exactly the normalized
// definitions that apply compares.
func TestApplyExportApplyRealAPI(t *testing.T) {
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.New(api.Options{Store: st, DefaultRegion: "us-east-1"}).Handler())
	t.Cleanup(srv.Close)
	t.Setenv("DRSORCH_TOKEN", authtest.AdminToken(t, st))

	code, out, errs := runCLI(t, "apply", "-f", "../../examples/shop.yaml", "--server", srv.URL)
	if code != 0 {
		t.Fatalf("apply: exit %d: %q", code, errs)
	}
	want := []string{
		"protection-group/shop-db created",
		"protection-group/shop-app created",
		"protection-group/shop-web created",
		"recovery-plan/shop created",
	}
	if diff := gocmp.Diff(want, out); diff != "" {
		t.Errorf("first apply mismatch (-want +got):\n%s", diff)
	}

	exported := filepath.Join(t.TempDir(), "export.yaml")
	if code, _, errs := runCLI(t, "export", "--server", srv.URL, "-o", exported); code != 0 {
		t.Fatalf("export: exit %d: %q", code, errs)
	}
	for _, file := range []string{"../../examples/shop.yaml", exported} {
		_, out, _ := runCLI(t, "apply", "-f", file, "--server", srv.URL)
		if len(out) != 4 {
			t.Errorf("apply %s printed %q", file, out)
		}
		for _, line := range out {
			if !strings.HasSuffix(line, " unchanged") {
				t.Errorf("apply %s: %s, want unchanged", file, line)
			}
		}
	}

	// An edit updates the plan, at the version apply read.
	data, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "minSuccessPercent: 60", "minSuccessPercent: 70", 1)
	code, out, errs = runCLI(t, "apply", "-f", writePlanFile(t, "edited.yaml", edited), "--server", srv.URL)
	if code != 0 || out[len(out)-1] != "recovery-plan/shop updated" {
		t.Errorf("apply of an edit: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	// The client reads the API's validation answer field by field.
	c, err := client.New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Token = os.Getenv("DRSORCH_TOKEN")
	_, _, err = c.CreateGroup(t.Context(), plan.ProtectionGroup{Name: "x", Region: "moon-1",
		SourceServerIDs: []string{"s-1"}})
	var ae *client.Error
	if !errors.As(err, &ae) {
		t.Fatalf("create an invalid group: %v, want a *client.Error", err)
	}
	wantErr := &client.Error{StatusCode: 400, Code: "invalid", Field: "region", Details: []plan.FieldError{
		{Code: plan.CodeRegionInvalid, Field: "region"},
		{Code: plan.CodeServerIDInvalid, Field: "sourceServerIds[0]"},
	}}
	if diff := gocmp.Diff(wantErr, ae, cmpopts.IgnoreFields(client.Error{}, "Message"),
		cmpopts.IgnoreFields(plan.FieldError{}, "Message")); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestApplyMovesServersRealAPI(t *testing.T) {
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.New(api.Options{Store: st, DefaultRegion: "us-east-1"}).Handler())
	t.Cleanup(srv.Close)
	t.Setenv("DRSORCH_TOKEN", authtest.AdminToken(t, st))

	const x, y, z = "s-0000000000000000a", "s-0000000000000000b", "s-0000000000000000c"
	file := func(a, b, c string) string {
		group := func(name, ids string) string {
			if ids == "" {
				return ""
			}
			return "---\nkind: ProtectionGroup\nname: " + name + "\nregion: us-east-1\n" +
				"serverSelector: {tags: {group: " + name + "}}\nsourceServerIds: [" + ids + "]\n"
		}
		return group("a", a) + group("b", b) + group("c", c)
	}
	steps := []struct {
		name    string
		a, b, c string
		want    []string
	}{
		{
			name: "start", a: x + "," + z, b: y,
			want: []string{"protection-group/a created", "protection-group/b created"},
		},
		{
			name: "swap between existing groups", a: y + "," + z, b: x,
			want: []string{"protection-group/a updated", "protection-group/b updated"},
		},
		{
			name: "move to a new group", a: y, b: x, c: z,
			want: []string{"protection-group/a updated", "protection-group/b unchanged", "protection-group/c created"},
		},
	}
	for _, s := range steps {
		code, out, errs := runCLI(t, "apply", "-f", writePlanFile(t, "groups.yaml", file(s.a, s.b, s.c)),
			"--server", srv.URL)
		if code != 0 {
			t.Fatalf("%s: exit %d: %q", s.name, code, errs)
		}
		if diff := gocmp.Diff(s.want, out); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", s.name, diff)
		}
	}
	got := map[string][]string{}
	for _, name := range []string{"a", "b", "c"} {
		g, err := st.GetGroupByName(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		got[name] = g.SourceServerIDs
	}
	if diff := gocmp.Diff(map[string][]string{"a": {y}, "b": {x}, "c": {z}}, got); diff != "" {
		t.Errorf("groups mismatch (-want +got):\n%s", diff)
	}
}
