package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/drsorch/drsorch/internal/report"
)

func init() {
	register("predict", "estimate a plan's recovery time from its past drills", runPredict)
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch predict PLAN [--json]")
		fmt.Fprintln(fs.Output(), "\nEstimates how long PLAN (a name or ID) would take if started now: each server's")
		fmt.Fprintln(fs.Output(), "launch time from past drills (else 5 min Linux, 20 min Windows), the waves'")
		fmt.Fprintln(fs.Output(), "dependencies and the DRS quotas. Waiting for approvals is not counted.")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print the API's JSON")
	var cf clientFlags
	cf.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("predict: want one PLAN, got %d arguments", len(pos))
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	p, err := findPlan(ctx, c, pos[0])
	if err != nil {
		return err
	}
	pr, err := c.PlanPrediction(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("predict plan %q: %w", p.Name, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(pr)
	}
	printPrediction(stdout, pr)
	return nil
}

func printPrediction(w io.Writer, pr *report.Prediction) {
	fmt.Fprintf(w, "plan %s: about %s", pr.PlanName, report.FormatSeconds(pr.MakespanSeconds))
	switch {
	case pr.RTOMet == nil:
		fmt.Fprintln(w, " (no RTO set)")
	case *pr.RTOMet:
		fmt.Fprintf(w, ", within its RTO of %d min\n", pr.RTOMinutes)
	default:
		fmt.Fprintf(w, ", OVER its RTO of %d min\n", pr.RTOMinutes)
	}
	fmt.Fprintf(w, "%d servers, %d measured in the last %d drills, the rest at typical launch times\n\n",
		pr.Servers, pr.Measured, pr.DrillsUsed)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tSERVERS\tJOBS\tSTART\tEND\tDURATION\t")
	for _, wv := range pr.Waves {
		name := wv.Name
		if wv.Critical {
			name += " *"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t+%s\t+%s\t%s\t\n", name, wv.Servers, wv.Jobs,
			report.FormatSeconds(wv.StartSeconds), report.FormatSeconds(wv.EndSeconds),
			report.FormatSeconds(wv.DurationSeconds))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n* critical path: %s\n", strings.Join(pr.CriticalPath, " → "))
	if len(pr.ApprovalGates) > 0 {
		fmt.Fprintf(w, "approval gates, not counted: %s\n", strings.Join(pr.ApprovalGates, ", "))
	}
	for _, m := range pr.Warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
}
