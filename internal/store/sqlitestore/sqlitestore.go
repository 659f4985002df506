// Package sqlitestore is the embedded store.Store: one SQLite file in WAL
// mode through the pure Go driver modernc.org/sqlite.
//
// Groups and plans are one row each, their definition kept as JSON beside
// indexed name and version columns. An execution is one row for its header
// (the lease in columns of its own), one per wave, launch, batch and event,
// so a commit that changes ten launches writes ten rows. Applied launch
// settings are one row per group and source server, deleted with their
// group.
//
// Every write runs in a BEGIN IMMEDIATE transaction, which takes SQLite's
// write lock up front: two writers never both read under a shared lock and
// then deadlock upgrading it. Writers of one Store are also serialized in
// the process, so they wait on a mutex rather than on the busy timeout.
// Versioned writes are `UPDATE … WHERE version = ?` with the rows affected
// checked, so the loser of a race gets store.ErrVersionConflict.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/drsorch/drsorch/internal/store"
)

var _ store.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long a connection waits for another process's write
// lock before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// poolSize is how many connections a file database holds, all opened at
// Open and kept for the life of the Store. A connection opened later would
// open whatever file is at the path by then: after the file is removed, a
// new, empty database, where reads would find nothing. Kept connections
// go on reading the removed file's data until the process restarts (and
// readiness reports the removal meanwhile).
const poolSize = 8

// Store is a store.Store on one SQLite database.
type Store struct {
	db *sql.DB

	// wmu serializes the write transactions of this Store.
	wmu sync.Mutex

	// now is the clock for timestamps the store fills in.
	now func() time.Time
}

// Open opens (creating when absent) the SQLite database at path and brings
// its schema up to date. A path of ":memory:", or a "file:" URI with
// mode=memory, is a private in-memory database held on one connection.
// path may not contain '?' unless it is a "file:" URI.
func Open(ctx context.Context, path string) (*Store, error) {
	memory := path == ":memory:" || strings.Contains(path, "mode=memory")
	if !memory && !strings.HasPrefix(path, "file:") {
		if err := checkWritable(path); err != nil {
			return nil, err
		}
	}

	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	dsn := path + sep + "_txlock=immediate" +
		"&_busy_timeout=" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) +
		"&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	if memory {
		// Every connection to ":memory:" is a database of its own, gone
		// when it closes: one connection, never closed while the Store is
		// open, is the whole database.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
	}

	s := &Store{db: db, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		if isReadOnly(err) {
			return nil, fmt.Errorf("open store %q: database is read-only: %w", path, err)
		}
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	if !memory {
		if err := fillPool(ctx, db); err != nil {
			db.Close()
			return nil, fmt.Errorf("open store %q: %w", path, err)
		}
	}
	return s, nil
}

// fillPool opens poolSize connections and keeps them: the pool never
// opens another (see poolSize).
func fillPool(ctx context.Context, db *sql.DB) error {
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	conns := make([]*sql.Conn, 0, poolSize)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range poolSize {
		c, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("open connection: %w", err)
		}
		if err := c.PingContext(ctx); err != nil {
			c.Close()
			return fmt.Errorf("open connection: %w", err)
		}
		conns = append(conns, c)
	}
	return nil
}

// checkWritable refuses a database file, or its directory when the file
// does not exist yet, that its permission bits make read-only. SQLite
// would otherwise open such a file read-only without a word and fail on
// the first write; checking the bits rather than access(2) gives the same
// answer when running as root.
func checkWritable(p string) error {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open store %q: %w", p, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("open store %q: is a directory", p)
	}
	if fi.Mode().Perm()&0o222 == 0 {
		return fmt.Errorf("open store %q: database file is read-only (mode %v)", p, fi.Mode().Perm())
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	return s.db.Close()
}

// migrate applies, in order, every embedded migration not yet recorded in
// schema_migrations, each in its own transaction with its record.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := migrationVersion(name)
		if err != nil {
			return err
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		err = s.write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				name       TEXT NOT NULL,
				applied_at TEXT NOT NULL)`); err != nil {
				return err
			}
			var n int
			err := tx.QueryRowContext(ctx,
				`SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n)
			if err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				version, path.Base(name), s.now().UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", path.Base(name), err)
		}
	}
	return nil
}

// migrationVersion reads the number a migration's file name starts with.
func migrationVersion(name string) (int, error) {
	base := path.Base(name)
	digits, _, ok := strings.Cut(base, "_")
	v, err := strconv.Atoi(digits)
	if !ok || err != nil || v <= 0 {
		return 0, fmt.Errorf("migration %s: name must start with a positive number and '_'", base)
	}
	return v, nil
}

// write runs fn in a write transaction, committing when it returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// sqliteCode returns the extended SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// isReadOnly reports whether err says the database cannot be written.
func isReadOnly(err error) bool {
	return sqliteCode(err)&0xff == sqlite3.SQLITE_READONLY
}

// clampLimit applies store.ListOptions' default and cap.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// nanos is t as Unix nanoseconds, with 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
