package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drsorch/drsorch/internal/bench"
	"github.com/google/go-cmp/cmp"
)

// TestBenchCommand runs the engine-cost scenario, the quickest, through
// the command, as JSON and as a markdown file.
func TestBenchCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"bench", "--quick", "--scenario", "7", "--json"}, &stdout, &stderr); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, stderr.String())
	}
	var r bench.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("decode report: %v", err)
	}
	if diff := cmp.Diff([]int{7}, r.Scenarios); diff != "" {
		t.Errorf("scenarios mismatch (-want +got):\n%s", diff)
	}
	if r.Cost == nil || r.Cost.Rounds == 0 || len(r.Plans) != 0 {
		t.Errorf("report: cost %+v, %d plans; want the cost scenario only", r.Cost, len(r.Plans))
	}

	file := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	stdout.Reset()
	if err := run(t.Context(), []string{"bench", "--quick", "--scenario=7", "--seed", "3", "-o", file}, &stdout, &stderr); err != nil {
		t.Fatalf("bench -o: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go run ./cmd/drsorch bench --quick --scenario 7 --seed 3 -o " + file, "## 7. Engine cost", "Seed 3"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("bench -o wrote %q to standard output", stdout.String())
	}
}

func TestBenchFlags(t *testing.T) {
	tests := [][]string{
		{"bench", "--scenario", "8"},
		{"bench", "--scenario", "x"},
		{"bench", "--json", "-o", "x.md"},
		{"bench", "extra"},
	}
	for _, args := range tests {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
