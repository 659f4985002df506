package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

func TestUnauthenticatedAnswer(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		authz, wantChallenge string
	}{
		{"", `Bearer realm="drsorch"`},
		{"Bearer drs_nope", `Bearer realm="drsorch", error="invalid_token"`},
	} {
		rec := e.do("GET", groupsPath, nil, "Authorization", tc.authz)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", rec.Code)
		}
		if got := rec.Header().Get("WWW-Authenticate"); got != tc.wantChallenge {
			t.Errorf("WWW-Authenticate %q, want %q", got, tc.wantChallenge)
		}
		if b := decodeRec[errorBody](t, rec); b.Error.Code != CodeUnauthenticated {
			t.Errorf("error code %q, want %q", b.Error.Code, CodeUnauthenticated)
		}
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/healthz", groupsPath, "/api/v1/nothing"} {
		for _, authz := range []string{"", "Bearer " + e.token} {
			rec := e.do("GET", path, nil, "Authorization", authz)
			h := rec.Header()
			got := map[string]string{}
			for _, k := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
				got[k] = h.Get(k)
			}
			want := map[string]string{"Content-Security-Policy": ContentSecurityPolicy,
				"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("GET %s: headers mismatch (-want +got):\n%s", path, d)
			}
		}
	}
	if !strings.Contains(ContentSecurityPolicy, "frame-ancestors 'none'") || strings.Contains(ContentSecurityPolicy, "unsafe-inline") {
		t.Errorf("policy %q", ContentSecurityPolicy)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	e := newTestEnv(t)
	now := testNow
	e.srv = New(Options{Store: e.store, DRS: e.drs, Now: func() time.Time { return testNow },
		Limiter: auth.NewLimiter(1, 3, func() time.Time { return now })})
	other := e.token
	viewer := authtest.Token(t, e.store, auth.RoleViewer)
	for i := range 3 {
		if rec := e.do("GET", groupsPath, nil); rec.Code != http.StatusOK {
			t.Fatalf("request %d: status %d", i, rec.Code)
		}
	}
	rec := e.do("GET", groupsPath, nil)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("4th request: status %d, Retry-After %q; want 429 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Another token has its own bucket; time refills this one.
	e.token = viewer
	if rec := e.do("GET", groupsPath, nil); rec.Code != http.StatusOK {
		t.Errorf("another token: status %d", rec.Code)
	}
	e.token = other
	now = now.Add(time.Second)
	if rec := e.do("GET", groupsPath, nil); rec.Code != http.StatusOK {
		t.Errorf("after a second: status %d", rec.Code)
	}
}

// tokenOf creates a token of role through the API.
func tokenOf(t *testing.T, e *testEnv, role auth.Role) string {
	t.Helper()
	out := must[tokenJSON](e, http.StatusCreated, "POST", tokensPath,
		map[string]string{"name": "t-" + string(role), "role": string(role)})
	return out.Token
}

func TestTokenRoutes(t *testing.T) {
	e := newTestEnv(t)
	rec := e.do("POST", tokensPath, map[string]string{"name": "ci", "role": "drill-operator", "expiresIn": "2h"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: status %d %s", rec.Code, rec.Body)
	}
	created := decodeRec[tokenJSON](t, rec)
	if !strings.HasPrefix(created.Token, auth.TokenPrefix) || !strings.HasPrefix(created.Token[4:], created.ID) {
		t.Errorf("token %q of ID %q", created.Token, created.ID)
	}
	if strings.Contains(rec.Body.String(), `"hash"`) || rec.Header().Get("Location") != tokensPath+"/"+created.ID {
		t.Errorf("answer %s, Location %q", rec.Body, rec.Header().Get("Location"))
	}
	for _, bad := range []struct{ body, field string }{
		{`{"name": "x", "role": "root"}`, "role"},
		{`{"name": "", "role": "viewer"}`, "name"},
		{`{"name": "x", "role": "viewer", "expiresIn": "-1h"}`, "expiresIn"},
	} {
		rec := e.do("POST", tokensPath, bad.body)
		if b := decodeRec[errorBody](t, rec); rec.Code != 400 || b.Error.Field != bad.field {
			t.Errorf("%s: status %d field %q, want 400 %q", bad.body, rec.Code, b.Error.Field, bad.field)
		}
	}

	// The new token works, lists without its secret, and stops at revocation.
	if rec := e.do("GET", groupsPath, nil, "Authorization", "Bearer "+created.Token); rec.Code != 200 {
		t.Errorf("new token: status %d", rec.Code)
	}
	list := must[listBody[tokenJSON]](e, 200, "GET", tokensPath, nil)
	if len(list.Items) != 2 || list.Items[1].ID != created.ID || list.Items[1].Token != "" {
		t.Errorf("list %+v", list.Items)
	}
	if rec := e.do("DELETE", tokensPath+"/"+created.ID, nil); rec.Code != http.StatusNoContent {
		t.Errorf("revoke: status %d", rec.Code)
	}
	if rec := e.do("DELETE", tokensPath+"/nosuchtoken0", nil); rec.Code != http.StatusNotFound {
		t.Errorf("revoke unknown: status %d", rec.Code)
	}
	if rec := e.do("GET", groupsPath, nil, "Authorization", "Bearer "+created.Token); rec.Code != 401 {
		t.Errorf("revoked token: status %d, want 401", rec.Code)
	}
}

func TestAuditOfRequests(t *testing.T) {
	e := newTestEnv(t)
	tick := testNow
	e.srv = New(Options{Store: e.store, DRS: e.drs, Now: func() time.Time {
		tick = tick.Add(time.Second)
		return tick
	}})
	viewer := tokenOf(t, e, auth.RoleViewer)
	g := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", groupsPath, group("db", sid(1)))
	e.do("DELETE", groupsPath+"/"+g.ID, nil, "Authorization", "Bearer "+viewer)
	e.do("GET", groupsPath, nil) // reads are not audited

	page := must[listBody[store.AuditEntry]](e, 200, "GET", auditPath, nil)
	type row struct {
		Actor, Action, Target, RemoteAddr, Outcome string
		Status                                     int
	}
	var got []row
	for _, a := range page.Items {
		if a.RequestID == "" || a.ID == "" {
			t.Errorf("entry %+v lacks an ID or request ID", a)
		}
		// Actors carry the token ID; compare the names.
		name, _, _ := strings.Cut(a.Actor, " (")
		got = append(got, row{name, a.Action, a.Target, a.RemoteAddr, a.Outcome, a.Status})
	}
	addr := "192.0.2.1:1234" // httptest's remote address
	want := []row{
		{"t-viewer", "DELETE /api/v1/protection-groups/{id}", groupsPath + "/" + g.ID, addr, "refused", 403},
		{"test-admin", "POST /api/v1/protection-groups", groupsPath, addr, "ok", 201},
		{"test-admin", "POST /api/v1/tokens", tokensPath, addr, "ok", 201},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit mismatch (-want +got):\n%s", d)
	}

	// Filters and pages.
	one := must[listBody[store.AuditEntry]](e, 200, "GET", auditPath+"?action=POST+/api/v1/protection-groups", nil)
	if len(one.Items) != 1 || one.Items[0].Status != 201 {
		t.Errorf("by action: %+v", one.Items)
	}
	p1 := must[listBody[store.AuditEntry]](e, 200, "GET", auditPath+"?limit=2", nil)
	if len(p1.Items) != 2 || p1.NextToken == "" {
		t.Fatalf("first page: %d items, next %q", len(p1.Items), p1.NextToken)
	}
	future := must[listBody[store.AuditEntry]](e, 200, "GET", auditPath+"?from=2200-01-01T00:00:00Z", nil)
	if len(future.Items) != 0 {
		t.Errorf("from the future: %d items", len(future.Items))
	}
	for _, q := range []string{"to=yesterday", "from=3000-01-01T00:00:00Z"} {
		if rec := e.do("GET", auditPath+"?"+q, nil); rec.Code != 400 {
			t.Errorf("%s: status %d, want 400", q, rec.Code)
		}
	}
}

func TestRecoveryStartLogsWarn(t *testing.T) {
	e := newExecEnv(t)
	e.start("recovery")
	if !strings.Contains(e.logs.String(), `level=WARN msg="recovery started"`) ||
		!strings.Contains(e.logs.String(), "by=\"test-admin (") {
		t.Errorf("log lacks the recovery warning:\n%s", e.logs)
	}
}

// TestNoTokensInLogs sends good and bad tokens with the debug log on and
// finds none of them in it.
func TestNoTokensInLogs(t *testing.T) {
	e := newTestEnv(t)
	bad := "drs_" + strings.Repeat("x", 43)
	e.do("GET", groupsPath, nil)
	e.do("GET", groupsPath+"?token="+e.token, nil, "Authorization", "Bearer "+bad)
	e.do("POST", tokensPath, map[string]string{"name": "n", "role": "viewer"})
	e.srv.log.Debug("flush")
	logs := e.logs.String()
	if !strings.Contains(logs, "msg=request") {
		t.Fatalf("no request lines logged:\n%s", logs)
	}
	for _, secret := range []string{e.token, bad, e.token[len(auth.TokenPrefix):]} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log shows a token:\n%s", logs)
		}
	}
}
