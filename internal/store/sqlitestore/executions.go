package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// execListName names the executions list in page tokens.
const execListName = "executions"

// headerColumns are the derived columns of an execution header, in the
// order headerArgs gives them.
func headerArgs(e *plan.Execution) (status string, active, requested bool) {
	return e.Status, plan.Active(e.Status), e.Requests != (plan.Requests{})
}

// sameExecution fills an empty execution ID of a record and refuses
// another execution's.
func sameExecution(what string, got *string, id string) error {
	switch *got {
	case "":
		*got = id
	case id:
	default:
		return fmt.Errorf("%s of execution %q in execution %q", what, *got, id)
	}
	return nil
}

// CreateExecution writes an execution's header, waves, launches and first
// events in one transaction.
func (s *Store) CreateExecution(ctx context.Context, e *plan.Execution,
	waves []plan.WaveRun, launches []plan.Launch, events []plan.Event) error {
	c := *e
	if c.ID == "" {
		c.ID = plan.NewID(plan.PrefixExecution)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	c.Version, c.Revision = 1, 1
	err := s.createExecution(ctx, &c, waves, launches, events)
	if err != nil {
		return fmt.Errorf("create execution %q: %w", c.ID, err)
	}

	*e = c
	for i := range waves {
		waves[i].ExecutionID, waves[i].Version = c.ID, 1
	}
	for i := range launches {
		launches[i].ExecutionID, launches[i].Version = c.ID, 1
	}
	for i := range events {
		events[i].ExecutionID, events[i].Seq = c.ID, int64(i+1)
	}
	return nil
}

func (s *Store) createExecution(ctx context.Context, e *plan.Execution,
	waves []plan.WaveRun, launches []plan.Launch, events []plan.Event) error {
	// Encode everything before taking the write lock.
	header, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode header: %w", err)
	}
	waveIndex := make(map[string]int, len(waves))
	waveData := make([][]byte, len(waves))
	for i := range waves {
		w := waves[i]
		if err := sameExecution("wave", &w.ExecutionID, e.ID); err != nil {
			return err
		}
		w.Version = 1
		waveIndex[w.Name] = w.Index
		if waveData[i], err = json.Marshal(&w); err != nil {
			return fmt.Errorf("encode wave %d: %w", w.Index, err)
		}
	}
	launchData := make([][]byte, len(launches))
	for i := range launches {
		l := launches[i]
		if err := sameExecution("launch", &l.ExecutionID, e.ID); err != nil {
			return err
		}
		if _, ok := waveIndex[l.Wave]; !ok {
			return fmt.Errorf("launch of %s: no wave %q", l.SourceServerID, l.Wave)
		}
		l.Version = 1
		if launchData[i], err = json.Marshal(&l); err != nil {
			return fmt.Errorf("encode launch of %s: %w", l.SourceServerID, err)
		}
	}
	eventData := make([][]byte, len(events))
	for i := range events {
		ev := events[i]
		if err := sameExecution("event", &ev.ExecutionID, e.ID); err != nil {
			return err
		}
		ev.Seq = int64(i + 1)
		if eventData[i], err = json.Marshal(&ev); err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
	}

	return s.write(ctx, func(tx *sql.Tx) error {
		status, active, requested := headerArgs(e)
		_, err := tx.ExecContext(ctx, `INSERT INTO executions
			(id, plan_id, status, active, requested, created_at,
			 lease_owner, lease_expiry, last_seq, version, revision, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?)`,
			e.ID, e.PlanID, status, active, requested, nanos(e.CreatedAt),
			e.LeaseOwner, nanos(e.LeaseExpiry), len(events), header)
		if isUnique(err) {
			// The ID is taken or the plan has an active execution.
			return store.ErrExists
		}
		if err != nil {
			return err
		}

		err = insertAll(ctx, tx,
			`INSERT INTO waves (execution_id, idx, version, data) VALUES (?, ?, 1, ?)`,
			len(waves), func(i int) []any { return []any{e.ID, waves[i].Index, waveData[i]} })
		if err != nil {
			return fmt.Errorf("insert waves: %w", err)
		}
		err = insertAll(ctx, tx,
			`INSERT INTO launches (execution_id, wave, source_server_id, wave_idx, version, data)
			VALUES (?, ?, ?, ?, 1, ?)`,
			len(launches), func(i int) []any {
				l := &launches[i]
				return []any{e.ID, l.Wave, l.SourceServerID, waveIndex[l.Wave], launchData[i]}
			})
		if err != nil {
			return fmt.Errorf("insert launches: %w", err)
		}
		err = insertAll(ctx, tx,
			`INSERT INTO events (execution_id, seq, data) VALUES (?, ?, ?)`,
			len(events), func(i int) []any { return []any{e.ID, i + 1, eventData[i]} })
		if err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		return nil
	})
}

// insertAll runs one prepared statement n times with args(i).
func insertAll(ctx context.Context, tx *sql.Tx, query string, n int, args func(i int) []any) error {
	if n == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range n {
		if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
			return err
		}
	}
	return nil
}

