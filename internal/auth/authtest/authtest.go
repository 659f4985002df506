// Package authtest gives tests of other packages API tokens on a store.
package authtest

import (
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/store"
)

// Token creates a token of role on st, valid for a day, and returns its
// secret.
func Token(t testing.TB, st store.Store, role auth.Role) string {
	t.Helper()
	secret, _, err := auth.ForStore(st).CreateToken(t.Context(), "test-"+string(role), role, 24*time.Hour, "test")
	if err != nil {
		t.Fatalf("create %s token: %v", role, err)
	}
	return secret
}

// AdminToken creates an admin token on st and returns its secret.
func AdminToken(t testing.TB, st store.Store) string {
	t.Helper()
	return Token(t, st, auth.RoleAdmin)
}
