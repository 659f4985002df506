package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/drsorch/drsorch/internal/readiness"
)

func init() {
	register("readiness", "check that every plan (or one) could run now", runReadiness)
}

func runReadiness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("readiness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch readiness [--plan PLAN] [--refresh] [--json]")
		fmt.Fprintln(fs.Output(), "\nPrints each plan's problems: servers missing, not replicating, without a recent")
		fmt.Fprintln(fs.Output(), "snapshot or in two groups, and drift since the last drill; and its warnings: launch")
		fmt.Fprintln(fs.Output(), "settings that drifted or could not be read back. Exits 1 when a plan is not ready")
		fmt.Fprintln(fs.Output(), "(warnings alone leave it ready).")
		fs.PrintDefaults()
	}
	planRef := fs.String("plan", "", "only this plan (name or ID)")
	refresh := fs.Bool("refresh", false, "check now rather than read the server's latest scheduled check")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	var cf clientFlags
	cf.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return fmt.Errorf("readiness: unexpected argument %q", pos[0])
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	planID := ""
	if *planRef != "" {
		p, err := findPlan(ctx, c, *planRef)
		if err != nil {
			return err
		}
		planID = p.ID
	}
	r, err := c.Readiness(ctx, planID, *refresh)
	if err != nil {
		return fmt.Errorf("readiness: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printReadiness(stdout, r)
	}
	if !r.Ready {
		return exitError{1}
	}
	return nil
}

func printReadiness(w io.Writer, r *readiness.Result) {
	fmt.Fprintf(w, "checked %s\n", r.CheckedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	for _, p := range r.Plans {
		state := "ready"
		if !p.Ready {
			state = fmt.Sprintf("NOT READY (%d problems)", len(p.Problems))
		}
		if len(p.Warnings) > 0 {
			state += fmt.Sprintf(", %s", quantity(len(p.Warnings), "warning"))
		}
		fmt.Fprintf(w, "plan %s: %d servers, %s\n", p.PlanName, p.Servers, state)
		for _, pr := range p.Problems {
			fmt.Fprintf(w, "  %s: %s\n", pr.Code, pr.Message)
		}
		for _, pr := range p.Warnings {
			fmt.Fprintf(w, "  warning %s: %s\n", pr.Code, pr.Message)
		}
		if d := p.Drift; d != nil && d.Changed {
			for _, s := range d.Added {
				fmt.Fprintf(w, "  + %s in group %s since drill %s\n", s.SourceServerID, s.GroupID, d.ExecutionID)
			}
			for _, s := range d.Removed {
				fmt.Fprintf(w, "  - %s of group %s since drill %s\n", s.SourceServerID, s.GroupID, d.ExecutionID)
			}
		}
	}
}
