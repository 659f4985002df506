package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Groups and plans are stored alike: a table of id, unique name, version
// and the JSON of the whole record. kind describes one of them.
type kind[T any] struct {
	table  string // and the name of its list in page tokens
	what   string // for error messages
	prefix string // of new IDs
	fields func(*T) fields
	// deleted, when set, removes what belongs to a record, in the
	// transaction that deletes it.
	deleted func(ctx context.Context, tx *sql.Tx, id string) error
}

// fields points at the fields of a record the store reads or sets.
type fields struct {
	id, name         *string
	version          *int64
	created, updated *time.Time
}

var groups = kind[plan.ProtectionGroup]{
	table:  "groups",
	what:   "group",
	prefix: plan.PrefixGroup,
	fields: func(g *plan.ProtectionGroup) fields {
		return fields{&g.ID, &g.Name, &g.Version, &g.CreatedAt, &g.UpdatedAt}
	},
	deleted: deleteAppliedSettings,
}

var plans = kind[plan.RecoveryPlan]{
	table:  "plans",
	what:   "plan",
	prefix: plan.PrefixPlan,
	fields: func(p *plan.RecoveryPlan) fields {
		return fields{&p.ID, &p.Name, &p.Version, &p.CreatedAt, &p.UpdatedAt}
	},
}

