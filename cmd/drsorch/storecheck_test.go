package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreFileCheck(t *testing.T) {
	for _, spec := range []string{"sqlite::memory:", "dynamodb://x?region=us-east-1", "sqlite:file:x.db?mode=memory"} {
		if storeFileCheck(spec) != nil {
			t.Errorf("storeFileCheck(%q) is a check, want none", spec)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "drsorch.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	check := storeFileCheck("sqlite:" + path)
	if err := check(context.Background()); err != nil {
		t.Fatalf("check of a present file: %v", err)
	}
	os.Remove(path)
	if err := check(context.Background()); err == nil || !strings.Contains(err.Error(), "store file") {
		t.Errorf("check of a removed file = %v, want it named", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the check left %d files behind", len(entries))
	}
}

func TestReadyChecks(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	got := readyChecks(nil, func(context.Context) error { return a }, func(context.Context) error { return nil },
		func(context.Context) error { return b })(context.Background())
	if !errors.Is(got, a) || !errors.Is(got, b) {
		t.Errorf("readyChecks = %v, want both errors", got)
	}
	if err := readyChecks(nil)(context.Background()); err != nil {
		t.Errorf("readyChecks(nil) = %v", err)
	}
}
