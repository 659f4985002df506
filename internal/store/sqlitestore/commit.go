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

// encoded is one record of a Change ready to write: its new version and
// JSON.
type encoded struct {
	version int64
	data    []byte
}

// Commit applies c in one transaction, after checking the lease.
func (s *Store) Commit(ctx context.Context, c *store.Change) error {
	id := c.ExecutionID
	if id == "" && c.Execution != nil {
		id = c.Execution.ID
	}
	now := c.Now
	if now.IsZero() {
		now = s.now()
	}
	if err := s.commit(ctx, id, now, c); err != nil {
		return fmt.Errorf("commit execution %q: %w", id, err)
	}
	return nil
}

func (s *Store) commit(ctx context.Context, id string, now time.Time, c *store.Change) error {
	// Encode every record with its next version before taking the write
	// lock; versions reach the caller's values only once the transaction
	// has committed.
	var header *encoded
	if c.Execution != nil {
		e := *c.Execution
		if err := sameExecution("header", &e.ID, id); err != nil {
			return err
		}
		e.Version++
		enc, err := encode(e.Version, &e)
		if err != nil {
			return fmt.Errorf("encode header: %w", err)
		}
		header = &enc
	}
	waves := make([]encoded, len(c.Waves))
	for i, w := range c.Waves {
		w := *w
		if err := sameExecution("wave", &w.ExecutionID, id); err != nil {
			return err
		}
		w.Version++
		var err error
		if waves[i], err = encode(w.Version, &w); err != nil {
			return fmt.Errorf("encode wave %d: %w", w.Index, err)
		}
	}
	launches := make([]encoded, len(c.Launches))
	for i, l := range c.Launches {
		l := *l
		if err := sameExecution("launch", &l.ExecutionID, id); err != nil {
			return err
		}
		l.Version++
		var err error
		if launches[i], err = encode(l.Version, &l); err != nil {
			return fmt.Errorf("encode launch of %s: %w", l.SourceServerID, err)
		}
	}
	batches := make([]encoded, len(c.Batches))
	for i, b := range c.Batches {
		b := *b
		if err := sameExecution("batch", &b.ExecutionID, id); err != nil {
			return err
		}
		b.Version++
		var err error
		if batches[i], err = encode(b.Version, &b); err != nil {
			return fmt.Errorf("encode batch %s: %w", b.ID, err)
		}
	}
	// Events are encoded in the transaction, once their Seq is known.
	var firstSeq, revision int64

	err := s.write(ctx, func(tx *sql.Tx) error {
		var (
			owner  string
			expiry int64
			last   int64
		)
		err := tx.QueryRowContext(ctx,
			`SELECT lease_owner, lease_expiry, last_seq, revision FROM executions WHERE id = ?`,
			id).Scan(&owner, &expiry, &last, &revision)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if c.Owner != "" && (owner != c.Owner || expiry <= now.UnixNano()) {
			return store.ErrLeaseLost
		}

		if header != nil {
			status, active, requested := headerArgs(c.Execution)
			res, err := tx.ExecContext(ctx, `UPDATE executions
				SET status = ?, active = ?, requested = ?, version = ?, data = ?
				WHERE id = ? AND version = ?`,
				status, active, requested, header.version, header.data,
				id, c.Execution.Version)
			if isUnique(err) {
				// Another execution of the plan is active.
				return store.ErrExists
			}
			if err := checkOne(res, err); err != nil {
				return fmt.Errorf("header: %w", err)
			}
		}

		err = updateAll(ctx, tx,
			`UPDATE waves SET version = ?, data = ? WHERE execution_id = ? AND idx = ? AND version = ?`,
			`SELECT count(*) FROM waves WHERE execution_id = ? AND idx = ?`,
			len(waves), func(i int) (enc encoded, key []any, read int64) {
				w := c.Waves[i]
				return waves[i], []any{id, w.Index}, w.Version
			})
		if err != nil {
			return fmt.Errorf("waves: %w", err)
		}
		err = updateAll(ctx, tx,
			`UPDATE launches SET version = ?, data = ?
			WHERE execution_id = ? AND wave = ? AND source_server_id = ? AND version = ?`,
			`SELECT count(*) FROM launches WHERE execution_id = ? AND wave = ? AND source_server_id = ?`,
			len(launches), func(i int) (enc encoded, key []any, read int64) {
				l := c.Launches[i]
				return launches[i], []any{id, l.Wave, l.SourceServerID}, l.Version
			})
		if err != nil {
			return fmt.Errorf("launches: %w", err)
		}
		if err := writeBatches(ctx, tx, id, c.Batches, batches); err != nil {
			return fmt.Errorf("batches: %w", err)
		}

		revision++
		_, err = tx.ExecContext(ctx, `UPDATE executions SET revision = ? WHERE id = ?`, revision, id)
		if err != nil {
			return fmt.Errorf("revision: %w", err)
		}

		if len(c.Events) > 0 {
			firstSeq = last + 1
			events := make([]encoded, len(c.Events))
			for i, ev := range c.Events {
				ev := *ev
				if err := sameExecution("event", &ev.ExecutionID, id); err != nil {
					return err
				}
				ev.Seq = firstSeq + int64(i)
				if events[i], err = encode(ev.Seq, &ev); err != nil {
					return fmt.Errorf("encode event: %w", err)
				}
			}
			err := insertAll(ctx, tx,
				`INSERT INTO events (execution_id, seq, data) VALUES (?, ?, ?)`,
				len(events), func(i int) []any {
					return []any{id, events[i].version, events[i].data}
				})
			if err != nil {
				return fmt.Errorf("events: %w", err)
			}
			_, err = tx.ExecContext(ctx, `UPDATE executions SET last_seq = ? WHERE id = ?`,
				last+int64(len(c.Events)), id)
			if err != nil {
				return fmt.Errorf("events: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	if header != nil {
		c.Execution.ID, c.Execution.Version = id, header.version
		c.Execution.Revision = revision
	}
	for i, w := range c.Waves {
		w.ExecutionID, w.Version = id, waves[i].version
	}
	for i, l := range c.Launches {
		l.ExecutionID, l.Version = id, launches[i].version
	}
	for i, b := range c.Batches {
		b.ExecutionID, b.Version = id, batches[i].version
	}
	for i, ev := range c.Events {
		ev.ExecutionID, ev.Seq = id, firstSeq+int64(i)
	}
	return nil
}

func encode(version int64, v any) (encoded, error) {
	data, err := json.Marshal(v)
	return encoded{version: version, data: data}, err
}

// updateAll runs a versioned UPDATE, prepared once, for n records. For
// record i, rec gives its encoding, its key (execution ID first) and the
// version it was read at; count counts the rows with that key, to tell a
// missing record from a stale one.
func updateAll(ctx context.Context, tx *sql.Tx, update, count string, n int,
	rec func(i int) (encoded, []any, int64)) error {
	if n == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, update)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range n {
		enc, key, read := rec(i)
		args := append([]any{enc.version, enc.data}, key...)
		res, err := stmt.ExecContext(ctx, append(args, read)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			if err != nil {
				return err
			}
			continue
		}
		if err := missingOrStale(ctx, tx, count, key...); err != nil {
			return fmt.Errorf("%v: %w", key[1:], err)
		}
	}
	return nil
}

// writeBatches inserts the batches read at Version 0 and updates the others.
func writeBatches(ctx context.Context, tx *sql.Tx, id string, bs []*plan.Batch, enc []encoded) error {
	for i, b := range bs {
		if b.Version == 0 {
			_, err := tx.ExecContext(ctx, `INSERT INTO batches
				(execution_id, id, request_time, version, data) VALUES (?, ?, ?, 1, ?)`,
				id, b.ID, nanos(b.RequestTime), enc[i].data)
			if isUnique(err) {
				// Someone else created it first.
				return fmt.Errorf("new batch %s: %w", b.ID, store.ErrVersionConflict)
			}
			if err != nil {
				return err
			}
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE batches
			SET request_time = ?, version = ?, data = ?
			WHERE execution_id = ? AND id = ? AND version = ?`,
			nanos(b.RequestTime), enc[i].version, enc[i].data, id, b.ID, b.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			if err != nil {
				return err
			}
			continue
		}
		err = missingOrStale(ctx, tx,
			`SELECT count(*) FROM batches WHERE execution_id = ? AND id = ?`, id, b.ID)
		return fmt.Errorf("batch %s: %w", b.ID, err)
	}
	return nil
}

// Claim takes the lease of an execution for owner until expiry.
func (s *Store) Claim(ctx context.Context, executionID, owner string, now, expiry time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE executions
			SET lease_owner = ?, lease_expiry = ?
			WHERE id = ? AND (lease_owner = '' OR lease_owner = ? OR lease_expiry <= ?)`,
			owner, nanos(expiry), executionID, owner, now.UnixNano())
		if err := checkOne(res, err); !errors.Is(err, store.ErrVersionConflict) {
			return err
		}
		if err := exists(ctx, tx, executionID); err != nil {
			return err
		}
		return store.ErrLeaseHeld
	})
	if err != nil {
		return fmt.Errorf("claim execution %q: %w", executionID, err)
	}
	return nil
}

// Release gives up owner's lease of an execution.
func (s *Store) Release(ctx context.Context, executionID, owner string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE executions
			SET lease_owner = '', lease_expiry = 0 WHERE id = ? AND lease_owner = ?`,
			executionID, owner)
		if err := checkOne(res, err); !errors.Is(err, store.ErrVersionConflict) {
			return err
		}
		return exists(ctx, tx, executionID)
	})
	if err != nil {
		return fmt.Errorf("release execution %q: %w", executionID, err)
	}
	return nil
}

// exists is store.ErrNotFound when no execution has the ID.
func exists(ctx context.Context, tx *sql.Tx, id string) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM executions WHERE id = ?`, id).Scan(&n)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}
