package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/drsorch/drsorch/internal/store"
)

var (
	_ store.DeliveryStore  = (*Store)(nil)
	_ store.RevisionReader = (*Store)(nil)
)

// RecordDelivery stores a notification delivery.
func (s *Store) RecordDelivery(ctx context.Context, d *store.Delivery) error {
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode delivery: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (key, time, data) VALUES (?, ?, ?)`,
			d.Key, d.Time.UnixNano(), data)
		if isUnique(err) {
			return store.ErrExists
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("record delivery %q: %w", d.Key, err)
	}
	return nil
}

// Delivered reports whether a delivery with key is stored.
func (s *Store) Delivered(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE key = ?`, key).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up delivery %q: %w", key, err)
	}
	return n > 0, nil
}

// ListDeliveries returns the newest deliveries first.
func (s *Store) ListDeliveries(ctx context.Context, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT data FROM deliveries ORDER BY time DESC, key DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		var d store.Delivery
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("decode delivery: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}
