package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/oidctest"
)

func TestOIDCExchange(t *testing.T) {
	idp := oidctest.New(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	o, err := auth.NewOIDC(t.Context(), auth.OIDCConfig{Issuer: idp.URL, ClientID: "drsorch", ClientSecret: "s3cret",
		RedirectURL: "https://drsorch.example/signin/oidc/callback", RoleClaim: "groups",
		Roles: map[string]auth.Role{"sre": auth.RoleDrillOperator, "dr-admins": auth.RoleAdmin},
		Now:   func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	req := auth.NewOIDCRequest()
	u, err := url.Parse(o.AuthCodeURL(req))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/authorize" || q.Get("state") != req.State || q.Get("nonce") != req.Nonce ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("client_id") != "drsorch" {
		t.Fatalf("authorization URL %s", u)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := func() map[string]any {
		return map[string]any{"iss": idp.URL, "aud": "drsorch", "sub": "u1", "email": "ann@example.com",
			"exp": now.Add(time.Minute).Unix(), "nonce": req.Nonce, "groups": []any{"sre", "dr-admins", "other"}}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	for _, tc := range []struct {
		name    string
		claims  map[string]any
		signer  *rsa.PrivateKey
		state   string
		want    auth.Principal
		wantErr string
	}{
		{"highest role of the groups", good(), nil, req.State,
			auth.Principal{TokenID: "oidc:u1", Name: "ann@example.com", Role: auth.RoleAdmin}, ""},
		{"one group as a string", with("groups", "sre"), nil, req.State,
			auth.Principal{TokenID: "oidc:u1", Name: "ann@example.com", Role: auth.RoleDrillOperator}, ""},
		{"another state", good(), nil, "forged", auth.Principal{}, "state"},
		{"another key", good(), other, req.State, auth.Principal{}, "signature"},
		{"another issuer", with("iss", "https://evil.example"), nil, req.State, auth.Principal{}, "issuer"},
		{"another client", with("aud", []any{"someone-else"}), nil, req.State, auth.Principal{}, "another client"},
		{"expired", with("exp", now.Add(-time.Second).Unix()), nil, req.State, auth.Principal{}, "expired"},
		{"another nonce", with("nonce", "replayed"), nil, req.State, auth.Principal{}, "nonce"},
		{"no mapped group", with("groups", []any{"other"}), nil, req.State, auth.Principal{}, "no role"},
		{"no groups", with("groups", nil), nil, req.State, auth.Principal{}, "no role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp.Next(tc.claims, tc.signer)
			p, err := o.Exchange(t.Context(), req, tc.state, "code-1")
			if tc.wantErr == "" {
				if err != nil || p != tc.want {
					t.Fatalf("principal %+v, %v; want %+v", p, err, tc.want)
				}
				return
			}
			if !errors.Is(err, auth.ErrOIDC) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want ErrOIDC about %q", err, tc.wantErr)
			}
		})
	}
}

func TestOIDCConfig(t *testing.T) {
	idp := oidctest.New(t)
	base := auth.OIDCConfig{Issuer: idp.URL, ClientID: "c", RedirectURL: "https://x/cb", RoleClaim: "groups",
		Roles: map[string]auth.Role{"g": auth.RoleViewer}}
	for name, mut := range map[string]func(*auth.OIDCConfig){
		"no roles":       func(c *auth.OIDCConfig) { c.Roles = nil },
		"unknown role":   func(c *auth.OIDCConfig) { c.Roles = map[string]auth.Role{"g": "root"} },
		"another issuer": func(c *auth.OIDCConfig) { c.Issuer = idp.URL + "/" },
		"no client":      func(c *auth.OIDCConfig) { c.ClientID = "" },
	} {
		c := base
		mut(&c)
		if _, err := auth.NewOIDC(t.Context(), c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := auth.NewOIDC(t.Context(), base); err != nil {
		t.Errorf("valid config: %v", err)
	}
}
