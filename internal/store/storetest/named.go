package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// named is what the suite needs to test groups and plans with one body of
// tests: the kind's methods on a store, a fixture and its fields.
type named[T any] struct {
	prefix string
	make   func(name string) *T
	// edit changes something other than the name.
	edit   func(*T)
	fields func(*T) fields

	create    func(context.Context, *T) error
	get       func(context.Context, string) (*T, error)
	getByName func(context.Context, string) (*T, error)
	list      func(context.Context, store.ListOptions) (store.Page[T], error)
	update    func(context.Context, *T) error
	delete    func(context.Context, string, int64) error
}

type fields struct {
	id, name         *string
	version          *int64
	created, updated *time.Time
}

func groupOps(s store.Store) named[plan.ProtectionGroup] {
	return named[plan.ProtectionGroup]{
		prefix: plan.PrefixGroup,
		make:   newGroup,
		edit: func(g *plan.ProtectionGroup) {
			g.Description = "edited"
			// A new slice: racing copies share the old one.
			g.SourceServerIDs = []string{"s-1000000000000000a", "s-1000000000000000c"}
		},
		fields: func(g *plan.ProtectionGroup) fields {
			return fields{&g.ID, &g.Name, &g.Version, &g.CreatedAt, &g.UpdatedAt}
		},
		create:    s.CreateGroup,
		get:       s.GetGroup,
		getByName: s.GetGroupByName,
		list:      s.ListGroups,
		update:    s.UpdateGroup,
		delete:    s.DeleteGroup,
	}
}

func planOps(s store.Store) named[plan.RecoveryPlan] {
	return named[plan.RecoveryPlan]{
		prefix: plan.PrefixPlan,
		make:   newPlan,
		edit: func(p *plan.RecoveryPlan) {
			p.RTOMinutes = 90
			// A new slice: racing copies share the old one.
			p.Waves = append([]plan.Wave(nil), p.Waves...)
			p.Waves[1].PauseBefore = false
		},
		fields: func(p *plan.RecoveryPlan) fields {
			return fields{&p.ID, &p.Name, &p.Version, &p.CreatedAt, &p.UpdatedAt}
		},
		create:    s.CreatePlan,
		get:       s.GetPlan,
		getByName: s.GetPlanByName,
		list:      s.ListPlans,
		update:    s.UpdatePlan,
		delete:    s.DeletePlan,
	}
}

func newGroup(name string) *plan.ProtectionGroup {
	return &plan.ProtectionGroup{
		Name:            name,
		Description:     "servers of " + name,
		AccountID:       "111122223333",
		Region:          "us-east-1",
		SourceServerIDs: []string{"s-1000000000000000a", "s-1000000000000000b"},
		ServerSelector:  &plan.Selector{Tags: map[string]string{"tier": name}},
		LaunchSettings: &plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011",
			SecurityGroupIDs: []string{"sg-0e5a1d00000000024", "sg-0e5a1d00000000021"},
			Tags:             map[string]string{"env": "dr"}},
		ServerLaunchSettings: map[string]plan.LaunchSettings{
			"s-1000000000000000a": {PrivateIP: "10.10.1.20", InstanceType: "r6i.large"},
		},
	}
}

func newPlan(name string) *plan.RecoveryPlan {
	hundred, half := 100, 50
	return &plan.RecoveryPlan{
		Name:        name,
		Description: "plan " + name,
		RTOMinutes:  60,
		Waves: []plan.Wave{
			{
				Name:               "database",
				ProtectionGroupIDs: []string{"pg-00000000000000d1"},
				DependsOn:          []string{},
				FailurePolicy:      plan.FailureStop,
				MinSuccessPercent:  &hundred,
			},
			{
				Name:               "application",
				ProtectionGroupIDs: []string{"pg-00000000000000a1", "pg-00000000000000a2"},
				DependsOn:          []string{"database"},
				PauseBefore:        true,
				FailurePolicy:      plan.FailureContinue,
				MinSuccessPercent:  &half,
				Hooks: &plan.Hooks{
					Before: []plan.Hook{{Name: "drain", URL: "http://127.0.0.1:9/drain", TimeoutSeconds: 5, Retries: 2}},
					After:  []plan.Hook{{URL: "http://127.0.0.1:9/check"}},
				},
				HealthGate: &plan.HealthGate{StatusChecks: true, CheckURL: "http://127.0.0.1:9/health",
					TimeoutMinutes: 10, IntervalSeconds: 30},
			},
		},
	}
}

