package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/drsorch/drsorch/internal/bench"
)

func init() {
	register("bench", "measure makespans, DRS calls and the API against their bounds", runBench)
}

// scenarioList is a repeatable, comma-separated --scenario flag.
type scenarioList []int

func (s *scenarioList) String() string {
	parts := make([]string, len(*s))
	for i, n := range *s {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (s *scenarioList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 7 {
			return fmt.Errorf("scenario %q: want a number from 1 to 7", f)
		}
		*s = append(*s, n)
	}
	return nil
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch bench [--quick] [--scenario N] [--seed S] [-o FILE | --json]")
		fmt.Fprintln(fs.Output(), "\nRuns drsorch and naive orchestrators on the in-process DRS emulator in")
		fmt.Fprintln(fs.Output(), "emulated time, and the API on 127.0.0.1, and prints the method and one")
		fmt.Fprintln(fs.Output(), "markdown table per scenario (the BENCHMARKS.md document). Scenarios:")
		fmt.Fprintln(fs.Output(), "1 makespan against the bound, 2 naive strategies, 3 DRS calls per server,")
		fmt.Fprintln(fs.Output(), "4 wave transitions, 5 executions sharing an account, 6 API under load,")
		fmt.Fprintln(fs.Output(), "7 engine cost. It fails only when a benchmark is broken, never when slow.")
		fs.PrintDefaults()
	}
	quick := fs.Bool("quick", false, "small versions of every scenario, in seconds")
	var scenarios scenarioList
	fs.Var(&scenarios, "scenario", "scenario to run, 1 to 7; repeat or separate with commas (default: all)")
	seed := fs.Int64("seed", 1, "emulator seed: inventory and launch durations")
	out := fs.String("o", "", "write the markdown document to this file instead of standard output")
	asJSON := fs.Bool("json", false, "print the results as JSON instead of markdown")
	progress := fs.Bool("progress", false, "report each run on standard error as it ends")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *asJSON && *out != "" {
		return fmt.Errorf("bench: -o and --json exclude each other")
	}

	cfg := bench.Config{Quick: *quick, Seed: *seed, Scenarios: scenarios}
	if *progress {
		cfg.Progress = stderr
	}
	r, err := bench.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	command := benchCommand(*quick, scenarios, *seed, *out)
	if *out == "" {
		return bench.WriteMarkdown(stdout, r, command)
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := bench.WriteMarkdown(f, r, command); err != nil {
		f.Close()
		return fmt.Errorf("bench: write %s: %w", *out, err)
	}
	return f.Close()
}

// benchCommand is the command line that reproduces a report.
func benchCommand(quick bool, scenarios scenarioList, seed int64, out string) string {
	cmd := "go run ./cmd/drsorch bench"
	if quick {
		cmd += " --quick"
	}
	if len(scenarios) > 0 {
		cmd += " --scenario " + scenarios.String()
	}
	cmd += " --seed " + strconv.FormatInt(seed, 10)
	if out != "" {
		cmd += " -o " + out
	}
	return cmd
}