func (k kind[T]) create(ctx context.Context, s *Store, v *T) error {
	// Work on a copy so that the caller's value changes only on success.
	c := *v
	f := k.fields(&c)
	if *f.id == "" {
		*f.id = plan.NewID(k.prefix)
	}
	if f.created.IsZero() {
		now := s.now().UTC()
		*f.created, *f.updated = now, now
	}
	*f.version = 1
	data, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("create %s %q: encode: %w", k.what, *f.name, err)
	}

	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO `+k.table+` (id, name, version, data) VALUES (?, ?, 1, ?)`,
			*f.id, *f.name, data)
		return err
	})
	if isUnique(err) {
		err = store.ErrExists
	}
	if err != nil {
		return fmt.Errorf("create %s %q: %w", k.what, *f.name, err)
	}
	*v = c
	return nil
}

func (k kind[T]) get(ctx context.Context, s *Store, where string, arg any) (*T, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx,
		`SELECT data FROM `+k.table+` WHERE `+where+` = ?`, arg).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get %s %q: %w", k.what, arg, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %q: %w", k.what, arg, err)
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("get %s %q: decode: %w", k.what, arg, err)
	}
	return v, nil
}

func (k kind[T]) list(ctx context.Context, s *Store, opts store.ListOptions) (store.Page[T], error) {
	after, _, err := decodeToken(opts.NextToken, k.table)
	if err != nil {
		return store.Page[T]{}, fmt.Errorf("list %ss: %w", k.what, err)
	}
	limit := clampLimit(opts.Limit)

	// One row more than the page tells whether another page follows.
	rows, err := s.db.QueryContext(ctx,
		`SELECT data FROM `+k.table+` WHERE name > ? ORDER BY name LIMIT ?`,
		after.Name, limit+1)
	if err != nil {
		return store.Page[T]{}, fmt.Errorf("list %ss: %w", k.what, err)
	}
	defer rows.Close()
	var page store.Page[T]
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return store.Page[T]{}, fmt.Errorf("list %ss: %w", k.what, err)
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return store.Page[T]{}, fmt.Errorf("list %ss: decode: %w", k.what, err)
		}
		page.Items = append(page.Items, v)
	}
	if err := rows.Err(); err != nil {
		return store.Page[T]{}, fmt.Errorf("list %ss: %w", k.what, err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := k.fields(&page.Items[limit-1])
		page.NextToken = encodeToken(cursor{List: k.table, Name: *last.name})
	}
	return page, nil
}

func (k kind[T]) update(ctx context.Context, s *Store, v *T) error {
	c := *v
	f := k.fields(&c)
	read := *f.version

	err := s.write(ctx, func(tx *sql.Tx) error {
		var (
			version int64
			data    []byte
		)
		err := tx.QueryRowContext(ctx,
			`SELECT version, data FROM `+k.table+` WHERE id = ?`, *f.id).Scan(&version, &data)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if version != read {
			return store.ErrVersionConflict
		}
		var stored T
		if err := json.Unmarshal(data, &stored); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		*f.created = *k.fields(&stored).created
		*f.updated = s.now().UTC()
		*f.version = read + 1
		if data, err = json.Marshal(&c); err != nil {
			return fmt.Errorf("encode: %w", err)
		}

		res, err := tx.ExecContext(ctx,
			`UPDATE `+k.table+` SET name = ?, version = ?, data = ? WHERE id = ? AND version = ?`,
			*f.name, read+1, data, *f.id, read)
		if isUnique(err) {
			return store.ErrExists
		}
		return checkOne(res, err)
	})
	if err != nil {
		return fmt.Errorf("update %s %q: %w", k.what, *f.id, err)
	}
	*v = c
	return nil
}

func (k kind[T]) delete(ctx context.Context, s *Store, id string, version int64) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`DELETE FROM `+k.table+` WHERE id = ? AND version = ?`, id, version)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			if k.deleted != nil {
				return k.deleted(ctx, tx, id)
			}
			return nil
		}
		return missingOrStale(ctx, tx, `SELECT count(*) FROM `+k.table+` WHERE id = ?`, id)
	})
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", k.what, id, err)
	}
	return nil
}

// checkOne turns the result of a versioned UPDATE into
// store.ErrVersionConflict unless it changed exactly one row.
func checkOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return store.ErrVersionConflict
	}
	return nil
}

// missingOrStale explains a versioned write that matched no row: the
// record does not exist (count query gives 0) or has another version.
func missingOrStale(ctx context.Context, tx *sql.Tx, countQuery string, args ...any) error {
	var n int
	if err := tx.QueryRowContext(ctx, countQuery, args...).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return store.ErrVersionConflict
}

// CreateGroup stores a new protection group with Version 1.
func (s *Store) CreateGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	return groups.create(ctx, s, g)
}

// GetGroup returns the group with the given ID.
func (s *Store) GetGroup(ctx context.Context, id string) (*plan.ProtectionGroup, error) {
	return groups.get(ctx, s, "id", id)
}

// GetGroupByName returns the group with the given name.
func (s *Store) GetGroupByName(ctx context.Context, name string) (*plan.ProtectionGroup, error) {
	return groups.get(ctx, s, "name", name)
}

// ListGroups returns one page of groups ordered by name.
func (s *Store) ListGroups(ctx context.Context,
	opts store.ListOptions) (store.Page[plan.ProtectionGroup], error) {
	return groups.list(ctx, s, opts)
}

// UpdateGroup replaces a group read at g.Version.
func (s *Store) UpdateGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	return groups.update(ctx, s, g)
}

// DeleteGroup deletes a group read at version.
func (s *Store) DeleteGroup(ctx context.Context, id string, version int64) error {
	return groups.delete(ctx, s, id, version)
}

// CreatePlan stores a new recovery plan with Version 1.
func (s *Store) CreatePlan(ctx context.Context, p *plan.RecoveryPlan) error {
	return plans.create(ctx, s, p)
}

// GetPlan returns the plan with the given ID.
func (s *Store) GetPlan(ctx context.Context, id string) (*plan.RecoveryPlan, error) {
	return plans.get(ctx, s, "id", id)
}

// GetPlanByName returns the plan with the given name.
func (s *Store) GetPlanByName(ctx context.Context, name string) (*plan.RecoveryPlan, error) {
	return plans.get(ctx, s, "name", name)
}

// ListPlans returns one page of plans ordered by name.
func (s *Store) ListPlans(ctx context.Context,
	opts store.ListOptions) (store.Page[plan.RecoveryPlan], error) {
	return plans.list(ctx, s, opts)
}

// UpdatePlan replaces a plan read at p.Version.
func (s *Store) UpdatePlan(ctx context.Context, p *plan.RecoveryPlan) error {
	return plans.update(ctx, s, p)
}

// DeletePlan deletes a plan read at version.
func (s *Store) DeletePlan(ctx context.Context, id string, version int64) error {
	return plans.delete(ctx, s, id, version)
}
