package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

var (
	_ store.AuthStore  = (*Store)(nil)
	_ store.AuditStore = (*Store)(nil)
)

// CreateToken stores a token.
func (s *Store) CreateToken(ctx context.Context, t *store.Token) error {
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode token: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, created, data) VALUES (?, ?, ?)`,
			t.ID, nanos(t.CreatedAt), data)
		if isUnique(err) {
			return store.ErrExists
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.ID, err)
	}
	return nil
}

// GetToken returns one token.
func (s *Store) GetToken(ctx context.Context, id string) (*store.Token, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM tokens WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get token %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get token %q: %w", id, err)
	}
	var t store.Token
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decode token %q: %w", id, err)
	}
	return &t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM tokens ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		var t store.Token
		if err := json.Unmarshal(data, &t); err != nil {
			return nil, fmt.Errorf("decode token: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken marks a token revoked at the first time asked.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var data []byte
		err := tx.QueryRowContext(ctx, `SELECT data FROM tokens WHERE id = ?`, id).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		var t store.Token
		if err := json.Unmarshal(data, &t); err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		at := at.UTC()
		t.RevokedAt = &at
		if data, err = json.Marshal(t); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE tokens SET data = ? WHERE id = ?`, data, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke token %q: %w", id, err)
	}
	return nil
}

// CreateSession stores a session, and drops the sessions that expired
// before it was created: sessions are written once per sign-in, so this
// keeps the table small without a sweeper.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	data, err := json.Marshal(ss)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires < ?`,
			nanos(ss.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, expires, data) VALUES (?, ?, ?)`,
			ss.ID, nanos(ss.ExpiresAt), data)
		if isUnique(err) {
			return store.ErrExists
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns one session.
func (s *Store) GetSession(ctx context.Context, id string) (*store.Session, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM sessions WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get session: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	var ss store.Session
	if err := json.Unmarshal(data, &ss); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	return &ss, nil
}

// DeleteSession removes a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// RecordAudit appends an audit entry.
func (s *Store) RecordAudit(ctx context.Context, e *store.AuditEntry) error {
	if e.ID == "" {
		e.ID = plan.NewID("au-")
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO audit (id, time, actor, action, data) VALUES (?, ?, ?, ?, ?)`,
			e.ID, nanos(e.Time), e.Actor, e.Action, data)
		if isUnique(err) {
			return store.ErrExists
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

// ListAudit returns audit entries newest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, opts store.ListOptions) (store.Page[store.AuditEntry], error) {
	const list = "audit"
	c, after, err := decodeToken(opts.NextToken, list)
	if err != nil {
		return store.Page[store.AuditEntry]{}, err
	}
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if !f.From.IsZero() {
		where, args = append(where, "time >= ?"), append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		where, args = append(where, "time < ?"), append(args, f.To.UnixNano())
	}
	if after {
		where = append(where, "(time < ? OR (time = ? AND id < ?))")
		args = append(args, c.Created, c.Created, c.ID)
	}
	q := `SELECT data FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := clampLimit(opts.Limit)
	q += ` ORDER BY time DESC, id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return store.Page[store.AuditEntry]{}, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var page store.Page[store.AuditEntry]
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return store.Page[store.AuditEntry]{}, fmt.Errorf("list audit: %w", err)
		}
		var e store.AuditEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return store.Page[store.AuditEntry]{}, fmt.Errorf("decode audit entry: %w", err)
		}
		page.Items = append(page.Items, e)
	}
	if err := rows.Err(); err != nil {
		return store.Page[store.AuditEntry]{}, fmt.Errorf("list audit: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextToken = encodeToken(cursor{List: list, Created: last.Time.UnixNano(), ID: last.ID})
	}
	return page, nil
}
