package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// wantUIAccess is the role each page and form needs, written out so that
// a route whose access changes, or one added without a decision, fails
// here. "mode" forms need drill-operator for a drill and
// recovery-operator for a recovery.
var wantUIAccess = map[string]auth.Role{
	"GET /static/":              "",
	"GET /signin":               "",
	"POST /signin":              "",
	"GET /signin/oidc":          "",
	"GET /signin/oidc/callback": "",
	"POST /signout":             auth.RoleViewer,
	"GET /{$}":                  auth.RoleViewer,
	"GET /servers":              auth.RoleViewer,
	"POST /servers/tag-sync":    auth.RoleAdmin,
	"GET /groups":               auth.RoleViewer,
	"GET /groups/new":           auth.RoleViewer,
	"POST /groups/new":          auth.RoleAdmin,
	"GET /groups/{id}":          auth.RoleViewer,
	"POST /groups/{id}":         auth.RoleAdmin,
	"POST /groups/{id}/apply-launch-settings": auth.RoleAdmin,
	"GET /plans":                                 auth.RoleViewer,
	"GET /plans/new":                             auth.RoleViewer,
	"POST /plans/new":                            auth.RoleAdmin,
	"GET /plans/{id}":                            auth.RoleViewer,
	"GET /plans/{id}/edit":                       auth.RoleViewer,
	"GET /plans/{id}/predict":                    auth.RoleViewer,
	"POST /plans/{id}/edit":                      auth.RoleAdmin,
	"POST /plans/{id}/start":                     "mode",
	"GET /executions":                            auth.RoleViewer,
	"GET /executions/{id}":                       auth.RoleViewer,
	"POST /executions/{id}/waves/{wave}/approve": "mode",
	"POST /executions/{id}/{action}":             "mode",
	"/":                                          auth.RoleViewer,
}

