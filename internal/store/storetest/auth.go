package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/store"
)

// testAuth checks store.AuthStore: tokens and sessions.
func testAuth(t *testing.T, newStore func(t *testing.T) store.Store) {
	open := func(t *testing.T) store.AuthStore {
		t.Helper()
		as, ok := newStore(t).(store.AuthStore)
		if !ok {
			t.Skip("the store has no store.AuthStore")
		}
		return as
	}
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	t.Run("Tokens", func(t *testing.T) {
		as := open(t)
		var want []store.Token
		for i, role := range []string{"viewer", "admin"} {
			tok := store.Token{ID: fmt.Sprintf("tok%d", i), Name: "n" + role, Role: role,
				Hash: []byte{1, 2, byte(i)}, CreatedAt: at.Add(time.Duration(i) * time.Minute),
				CreatedBy: "test", ExpiresAt: at.Add(time.Hour)}
			if err := as.CreateToken(ctx, &tok); err != nil {
				t.Fatal(err)
			}
			want = append(want, tok)
		}
		dup := want[0]
		if err := as.CreateToken(ctx, &dup); !errors.Is(err, store.ErrExists) {
			t.Errorf("CreateToken of a stored ID: %v, want ErrExists", err)
		}
		got, err := as.GetToken(ctx, "tok1")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(want[1], *got); d != "" {
			t.Errorf("GetToken mismatch (-want +got):\n%s", d)
		}
		if _, err := as.GetToken(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetToken of a missing ID: %v, want ErrNotFound", err)
		}

		revoked := at.Add(2 * time.Minute)
		if err := as.RevokeToken(ctx, "tok0", revoked); err != nil {
			t.Fatal(err)
		}
		// A second revocation keeps the first time.
		if err := as.RevokeToken(ctx, "tok0", revoked.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := as.RevokeToken(ctx, "nope", revoked); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeToken of a missing ID: %v, want ErrNotFound", err)
		}
		want[0].RevokedAt = &revoked
		all, err := as.ListTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(want, all); d != "" {
			t.Errorf("ListTokens mismatch (-want +got):\n%s", d)
		}
	})

	t.Run("Sessions", func(t *testing.T) {
		as := open(t)
		ss := store.Session{ID: "sess1", Hash: []byte{9, 8}, TokenID: "tok0",
			CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := as.CreateSession(ctx, &ss); err != nil {
			t.Fatal(err)
		}
		dup := ss
		if err := as.CreateSession(ctx, &dup); !errors.Is(err, store.ErrExists) {
			t.Errorf("CreateSession of a stored ID: %v, want ErrExists", err)
		}
		got, err := as.GetSession(ctx, "sess1")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(ss, *got); d != "" {
			t.Errorf("GetSession mismatch (-want +got):\n%s", d)
		}
		// A session of an identity provider's user, without a token.
		idp := store.Session{ID: "sess2", Hash: []byte{7}, Subject: "oidc:u1", Name: "u1@example.com",
			Role: "viewer", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := as.CreateSession(ctx, &idp); err != nil {
			t.Fatal(err)
		}
		if got, err := as.GetSession(ctx, "sess2"); err != nil || diff(idp, *got) != "" {
			t.Errorf("GetSession of a provider's session: %+v, %v", got, err)
		}
		if err := as.DeleteSession(ctx, "sess1"); err != nil {
			t.Fatal(err)
		}
		if err := as.DeleteSession(ctx, "sess1"); err != nil {
			t.Errorf("DeleteSession of a missing session: %v", err)
		}
		if _, err := as.GetSession(ctx, "sess1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSession after delete: %v, want ErrNotFound", err)
		}
	})
}

// testAudit checks store.AuditStore: order, filters and pages.
func testAudit(t *testing.T, newStore func(t *testing.T) store.Store) {
	as, ok := newStore(t).(store.AuditStore)
	if !ok {
		t.Skip("the store has no store.AuditStore")
	}
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var all []store.AuditEntry
	for i := range 7 {
		e := store.AuditEntry{
			ID: fmt.Sprintf("au-%02d", i), Time: at.Add(time.Duration(i/2) * time.Minute),
			Actor: []string{"alice", "bob"}[i%2], Action: []string{"POST /a", "DELETE /b", "drs:StartRecovery"}[i%3],
			RemoteAddr: "127.0.0.1:1", Status: 202, Outcome: "ok", ExecutionID: "ex-1",
		}
		if err := as.RecordAudit(ctx, &e); err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	// An entry without ID and time gets both.
	auto := store.AuditEntry{Actor: "carol", Action: "POST /a", Outcome: "ok"}
	if err := as.RecordAudit(ctx, &auto); err != nil {
		t.Fatal(err)
	}
	if auto.ID == "" || auto.Time.IsZero() {
		t.Errorf("RecordAudit left ID %q and time %v unset", auto.ID, auto.Time)
	}

	// newest first, ties by ID descending
	rev := func(es []store.AuditEntry) []store.AuditEntry {
		var out []store.AuditEntry
		for i := len(es) - 1; i >= 0; i-- {
			out = append(out, es[i])
		}
		return out
	}
	pick := func(keep func(store.AuditEntry) bool) []store.AuditEntry {
		var out []store.AuditEntry
		for _, e := range rev(all) {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	noAuto := store.AuditFilter{To: at.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []store.AuditEntry
	}{
		{"all", noAuto, rev(all)},
		{"actor", store.AuditFilter{Actor: "bob", To: noAuto.To},
			pick(func(e store.AuditEntry) bool { return e.Actor == "bob" })},
		{"action", store.AuditFilter{Action: "drs:StartRecovery"},
			pick(func(e store.AuditEntry) bool { return e.Action == "drs:StartRecovery" })},
		{"range", store.AuditFilter{From: at.Add(time.Minute), To: at.Add(3 * time.Minute)},
			pick(func(e store.AuditEntry) bool {
				return !e.Time.Before(at.Add(time.Minute)) && e.Time.Before(at.Add(3*time.Minute))
			})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []store.AuditEntry
			opts := store.ListOptions{Limit: 2}
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("more than 10 pages")
				}
				page, err := as.ListAudit(ctx, tc.f, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) > 2 {
					t.Fatalf("page of %d entries, limit 2", len(page.Items))
				}
				got = append(got, page.Items...)
				if page.NextToken == "" {
					break
				}
				opts.NextToken = page.NextToken
			}
			if d := diff(tc.want, got); d != "" {
				t.Errorf("ListAudit mismatch (-want +got):\n%s", d)
			}
		})
	}
	if _, err := as.ListAudit(ctx, store.AuditFilter{}, store.ListOptions{NextToken: "garbage"}); !errors.Is(err, store.ErrInvalidToken) {
		t.Errorf("ListAudit with a bad token: %v, want ErrInvalidToken", err)
	}
}
