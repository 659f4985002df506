package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/oidctest"
	"github.com/drsorch/drsorch/internal/store"
)

// TestOIDCSignIn signs in through a fake provider: the start redirects
// there with a state kept in a cookie, the callback with that state opens
// a session of the role the groups claim maps to, and one with another
// state opens none.
func TestOIDCSignIn(t *testing.T) {
	e := newEnv(t)
	idp := oidctest.New(t)
	o, err := auth.NewOIDC(t.Context(), auth.OIDCConfig{Issuer: idp.URL, ClientID: "drsorch", ClientSecret: "s3cret",
		RedirectURL: "http://example.com/signin/oidc/callback", RoleClaim: "groups",
		Roles: map[string]auth.Role{"sre": auth.RoleDrillOperator}})
	if err != nil {
		t.Fatal(err)
	}
	ui, err := New(Options{Store: e.store, Executions: e.exec, Definitions: e.api, Servers: e.web.servers,
		DefaultRegion: "us-east-1", OIDC: o})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		ui.Handler().ServeHTTP(rec, req)
		return rec
	}
	if rec := serve(httptest.NewRequest("GET", "/signin", nil)); !strings.Contains(rec.Body.String(), `id="signin-oidc"`) {
		t.Error("the sign-in page offers no identity provider")
	}

	start := func() (state, nonce string, cookie *http.Cookie) {
		rec := serve(httptest.NewRequest("GET", "/signin/oidc", nil))
		loc, err := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), idp.URL+"/authorize?") {
			t.Fatalf("start: status %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		for _, c := range rec.Result().Cookies() {
			if c.Name == oidcCookie {
				cookie = c
			}
		}
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
			t.Fatalf("start: cookie %+v", cookie)
		}
		return loc.Query().Get("state"), loc.Query().Get("nonce"), cookie
	}
	callback := func(state string, cookie *http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/signin/oidc/callback?code=c1&state="+url.QueryEscape(state), nil)
		req.AddCookie(cookie)
		return serve(req)
	}

	state, nonce, cookie := start()
	idp.Next(map[string]any{"iss": idp.URL, "aud": "drsorch", "sub": "u1", "email": "ann@example.com",
		"exp": time.Now().Add(time.Minute).Unix(), "nonce": nonce, "groups": []any{"sre"}}, nil)
	if rec := callback("forged", cookie); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Header().Get("Set-Cookie"), auth.SessionCookie+"=drss_") {
		t.Errorf("forged state: status %d, Set-Cookie %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
	rec := callback(state, cookie)
	var session string
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.SessionCookie && c.Value != "" {
			session = c.Value
		}
	}
	if rec.Code != http.StatusOK || session == "" || !strings.Contains(rec.Body.String(), "ann@example.com (drill-operator)") {
		t.Fatalf("callback: status %d, session %v:\n%s", rec.Code, session != "", rec.Body)
	}

	// The session works, with the mapped role: a drill-operator may not
	// edit groups.
	req := httptest.NewRequest("GET", "/plans", nil)
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: session})
	if rec := serve(req); rec.Code != http.StatusOK {
		t.Errorf("a page with the provider's session: status %d", rec.Code)
	}
	req = formRequest("/groups/new", url.Values{"_csrf": {auth.CSRFToken(session)}, "name": {"x"}})
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: session})
	if rec := serve(req); rec.Code != http.StatusForbidden {
		t.Errorf("a group form as drill-operator: status %d, want 403", rec.Code)
	}
	page, err := e.store.(store.AuditStore).ListAudit(t.Context(), store.AuditFilter{Action: "GET /signin/oidc/callback"}, store.ListOptions{})
	if err != nil || len(page.Items) != 2 || page.Items[0].Actor != "ann@example.com (oidc:u1)" || page.Items[1].Outcome != "refused" {
		t.Errorf("audit of the callbacks: %+v, %v", page.Items, err)
	}
}
