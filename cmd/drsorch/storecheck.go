package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// storeFileCheck returns a readiness check of a SQLite store's file: it
// must still exist (a removed file is kept alive by the open handle, and
// everything written after is lost at the next start), and its directory
// must take a small write (a full disk or a read-only file system fails
// SQLite's next write). Nil for other stores and for ":memory:".
func storeFileCheck(spec string) func(context.Context) error {
	kind, path, _ := strings.Cut(spec, ":")
	if kind != "sqlite" || path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	return func(context.Context) error {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("store file %s: %w", path, err)
		}
		f, err := os.CreateTemp(filepath.Dir(path), ".drsorch-ready-*")
		if err != nil {
			return fmt.Errorf("store directory %s takes no write: %w", filepath.Dir(path), err)
		}
		name := f.Name()
		_, werr := f.Write([]byte{'\n'})
		if werr == nil {
			werr = f.Sync()
		}
		cerr := f.Close()
		os.Remove(name)
		if err := errors.Join(werr, cerr); err != nil {
			return fmt.Errorf("store directory %s takes no write: %w", filepath.Dir(path), err)
		}
		return nil
	}
}

// readyChecks joins readiness checks; nil ones are skipped.
func readyChecks(checks ...func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		var errs []error
		for _, c := range checks {
			if c == nil {
				continue
			}
			if err := c(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
