package web

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/store"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	token := authtest.Token(t, e.store, auth.RoleViewer)
	for _, tc := range []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantTo     string
		tls        bool
	}{
		{"link", httptest.NewRequest("GET", "/signin?token="+url.QueryEscape(token), nil), 303, "/", false},
		{"link to a page", httptest.NewRequest("GET", "/signin?next=%2Fplans&token="+url.QueryEscape(token), nil), 303, "/plans", false},
		{"form", formRequest("/signin", url.Values{"token": {token}, "next": {"/executions"}}), 303, "/executions", false},
		{"form over TLS", formRequest("/signin", url.Values{"token": {token}}), 303, "/", true},
		{"behind a TLS load balancer", withHeader(formRequest("/signin", url.Values{"token": {token}}), "X-Forwarded-Proto", "https"), 303, "/", true},
		{"elsewhere", formRequest("/signin", url.Values{"token": {token}, "next": {"//evil.example/x"}}), 303, "/", false},
		{"wrong token", formRequest("/signin", url.Values{"token": {token + "x"}}), 401, "", false},
		{"another site's form", withOrigin(formRequest("/signin", url.Values{"token": {token}}), "https://evil.example"), 403, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tls && tc.req.Header.Get("X-Forwarded-Proto") == "" {
				tc.req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			e.web.Handler().ServeHTTP(rec, tc.req)
			if rec.Code != tc.wantStatus || rec.Header().Get("Location") != tc.wantTo {
				t.Fatalf("status %d to %q, want %d to %q", rec.Code, rec.Header().Get("Location"), tc.wantStatus, tc.wantTo)
			}
			cookie := rec.Header().Get("Set-Cookie")
			if tc.wantStatus != 303 {
				if cookie != "" {
					t.Errorf("refused sign-in set a cookie: %q", cookie)
				}
				return
			}
			for _, want := range []string{auth.SessionCookie + "=drss_", "HttpOnly", "SameSite=Strict", "Path=/"} {
				if !strings.Contains(cookie, want) {
					t.Errorf("Set-Cookie %q lacks %q", cookie, want)
				}
			}
			if got := strings.Contains(cookie, "Secure"); got != tc.tls {
				t.Errorf("Set-Cookie %q: Secure %v, want %v", cookie, got, tc.tls)
			}
			if strings.Contains(cookie, token) {
				t.Errorf("the cookie carries the API token")
			}
		})
	}
}

func formRequest(path string, form url.Values) *http.Request {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func withHeader(r *http.Request, k, v string) *http.Request {
	r.Header.Set(k, v)
	return r
}

func withOrigin(r *http.Request, origin string) *http.Request {
	r.Header.Set("Origin", origin)
	return r
}

// TestFormsCarryTheSessionCSRFToken checks that every form of a page has
// the session's token, and that a page of one session is no use in
// another.
func TestFormsCarryTheSessionCSRFToken(t *testing.T) {
	e := newEnv(t)
	id := e.startDrill()
	_, page := e.get("/executions/" + id)
	tokens := page.attrs("value")
	if strings.Contains(string(page), "csrf-placeholder") {
		t.Fatal("the page still has the placeholder")
	}
	forms := strings.Count(string(page), "<form")
	n := strings.Count(string(page), `name="_csrf" value="`+auth.CSRFToken(e.session)+`"`)
	if forms == 0 || n != forms {
		t.Errorf("%d forms, %d with the session's CSRF token (values %v)", forms, n, tokens)
	}
	other := e.signIn(auth.RoleAdmin)
	rec, _ := e.serve(withCookie(formRequest("/executions/"+id+"/pause",
		url.Values{"confirm": {"yes"}, "_csrf": {auth.CSRFToken(e.session)}}), other))
	if rec.Code != http.StatusForbidden {
		t.Errorf("another session's token: status %d, want 403", rec.Code)
	}
}

func withCookie(r *http.Request, session string) *http.Request {
	r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: session})
	return r
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/signin", "/static/app.css", "/nowhere"} {
		rec, _ := e.get(path)
		h := rec.Header()
		if h.Get("Content-Security-Policy") == "" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s: headers %v", path, h)
		}
	}
}

// TestSignInAudited finds sign-ins, by link and by form, refused or not,
// in the audit trail, without the token.
func TestSignInAudited(t *testing.T) {
	e := newEnv(t)
	token := authtest.Token(t, e.store, auth.RoleViewer)
	// Straight to the handler: e.serve would add the env's session.
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/signin?token="+url.QueryEscape(token), nil),
		formRequest("/signin", url.Values{"token": {"drs_wrong"}}),
	} {
		e.web.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}
	page, err := e.store.(store.AuditStore).ListAudit(t.Context(), store.AuditFilter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range page.Items {
		name, _, _ := strings.Cut(a.Actor, " (")
		got = append(got, fmt.Sprintf("%s %s %d %s", name, a.Action, a.Status, a.Outcome))
		if strings.Contains(a.Target, token) || strings.Contains(a.Action, token) {
			t.Errorf("entry %+v shows the token", a)
		}
	}
	want := []string{"anonymous POST /signin 401 refused", "test-viewer GET /signin?token= 303 ok"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit mismatch (-want +got):\n%s", d)
	}
}
