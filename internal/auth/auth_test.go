package auth

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

func newService(t *testing.T, now *time.Time) *Service {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Options{Store: st, Now: func() time.Time { return *now }, SessionTTL: time.Hour})
}

func TestTokensAndSessions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newService(t, &now)
	secret, tok, err := s.CreateToken(ctx, "ci", RoleDrillOperator, 2*time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+43 ||
		secret[len(TokenPrefix):][:idLen] != tok.ID || strings.Contains(string(tok.Hash), secret) {
		t.Fatalf("secret %q, record %+v", secret, tok)
	}
	p, err := s.Authenticate(ctx, secret)
	if err != nil || p != (Principal{TokenID: tok.ID, Name: "ci", Role: RoleDrillOperator}) {
		t.Fatalf("authenticate: %+v, %v", p, err)
	}

	// One wrong character, another shape, nothing: all unauthenticated.
	flip := "A"
	if strings.HasSuffix(secret, "A") {
		flip = "B"
	}
	wrong := secret[:len(secret)-1] + flip
	for _, bad := range []string{wrong, "drs_short", "", "Bearer " + secret, strings.ToUpper(secret)} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("authenticate %q: %v, want ErrUnauthenticated", bad, err)
		}
	}

	cookie, exp, _, err := s.SignIn(ctx, secret)
	if err != nil || !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("sign in: expires %v, %v", exp, err)
	}
	if p, err := s.Session(ctx, cookie); err != nil || p.TokenID != tok.ID {
		t.Errorf("session: %+v, %v", p, err)
	}
	if _, err := s.Session(ctx, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a token as a session: %v", err)
	}
	if !CheckCSRF(cookie, CSRFToken(cookie)) || CheckCSRF(cookie, CSRFToken(cookie+"x")) || CheckCSRF(cookie, "") {
		t.Error("CSRF tokens do not bind to their session")
	}

	// The session ends with its hour, the token with its two.
	now = now.Add(time.Hour)
	if _, err := s.Session(ctx, cookie); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("session after its expiry: %v", err)
	}
	late, _, _, err := s.SignIn(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(59 * time.Minute)
	if _, err := s.Session(ctx, late); err != nil {
		t.Errorf("session before its token's expiry: %v", err)
	}
	now = now.Add(time.Minute)
	for name, f := range map[string]func() error{
		"token":   func() error { _, err := s.Authenticate(ctx, secret); return err },
		"session": func() error { _, err := s.Session(ctx, late); return err },
	} {
		if err := f(); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s after the token's expiry: %v", name, err)
		}
	}

	// Revoking ends the token and its sessions; signing out, the session.
	now = now.Add(-2 * time.Hour)
	secret2, tok2, _ := s.CreateToken(ctx, "b", RoleAdmin, time.Hour, "test")
	c2, _, _, _ := s.SignIn(ctx, secret2)
	c3, _, _, _ := s.SignIn(ctx, secret2)
	if err := s.SignOut(ctx, c3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, c3); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("session after sign-out: %v", err)
	}
	if err := s.RevokeToken(ctx, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, c2); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("session of a revoked token: %v", err)
	}
	if _, err := s.Authenticate(ctx, secret2); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked token: %v", err)
	}
}

func TestRoles(t *testing.T) {
	for i, have := range Roles {
		for j, need := range Roles {
			if got := have.Allows(need); got != (i >= j) {
				t.Errorf("%s allows %s: %v", have, need, got)
			}
		}
	}
	if Role("root").Allows(RoleViewer) || Role("").Allows(RoleViewer) {
		t.Error("an unknown role allows something")
	}
	if ModeRole("drill") != RoleDrillOperator || ModeRole("recovery") != RoleRecoveryOperator || ModeRole("Drill") != RoleRecoveryOperator {
		t.Error("ModeRole")
	}
	if (Access{}).Set() {
		t.Error("the zero Access is set")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(2, 3, func() time.Time { return now })
	var got []bool
	for range 4 {
		ok, _ := l.Allow("a")
		got = append(got, ok)
	}
	if want := []bool{true, true, true, false}; !slices.Equal(got, want) {
		t.Errorf("burst %v, want %v", got, want)
	}
	if _, wait := l.Allow("a"); wait != 500*time.Millisecond {
		t.Errorf("wait %v, want 500ms at 2 a second", wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another key shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("no refill after half a second")
	}
	if ok, _ := NewLimiter(0, 0, nil).Allow("x"); !ok {
		t.Error("a rate of 0 limits")
	}
}

// TestSecretIDsAreNotFlags draws many secrets: about one in 64 base64url
// bodies starts with "-", which a command line would read as a flag, so
// enough draws would show one if newSecret let it through.
func TestSecretIDsAreNotFlags(t *testing.T) {
	for range 5000 {
		secret, id := newSecret(TokenPrefix)
		if strings.HasPrefix(id, "-") {
			t.Fatalf("secret %q has ID %q, which reads as a flag", secret, id)
		}
		if got, ok := splitSecret(TokenPrefix, secret); !ok || got != id {
			t.Fatalf("splitSecret(%q) = %q, %v; want %q", secret, got, ok, id)
		}
	}
}
