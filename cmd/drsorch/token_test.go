package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/store"
)

// binaryToken makes an admin token with the built binary's token command
// on storeSpec and returns it.
func binaryToken(t *testing.T, bin, storeSpec string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "token", "create", "--role", "admin", "--name", "test", "--store", storeSpec)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("token create: %v\n%s", err, &stderr)
	}
	tok := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(tok, auth.TokenPrefix) {
		t.Fatalf("token create printed %q", tok)
	}
	return tok
}

func TestTokenCommand(t *testing.T) {
	spec := "sqlite:" + filepath.Join(t.TempDir(), "drsorch.db")
	code, out, errs := runCLI(t, "token", "create", "--role", "drill-operator", "--name", "ci", "--expires", "2h", "--store", spec)
	if code != 0 || len(out) != 1 || !strings.HasPrefix(out[0], auth.TokenPrefix) {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	tok := out[0]
	id := tok[len(auth.TokenPrefix):][:12]

	_, out, _ = runCLI(t, "token", "list", "--store", spec)
	if f := strings.Fields(out[len(out)-1]); len(out) != 2 || len(f) != 6 || f[0] != id || f[1] != "ci" ||
		f[2] != "drill-operator" || f[5] != "active" {
		t.Errorf("list: %q", out)
	}
	if strings.Contains(strings.Join(out, "\n"), tok) {
		t.Error("list shows the token's secret")
	}
	if code, _, errs := runCLI(t, "token", "revoke", id, "--store", spec); code != 0 {
		t.Fatalf("revoke: exit %d %q", code, errs)
	}
	_, out, _ = runCLI(t, "token", "list", "--store", spec)
	if len(out) != 2 || !strings.Contains(out[1], "revoked") {
		t.Errorf("list after revoke: %q", out)
	}

	for _, args := range [][]string{
		{"token", "create", "--role", "root", "--name", "x", "--store", spec},
		{"token", "create", "--role", "admin", "--store", spec},
		{"token", "revoke", "--store", spec},
		{"token", "revoke", "nosuchtoken0", "--store", spec},
		{"token", "frobnicate"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestDemoTokenKept checks that a restarted demo signs in with the token
// of its data folder, and makes a new one when that one was revoked.
func TestDemoTokenKept(t *testing.T) {
	data := t.TempDir()
	d1, _ := startDemo(t, fastDemo(t, data))
	if !d1.freshToken {
		t.Error("the first demo did not make its token")
	}
	b, err := os.ReadFile(filepath.Join(data, "admin-token"))
	if err != nil || strings.TrimSpace(string(b)) != d1.token {
		t.Fatalf("admin-token file %q (%v), want the demo's token", b, err)
	}
	if fi, err := os.Stat(filepath.Join(data, "admin-token")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-token mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	tok, fresh, err := demoToken(t.Context(), d1.auth, filepath.Join(data, "admin-token"))
	if err != nil || fresh || tok != d1.token {
		t.Errorf("second start: token kept %v, fresh %v (%v)", tok == d1.token, fresh, err)
	}
	if err := d1.auth.RevokeToken(t.Context(), d1.token[len(auth.TokenPrefix):][:12]); err != nil {
		t.Fatal(err)
	}
	tok, fresh, err = demoToken(t.Context(), d1.auth, filepath.Join(data, "admin-token"))
	if err != nil || !fresh || tok == d1.token {
		t.Errorf("after revocation: a new token %v, fresh %v (%v)", tok != d1.token, fresh, err)
	}
}

// TestAuditOfDrill runs a drill through the CLI and finds in the audit
// trail who started it, from where, and every DRS call the engine made
// for it, with their batches and jobs.
func TestAuditOfDrill(t *testing.T) {
	d, url := startDemo(t, fastDemo(t, t.TempDir()))
	var out, errOut bytes.Buffer
	if err := runRun(t.Context(), []string{"shop", "--mode", "drill", "--wait", "--server", url}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, &errOut)
	}
	id, _, _ := strings.Cut(out.String(), "\n")
	as := d.store.(store.AuditStore)
	page, err := as.ListAudit(t.Context(), store.AuditFilter{}, store.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	starts, calls := 0, 0
	for _, e := range page.Items {
		switch e.Action {
		case "POST /api/v1/recovery-plans/{id}/executions":
			starts++
			if !strings.HasPrefix(e.Actor, "demo admin (") || e.Status != 202 || e.ExecutionID != id ||
				!strings.HasPrefix(e.RemoteAddr, "127.0.0.1:") {
				t.Errorf("start entry %+v", e)
			}
		case "drs:StartRecovery":
			calls++
			if !strings.HasPrefix(e.Actor, "engine ") || e.ExecutionID != id || e.BatchID == "" ||
				!strings.HasPrefix(e.JobID, "drsjob-") || e.Outcome != "ok" {
				t.Errorf("engine entry %+v", e)
			}
		}
	}
	if starts != 1 || calls < 3 {
		t.Errorf("%d start entries and %d StartRecovery entries, want 1 and at least 3 (one a wave)", starts, calls)
	}
}