// TestEveryPageEveryRole requests every page and posts every form of the
// UI as every kind of caller: without a session, with a malformed one,
// one whose token expired or was revoked, and one signed out (all sent to
// the sign-in page), and signed in with each role (403 below the route's
// role, allowed from it up). Forms without the session's CSRF token are
// refused whatever the role.
func TestEveryPageEveryRole(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	drill := e.startDrill()
	recovery := e.startRecovery()

	sessions := map[auth.Role]string{}
	for _, r := range auth.Roles {
		sessions[r] = e.signIn(r)
	}
	as := e.store.(store.AuthStore)
	past := auth.New(auth.Options{Store: as, Now: func() time.Time { return time.Now().Add(-48 * time.Hour) }})
	old, _, err := past.CreateToken(ctx, "old", auth.RoleAdmin, time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	expired, _, _, err := past.SignIn(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	revokedTok := authtest.Token(t, e.store, auth.RoleAdmin)
	revoked, _, _, err := auth.ForStore(e.store).SignIn(ctx, revokedTok)
	if err != nil {
		t.Fatal(err)
	}
	if err := as.RevokeToken(ctx, revokedTok[len(auth.TokenPrefix):][:12], time.Now()); err != nil {
		t.Fatal(err)
	}
	signedOut := e.signIn(auth.RoleAdmin)
	if err := auth.ForStore(e.store).SignOut(ctx, signedOut); err != nil {
		t.Fatal(err)
	}
	noSession := map[string]string{"none": "", "malformed": "drss_nonsense",
		"expired": expired, "revoked": revoked, "signed out": signedOut}

	type request struct {
		name, method, path string
		form               url.Values
		need               auth.Role
	}
	var reqs []request
	for _, rt := range e.web.Routes() {
		if !rt.Access.Set() {
			t.Errorf("%s is registered without an access", rt.Pattern)
		}
		need, ok := wantUIAccess[rt.Pattern]
		if !ok {
			t.Errorf("%s is missing from wantUIAccess", rt.Pattern)
			continue
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if path == "" {
			method, path = "GET", "/no-such-page"
		}
		fill := func(exec string) string {
			p := strings.NewReplacer("{$}", "", "{wave}", "application", "{action}", "pause").Replace(path)
			switch {
			case strings.HasPrefix(p, "/static/"):
				p += "app.css"
			case strings.HasPrefix(p, "/executions/"):
				p = strings.Replace(p, "{id}", exec, 1)
			case strings.HasPrefix(p, "/groups/"):
				p = strings.Replace(p, "{id}", e.db.ID, 1)
			default:
				p = strings.Replace(p, "{id}", e.plan.ID, 1)
			}
			return p
		}
		form := url.Values{"confirm": {"yes"}}
		switch {
		case need != "mode":
			reqs = append(reqs, request{rt.Pattern, method, fill(drill), form, need})
		case strings.HasSuffix(path, "/start"):
			for _, m := range []string{plan.ModeDrill, plan.ModeRecovery, "bogus"} {
				reqs = append(reqs, request{rt.Pattern + " " + m, method, fill(""),
					url.Values{"mode": {m}, "confirm": {e.plan.Name}}, auth.ModeRole(m)})
			}
		default:
			reqs = append(reqs, request{rt.Pattern + " drill", method, fill(drill), form, auth.RoleDrillOperator},
				request{rt.Pattern + " recovery", method, fill(recovery), form, auth.RoleRecoveryOperator})
		}
	}

	send := func(rq request, session string, csrf bool) *httptest.ResponseRecorder {
		t.Helper()
		var req *http.Request
		if rq.method == "POST" {
			f := url.Values{}
			for k, v := range rq.form {
				f[k] = v
			}
			if csrf {
				f.Set("_csrf", auth.CSRFToken(session))
			}
			req = httptest.NewRequest("POST", rq.path, strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest("GET", rq.path, nil)
		}
		if session != "" {
			req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: session})
		}
		rec := httptest.NewRecorder()
		e.web.Handler().ServeHTTP(rec, req)
		return rec
	}
	toSignIn := func(rec *httptest.ResponseRecorder) bool {
		return rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/signin")
	}
	for _, rq := range reqs {
		if rq.need == "" {
			// Public: reachable without a session (the sign-in form's
			// own answers are tested with it).
			if rec := send(rq, "", false); toSignIn(rec) && rq.path != "/signin" {
				t.Errorf("%s without a session: sent to sign in", rq.name)
			}
			continue
		}
		for name, session := range noSession {
			if rec := send(rq, session, true); !toSignIn(rec) {
				t.Errorf("%s, %s session: status %d, Location %q; want 303 to /signin",
					rq.name, name, rec.Code, rec.Header().Get("Location"))
			}
		}
		if rq.method == "POST" {
			if rec := send(rq, sessions[auth.RoleAdmin], false); rec.Code != http.StatusForbidden {
				t.Errorf("%s as admin without the CSRF token: status %d, want 403", rq.name, rec.Code)
			}
		}
		for _, role := range auth.Roles {
			session := sessions[role]
			if rq.name == "POST /signout" {
				// Signing out ends the session; use one of its own.
				session = e.signIn(role)
			}
			rec := send(rq, session, true)
			allowed := role.Allows(rq.need)
			switch {
			case allowed && rq.name == "POST /signout":
				if !strings.Contains(rec.Header().Get("Set-Cookie"), "Max-Age=0") {
					t.Errorf("sign out as %s: Set-Cookie %q, want the cookie cleared", role, rec.Header().Get("Set-Cookie"))
				}
			case allowed && (rec.Code == 403 || toSignIn(rec)):
				t.Errorf("%s as %s: status %d, want it allowed", rq.name, role, rec.Code)
			case !allowed && rec.Code != http.StatusForbidden:
				t.Errorf("%s as %s: status %d, want 403", rq.name, role, rec.Code)
			}
		}
	}
}
