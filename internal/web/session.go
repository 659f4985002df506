package web

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/store"
)

// caller names who acts, for execution events: the signed-in principal.
func caller(r *http.Request) string {
	if a := requestAuth(r.Context()); a != nil && a.ok {
		return a.p.String()
	}
	return ""
}

// reqAuth is what the guard learned of a request's caller; sign-in fills
// it in for the audit record.
type reqAuth struct {
	ok     bool
	p      auth.Principal
	secret string // the session cookie's value, for the CSRF token
}

type reqAuthKey struct{}

func requestAuth(ctx context.Context) *reqAuth {
	a, _ := ctx.Value(reqAuthKey{}).(*reqAuth)
	return a
}

// allows reports whether the signed-in caller of r has at least the role
// need, so that a page offers only the actions its reader may take.
func allows(r *http.Request, need auth.Role) bool {
	a := requestAuth(r.Context())
	return a != nil && a.ok && a.p.Role.Allows(need)
}

// guard authenticates a request by its session cookie and rate-limits it
// by its token; pages (not forms, which are checked once their body is
// read) are authorized here too. Without a session, a page redirects to
// the sign-in page.
func (s *Server) guard(access auth.Access, form bool, next http.Handler) http.Handler {
	if !access.Set() {
		access = auth.Admin
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := &reqAuth{}
		r = r.WithContext(context.WithValue(r.Context(), reqAuthKey{}, a))
		if c, err := r.Cookie(auth.SessionCookie); err == nil {
			p, err := s.auth.Session(r.Context(), c.Value)
			switch {
			case err == nil:
				a.ok, a.p, a.secret = true, p, c.Value
			case !errors.Is(err, auth.ErrUnauthenticated):
				s.adapt(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
				return
			}
		}
		if access.Public {
			next.ServeHTTP(w, r)
			return
		}
		if !a.ok {
			to := "/signin"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if ok, wait := s.limiter.Allow(a.p.TokenID); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			s.renderError(w, r, http.StatusTooManyRequests, "Too many requests; wait a moment and try again.")
			return
		}
		if !form {
			if err := s.authorize(r, access); err != nil {
				s.adapt(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authorize checks the caller's role against access.
func (s *Server) authorize(r *http.Request, access auth.Access) error {
	a := requestAuth(r.Context())
	err := auth.Authorize(a.p, access, r)
	if errors.Is(err, auth.ErrForbidden) {
		return pageError(http.StatusForbidden, "Your role, %s, does not allow this.", a.p.Role)
	}
	return err
}

// checkForm checks a posted form: it must come from one of our own pages
// (the session's CSRF token, compared in constant time; for the sign-in
// form, which precedes any session, the Origin header), and the caller's
// role must allow it.
func (s *Server) checkForm(r *http.Request, access auth.Access) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return pageError(http.StatusForbidden, "The form was posted from another site.")
		}
	}
	if access.Public {
		return nil
	}
	a := requestAuth(r.Context())
	if !auth.CheckCSRF(a.secret, r.PostForm.Get("_csrf")) {
		return pageError(http.StatusForbidden, "The form has expired or did not come from this site; reload the page and try again.")
	}
	return s.authorize(r, access)
}

// startAccess decides the role a start form needs from its mode.
var startAccess = auth.Access{Decide: func(r *http.Request) (auth.Role, error) {
	return auth.ModeRole(r.PostForm.Get("mode")), nil
}}

// audited records every posted form and its outcome in the audit trail.
func (s *Server) audited(pattern string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		e := store.AuditEntry{
			Time:       s.now(),
			Actor:      caller(r),
			Action:     pattern,
			Target:     r.URL.Path,
			RemoteAddr: r.RemoteAddr,
			Status:     sw.status,
			Outcome:    api.Outcome(sw.status),
		}
		if e.Actor == "" {
			e.Actor = "anonymous"
		}
		if strings.HasPrefix(pattern, "POST /executions/{id}") {
			e.ExecutionID = r.PathValue("id")
		} else if id, ok := strings.CutPrefix(sw.Header().Get("Location"), "/executions/"); ok {
			e.ExecutionID = id
		}
		s.audit.Record(r.Context(), e)
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// csrfPlaceholder is what the _csrf partial renders; render replaces it
// with the session's token. Escaped page content never contains "<input",
// so only the partial's output is replaced.
var csrfPlaceholder = []byte(`<input type="hidden" name="_csrf" value="csrf-placeholder">`)

// fillCSRF puts the request's CSRF token into every form of a page.
func fillCSRF(r *http.Request, page []byte) []byte {
	a := requestAuth(r.Context())
	tok := ""
	if a != nil && a.ok {
		tok = auth.CSRFToken(a.secret)
	}
	input := []byte(`<input type="hidden" name="_csrf" value="` + tok + `">`)
	return bytes.ReplaceAll(page, csrfPlaceholder, input)
}

// signInData is the data of the sign-in page.
type signInData struct {
	layout
	Next string
	// OIDC offers sign-in through the identity provider.
	OIDC bool
}

// localPath returns next if it is a path on this site, else "/".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// signInPage shows the sign-in form. With ?token=… (the link drsorch
// demo prints) it signs in at once and redirects, so that the token
// leaves the address bar and the history.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if tok := q.Get("token"); tok != "" {
		// A sign-in, though by GET: it goes to the audit trail like the
		// form's.
		s.audited("GET /signin?token=", s.adapt(func(w http.ResponseWriter, r *http.Request) error {
			return s.startSession(w, r, tok, localPath(q.Get("next")))
		})).ServeHTTP(w, r)
		return nil
	}
	d := &signInData{layout: layout{Title: "Sign in"}, Next: localPath(q.Get("next")), OIDC: s.oidc != nil}
	return s.page(w, r, http.StatusOK, "signin", d)
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	return s.startSession(w, r, strings.TrimSpace(r.PostForm.Get("token")), localPath(r.PostForm.Get("next")))
}

// startSession signs in with an API token: a session cookie and a
// redirect to next, or the sign-in page again saying why not. Attempts
// are rate-limited per remote address, against guessing.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, token, next string) error {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ok, wait := s.limiter.Allow("signin " + host); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return pageError(http.StatusTooManyRequests, "Too many sign-in attempts; wait a moment and try again.")
	}
	secret, exp, p, err := s.auth.SignIn(r.Context(), token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		d := &signInData{layout: layout{Title: "Sign in",
			Error: "That token is not valid: it may be mistyped, expired or revoked."}, Next: next, OIDC: s.oidc != nil}
		return s.page(w, r, http.StatusUnauthorized, "signin", d)
	}
	if err != nil {
		return err
	}
	if a := requestAuth(r.Context()); a != nil {
		a.ok, a.p, a.secret = true, p, secret
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: secret, Path: "/",
		Expires: exp, HttpOnly: true, Secure: api.OverTLS(r), SameSite: http.SameSiteStrictMode})
	return redirect(w, r, next)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if a := requestAuth(r.Context()); a != nil && a.ok {
		if err := s.auth.SignOut(r.Context(), a.secret); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: api.OverTLS(r), SameSite: http.SameSiteStrictMode})
	return redirect(w, r, "/signin")
}
