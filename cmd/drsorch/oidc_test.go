package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/oidctest"
)

func TestParseOIDCRoles(t *testing.T) {
	got, err := parseOIDCRoles("dr-admins=admin, sre=drill-operator")
	want := map[string]auth.Role{"dr-admins": auth.RoleAdmin, "sre": auth.RoleDrillOperator}
	if err != nil || cmp.Diff(want, got) != "" {
		t.Errorf("parse: %v, %v", got, err)
	}
	for _, bad := range []string{"x", "=admin", "g=root"} {
		if _, err := parseOIDCRoles(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestAppOIDCWiring checks that an app with an issuer reads its discovery
// document and offers the provider on the sign-in page.
func TestAppOIDCWiring(t *testing.T) {
	idp := oidctest.New(t)
	a, err := newApp(t.Context(), appConfig{Store: "sqlite:" + filepath.Join(t.TempDir(), "drsorch.db"),
		Region: "us-east-1", OIDC: auth.OIDCConfig{Issuer: idp.URL, ClientID: "drsorch",
			RedirectURL: "http://127.0.0.1/signin/oidc/callback", RoleClaim: "groups",
			Roles: map[string]auth.Role{"g": auth.RoleViewer}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec := httptest.NewRecorder()
	a.mux.ServeHTTP(rec, httptest.NewRequest("GET", "/signin", nil))
	if !strings.Contains(rec.Body.String(), `href="/signin/oidc"`) {
		t.Errorf("the sign-in page offers no provider:\n%s", rec.Body)
	}
	rec = httptest.NewRecorder()
	a.mux.ServeHTTP(rec, httptest.NewRequest("GET", "/signin/oidc", nil))
	if rec.Code != 302 || !strings.HasPrefix(rec.Header().Get("Location"), idp.URL+"/authorize?") {
		t.Errorf("start: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
}
