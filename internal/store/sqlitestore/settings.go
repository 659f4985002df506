package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

var _ store.SettingsStore = (*Store)(nil)

// PutAppliedSettings upserts records, all in one transaction.
func (s *Store) PutAppliedSettings(ctx context.Context, records []plan.AppliedSettings) error {
	if len(records) == 0 {
		return nil
	}
	data := make([][]byte, len(records))
	for i, a := range records {
		if a.GroupID == "" || a.SourceServerID == "" {
			return fmt.Errorf("put applied settings: record %d has no group or source server ID", i)
		}
		var err error
		if data[i], err = json.Marshal(&a); err != nil {
			return fmt.Errorf("put applied settings: encode %s: %w", a.SourceServerID, err)
		}
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO applied_settings (group_id, source_server_id, data)
			VALUES (?, ?, ?)
			ON CONFLICT (group_id, source_server_id) DO UPDATE SET data = excluded.data`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, a := range records {
			if _, err := stmt.ExecContext(ctx, a.GroupID, a.SourceServerID, data[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put applied settings: %w", err)
	}
	return nil
}

// ListAppliedSettings returns a group's records ordered by server ID.
func (s *Store) ListAppliedSettings(ctx context.Context, groupID string) ([]plan.AppliedSettings, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT data FROM applied_settings WHERE group_id = ? ORDER BY source_server_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("list applied settings of %q: %w", groupID, err)
	}
	defer rows.Close()
	var out []plan.AppliedSettings
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("list applied settings of %q: %w", groupID, err)
		}
		var a plan.AppliedSettings
		if err := json.Unmarshal(data, &a); err != nil {
			return nil, fmt.Errorf("list applied settings of %q: decode: %w", groupID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list applied settings of %q: %w", groupID, err)
	}
	return out, nil
}

// deleteAppliedSettings deletes a group's records, inside the group's
// delete.
func deleteAppliedSettings(ctx context.Context, tx *sql.Tx, groupID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM applied_settings WHERE group_id = ?`, groupID)
	if err != nil {
		return fmt.Errorf("delete applied settings: %w", err)
	}
	return nil
}
