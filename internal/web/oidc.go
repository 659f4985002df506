package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
)

// oidcCookie keeps a sign-in in progress (state, nonce and PKCE verifier)
// between the redirect to the provider and its answer.
const oidcCookie = "drsorch_oidc"

// oidcStart sends the browser to the provider's sign-in page.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return pageError(http.StatusNotFound, "Sign-in through an identity provider is not configured.")
	}
	req := auth.NewOIDCRequest()
	// Lax, not Strict: the provider's answer is a navigation from its
	// site, which a Strict cookie would not come back with.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: req.State + "." + req.Nonce + "." + req.Verifier,
		Path: "/signin/oidc", MaxAge: 600, HttpOnly: true, Secure: api.OverTLS(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, s.oidc.AuthCodeURL(req), http.StatusFound)
	return nil
}

// oidcCallback takes the provider's answer: the code is exchanged for an
// ID token, which is verified and mapped to a role, and a session opened.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return pageError(http.StatusNotFound, "Sign-in through an identity provider is not configured.")
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/signin/oidc", MaxAge: -1,
		HttpOnly: true, Secure: api.OverTLS(r), SameSite: http.SameSiteLaxMode})
	var req auth.OIDCRequest
	if c, err := r.Cookie(oidcCookie); err == nil {
		if parts := strings.Split(c.Value, "."); len(parts) == 3 {
			req = auth.OIDCRequest{State: parts[0], Nonce: parts[1], Verifier: parts[2]}
		}
	}
	q := r.URL.Query()
	refuse := func(w http.ResponseWriter, msg string) error {
		d := &signInData{layout: layout{Title: "Sign in", Error: msg}, Next: "/", OIDC: true}
		return s.page(w, r, http.StatusUnauthorized, "signin", d)
	}
	if e := q.Get("error"); e != "" {
		return refuse(w, "The identity provider did not sign you in ("+e+").")
	}
	s.audited("GET /signin/oidc/callback", s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		err := s.oidcSession(w, r, req, q.Get("state"), q.Get("code"))
		if errors.Is(err, auth.ErrOIDC) {
			s.log.WarnContext(r.Context(), "oidc sign-in refused", "error", err)
			return refuse(w, "The identity provider's answer was refused: "+
				strings.TrimPrefix(err.Error(), auth.ErrOIDC.Error()+": "))
		}
		return err
	})).ServeHTTP(w, r)
	return nil
}

// oidcSession exchanges the provider's code and opens a session for the
// user it names.
func (s *Server) oidcSession(w http.ResponseWriter, r *http.Request, req auth.OIDCRequest, state, code string) error {
	p, err := s.oidc.Exchange(r.Context(), req, state, code)
	if err != nil {
		return err
	}
	secret, exp, err := s.auth.SignInUser(r.Context(), p)
	if err != nil {
		return err
	}
	if a := requestAuth(r.Context()); a != nil {
		a.ok, a.p, a.secret = true, p, secret
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: secret, Path: "/", Expires: exp,
		HttpOnly: true, Secure: api.OverTLS(r), SameSite: http.SameSiteStrictMode})
	// A page of our own, not a redirect: a Strict cookie is not sent on
	// a redirect of a navigation that began at the provider.
	return s.page(w, r, http.StatusOK, "signedin", &signInData{layout: layout{Title: "Signed in"}, Next: "/"})
}