func testNamed[T any](t *testing.T, newStore func(*testing.T) store.Store, ops func(store.Store) named[T]) {
	t.Run("CreateGetUpdateDelete", func(t *testing.T) {
		k := ops(newStore(t))
		ctx := t.Context()
		v := k.make("web")
		if err := k.create(ctx, v); err != nil {
			t.Fatalf("create: %v", err)
		}
		f := k.fields(v)
		if !strings.HasPrefix(*f.id, k.prefix) || len(*f.id) != len(k.prefix)+16 {
			t.Errorf("create assigned ID %q, want %s and 16 hex digits", *f.id, k.prefix)
		}
		if *f.version != 1 {
			t.Errorf("create set Version %d, want 1", *f.version)
		}
		if f.created.IsZero() || !f.updated.Equal(*f.created) {
			t.Errorf("create set CreatedAt %v, UpdatedAt %v; want both now", *f.created, *f.updated)
		}

		got, err := k.get(ctx, *f.id)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if d := diff(v, got); d != "" {
			t.Errorf("get mismatch (-want +got):\n%s", d)
		}
		got, err = k.getByName(ctx, "web")
		if err != nil {
			t.Fatalf("get by name: %v", err)
		}
		if d := diff(v, got); d != "" {
			t.Errorf("get by name mismatch (-want +got):\n%s", d)
		}

		// An update keeps CreatedAt whatever the caller sends.
		created := *f.created
		k.edit(v)
		*f.created = time.Time{}
		if err := k.update(ctx, v); err != nil {
			t.Fatalf("update: %v", err)
		}
		if *f.version != 2 {
			t.Errorf("update set Version %d, want 2", *f.version)
		}
		if !f.created.Equal(created) {
			t.Errorf("update set CreatedAt %v, want the stored %v", *f.created, created)
		}
		if f.updated.Before(created) {
			t.Errorf("update set UpdatedAt %v, before CreatedAt %v", *f.updated, created)
		}
		got, err = k.get(ctx, *f.id)
		if err != nil {
			t.Fatalf("get after update: %v", err)
		}
		if d := diff(v, got); d != "" {
			t.Errorf("get after update mismatch (-want +got):\n%s", d)
		}

		if err := k.delete(ctx, *f.id, 1); !errors.Is(err, store.ErrVersionConflict) {
			t.Errorf("delete at stale version: %v, want ErrVersionConflict", err)
		}
		if _, err := k.get(ctx, *f.id); err != nil {
			t.Errorf("get after refused delete: %v", err)
		}
		if err := k.delete(ctx, *f.id, 2); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := k.get(ctx, *f.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get after delete: %v, want ErrNotFound", err)
		}
		if _, err := k.getByName(ctx, "web"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get by name after delete: %v, want ErrNotFound", err)
		}
		if err := k.delete(ctx, *f.id, 2); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}

		// The name is free again.
		if err := k.create(ctx, k.make("web")); err != nil {
			t.Errorf("create after delete: %v", err)
		}
	})

	t.Run("KeepsGivenIDAndTimes", func(t *testing.T) {
		k := ops(newStore(t))
		v := k.make("db")
		f := k.fields(v)
		*f.id = k.prefix + "0123456789abcdef"
		when := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		*f.created, *f.updated = when, when
		if err := k.create(t.Context(), v); err != nil {
			t.Fatalf("create: %v", err)
		}
		got, err := k.get(t.Context(), k.prefix+"0123456789abcdef")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if d := diff(v, got); d != "" {
			t.Errorf("mismatch (-want +got):\n%s", d)
		}
		if g := k.fields(got); !g.created.Equal(when) || !g.updated.Equal(when) {
			t.Errorf("times %v, %v; want %v", *g.created, *g.updated, when)
		}

		dup := k.make("other")
		*k.fields(dup).id = *f.id
		if err := k.create(t.Context(), dup); !errors.Is(err, store.ErrExists) {
			t.Errorf("create with a taken ID: %v, want ErrExists", err)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		k := ops(newStore(t))
		ctx := t.Context()
		a, b := k.make("a"), k.make("b")
		for _, v := range []*T{a, b} {
			if err := k.create(ctx, v); err != nil {
				t.Fatalf("create: %v", err)
			}
		}
		fa := k.fields(a)

		dup := k.make("a")
		if err := k.create(ctx, dup); !errors.Is(err, store.ErrExists) {
			t.Errorf("create with a taken name: %v, want ErrExists", err)
		}
		if f := k.fields(dup); *f.version != 0 || *f.id != "" {
			t.Errorf("refused create changed the caller's value: ID %q, Version %d", *f.id, *f.version)
		}

		// Renaming onto a taken name.
		renamed := *a
		*k.fields(&renamed).name = "b"
		if err := k.update(ctx, &renamed); !errors.Is(err, store.ErrExists) {
			t.Errorf("rename onto a taken name: %v, want ErrExists", err)
		}
		if v := *k.fields(&renamed).version; v != 1 {
			t.Errorf("refused update set Version %d, want 1 kept", v)
		}

		// A stale update.
		fresh := *a
		k.edit(&fresh)
		if err := k.update(ctx, &fresh); err != nil {
			t.Fatalf("update: %v", err)
		}
		stale := *a
		*k.fields(&stale).name = "c"
		if err := k.update(ctx, &stale); !errors.Is(err, store.ErrVersionConflict) {
			t.Errorf("stale update: %v, want ErrVersionConflict", err)
		}
		if v := *k.fields(&stale).version; v != 1 {
			t.Errorf("refused update set Version %d, want 1 kept", v)
		}
		got, err := k.get(ctx, *fa.id)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if d := diff(&fresh, got); d != "" {
			t.Errorf("refused updates changed the record (-want +got):\n%s", d)
		}
		if _, err := k.getByName(ctx, "c"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get by the refused name: %v, want ErrNotFound", err)
		}

		// A rename to a free name frees the old one.
		*k.fields(&fresh).name = "c"
		if err := k.update(ctx, &fresh); err != nil {
			t.Fatalf("rename: %v", err)
		}
		if _, err := k.getByName(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get by the old name: %v, want ErrNotFound", err)
		}
		if _, err := k.getByName(ctx, "c"); err != nil {
			t.Errorf("get by the new name: %v", err)
		}

		missing := k.make("missing")
		*k.fields(missing).id = k.prefix + "ffffffffffffffff"
		*k.fields(missing).version = 1
		if err := k.update(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing record: %v, want ErrNotFound", err)
		}
		if _, err := k.get(ctx, k.prefix+"ffffffffffffffff"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get of a missing record: %v, want ErrNotFound", err)
		}
		if _, err := k.getByName(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get by a missing name: %v, want ErrNotFound", err)
		}
		if err := k.delete(ctx, k.prefix+"ffffffffffffffff", 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete of a missing record: %v, want ErrNotFound", err)
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		k := ops(newStore(t))
		ctx := t.Context()
		// Created out of order; listed by name.
		names := []string{"m", "c", "x", "a", "q", "f", "t"}
		for _, n := range names {
			if err := k.create(ctx, k.make(n)); err != nil {
				t.Fatalf("create %s: %v", n, err)
			}
		}
		all := func(limit int, during func(page int)) (got []string, sizes []int) {
			t.Helper()
			opts := store.ListOptions{Limit: limit}
			for page := 0; ; page++ {
				if page > 20 {
					t.Fatal("more than 20 pages")
				}
				p, err := k.list(ctx, opts)
				if err != nil {
					t.Fatalf("list page %d: %v", page, err)
				}
				sizes = append(sizes, len(p.Items))
				for i := range p.Items {
					got = append(got, *k.fields(&p.Items[i]).name)
				}
				if p.NextToken == "" {
					return got, sizes
				}
				if during != nil {
					during(page)
				}
				opts.NextToken = p.NextToken
			}
		}

		got, sizes := all(3, nil)
		want := []string{"a", "c", "f", "m", "q", "t", "x"}
		if d := diff(want, got); d != "" {
			t.Errorf("names mismatch (-want +got):\n%s", d)
		}
		if d := diff([]int{3, 3, 1}, sizes); d != "" {
			t.Errorf("page sizes mismatch (-want +got):\n%s", d)
		}
		for _, limit := range []int{0, -1, 8, 1000, 5000} {
			got, sizes := all(limit, nil)
			if d := diff(want, got); d != "" || len(sizes) != 1 {
				t.Errorf("limit %d: %d pages, names mismatch (-want +got):\n%s", limit, len(sizes), d)
			}
		}
		// A page exactly full may or may not be followed by an empty one,
		// but no name is lost or repeated.
		got, _ = all(7, nil)
		if d := diff(want, got); d != "" {
			t.Errorf("limit 7 mismatch (-want +got):\n%s", d)
		}

		// Records created while paging: one sorting before the cursor is
		// not seen, one after it is, and nothing repeats.
		got, _ = all(2, func(page int) {
			if page == 0 {
				for _, n := range []string{"b", "z"} {
					if err := k.create(ctx, k.make(n)); err != nil {
						t.Fatalf("create %s: %v", n, err)
					}
				}
			}
		})
		want = []string{"a", "c", "f", "m", "q", "t", "x", "z"}
		if d := diff(want, got); d != "" {
			t.Errorf("paging while creating mismatch (-want +got):\n%s", d)
		}

		for _, tok := range []string{"garbage", "!!!", "eyJ9", strings.Repeat("A", 40)} {
			if _, err := k.list(ctx, store.ListOptions{NextToken: tok}); !errors.Is(err, store.ErrInvalidToken) {
				t.Errorf("list with token %q: %v, want ErrInvalidToken", tok, err)
			}
		}
	})

	t.Run("RacingUpdates", func(t *testing.T) {
		k := ops(newStore(t))
		ctx := t.Context()
		v := k.make("race")
		if err := k.create(ctx, v); err != nil {
			t.Fatalf("create: %v", err)
		}
		const racers = 4
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			c := *v
			k.edit(&c)
			wg.Go(func() { errs[i] = k.update(ctx, &c) })
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrVersionConflict):
				t.Errorf("racer %d: %v, want nil or ErrVersionConflict", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d racers won, want exactly 1 (errors %v)", won, errs)
		}
		got, err := k.get(ctx, *k.fields(v).id)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if ver := *k.fields(got).version; ver != 2 {
			t.Errorf("stored Version %d, want 2", ver)
		}
	})
}

// must fails the test on an error.
func must(t *testing.T, err error, step string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(step, args...), err)
	}
}