// GetExecution returns an execution's header with its lease.
func (s *Store) GetExecution(ctx context.Context, id string) (*plan.Execution, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT data, lease_owner, lease_expiry, revision FROM executions WHERE id = ?`, id)
	e, err := scanHeader(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get execution %q: %w", id, err)
	}
	return e, nil
}

// scanHeader reads data, lease_owner, lease_expiry and revision.
func scanHeader(scan func(...any) error) (*plan.Execution, error) {
	var (
		data   []byte
		expiry int64
		e      plan.Execution
	)
	var revision int64
	if err := scan(&data, &e.LeaseOwner, &expiry, &revision); err != nil {
		return nil, err
	}
	owner := e.LeaseOwner
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	// The revision in data is the one of the header's last write.
	e.LeaseOwner, e.LeaseExpiry, e.Revision = owner, fromNanos(expiry), revision
	return &e, nil
}

// ListExecutions returns one page of executions, newest first.
func (s *Store) ListExecutions(ctx context.Context, f store.ExecutionFilter,
	opts store.ListOptions) (store.Page[plan.Execution], error) {
	after, paged, err := decodeToken(opts.NextToken, execListName)
	if err != nil {
		return store.Page[plan.Execution]{}, fmt.Errorf("list executions: %w", err)
	}
	limit := clampLimit(opts.Limit)

	var (
		where []string
		args  []any
	)
	if f.PlanID != "" {
		where = append(where, "plan_id = ?")
		args = append(args, f.PlanID)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if f.Actionable {
		where = append(where, "(active OR requested)")
	}
	if paged {
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, after.Created, after.Created, after.ID)
	}
	query := `SELECT data, lease_owner, lease_expiry, revision, created_at FROM executions`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit+1)

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return store.Page[plan.Execution]{}, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var (
		page    store.Page[plan.Execution]
		created []int64
	)
	for rows.Next() {
		var c int64
		e, err := scanHeader(func(dest ...any) error { return rows.Scan(append(dest, &c)...) })
		if err != nil {
			return store.Page[plan.Execution]{}, fmt.Errorf("list executions: %w", err)
		}
		page.Items = append(page.Items, *e)
		created = append(created, c)
	}
	if err := rows.Err(); err != nil {
		return store.Page[plan.Execution]{}, fmt.Errorf("list executions: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextToken = encodeToken(cursor{
			List: execListName, Created: created[limit-1], ID: page.Items[limit-1].ID,
		})
	}
	return page, nil
}

// ListWaves returns an execution's waves by index.
func (s *Store) ListWaves(ctx context.Context, executionID string) ([]plan.WaveRun, error) {
	waves, err := listRecords[plan.WaveRun](ctx, s, executionID,
		`SELECT data FROM waves WHERE execution_id = ? ORDER BY idx`)
	if err != nil {
		return nil, fmt.Errorf("list waves of %q: %w", executionID, err)
	}
	return waves, nil
}

// ListLaunches returns an execution's launches by wave index, then source
// server ID.
func (s *Store) ListLaunches(ctx context.Context, executionID string) ([]plan.Launch, error) {
	launches, err := listRecords[plan.Launch](ctx, s, executionID,
		`SELECT data FROM launches WHERE execution_id = ? ORDER BY wave_idx, source_server_id`)
	if err != nil {
		return nil, fmt.Errorf("list launches of %q: %w", executionID, err)
	}
	return launches, nil
}

// ListBatches returns an execution's batches by request time, then ID.
func (s *Store) ListBatches(ctx context.Context, executionID string) ([]plan.Batch, error) {
	batches, err := listRecords[plan.Batch](ctx, s, executionID,
		`SELECT data FROM batches WHERE execution_id = ? ORDER BY request_time, id`)
	if err != nil {
		return nil, fmt.Errorf("list batches of %q: %w", executionID, err)
	}
	return batches, nil
}

// ListEvents returns up to limit events after afterSeq, oldest first.
func (s *Store) ListEvents(ctx context.Context, executionID string,
	afterSeq int64, limit int) ([]plan.Event, error) {
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"
	}
	events, err := listRecords[plan.Event](ctx, s, executionID,
		`SELECT data FROM events WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list events of %q: %w", executionID, err)
	}
	return events, nil
}

// listRecords decodes the data column of query's rows. query takes the
// execution ID first, then args. An empty result for an execution that
// does not exist is store.ErrNotFound.
func listRecords[T any](ctx context.Context, s *Store,
	executionID, query string, args ...any) ([]T, error) {
	rows, err := s.db.QueryContext(ctx, query, append([]any{executionID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out  []T
		data []byte
	)
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		out = append(out, *new(T))
		if err := json.Unmarshal(data, &out[len(out)-1]); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		var n int
		err := s.db.QueryRowContext(ctx,
			`SELECT count(*) FROM executions WHERE id = ?`, executionID).Scan(&n)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, store.ErrNotFound
		}
	}
	return out, nil
}

// ExecutionRevision implements store.RevisionReader: the revision column
// alone, without decoding the header.
func (s *Store) ExecutionRevision(ctx context.Context, id string) (int64, error) {
	var revision int64
	err := s.db.QueryRowContext(ctx, `SELECT revision FROM executions WHERE id = ?`, id).Scan(&revision)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("get execution %q revision: %w", id, err)
	}
	return revision, nil
}
