package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

func init() {
	register("executions", "list, show and control executions", runExecutions)
}

const executionsUsage = `usage: drsorch executions COMMAND [flags]

commands:
  list [--plan PLAN] [--status STATUS]   executions, newest first
  show ID                                one execution, wave by wave
  pause ID | resume ID | cancel ID       control a running execution
  approve ID WAVE                        open a wave's approval gate
  retry ID                               launch the failed servers again
  cleanup ID [--wait]                    terminate a drill's instances
`

// cleanupPoll is how often cleanup --wait reads the execution.
var cleanupPoll = time.Second

func runExecutions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, executionsUsage)
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("executions "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), executionsUsage); fs.PrintDefaults() }
	var cf clientFlags
	cf.add(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	planRef := fs.String("plan", "", "list: only executions of this plan (name or ID)")
	status := fs.String("status", "", "list: only executions in this status")
	limit := fs.Int("limit", 50, "list: at most this many executions")
	wait := fs.Bool("wait", false, "cleanup: wait for the cleanup to end; exit 0 only when it completes")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"list": 0, "show": 1, "pause": 1, "resume": 1, "cancel": 1,
		"retry": 1, "cleanup": 1, "approve": 2}
	n, ok := want[sub]
	if !ok {
		fmt.Fprint(stderr, executionsUsage)
		return fmt.Errorf("executions: unknown command %q", sub)
	}
	if len(pos) != n {
		fs.Usage()
		return fmt.Errorf("executions %s: want %d arguments, got %d", sub, n, len(pos))
	}
	c, err := cf.client()
	if err != nil {
		return err
	}

	var v *execution.View
	switch sub {
	case "list":
		return listExecutions(ctx, c, *planRef, *status, *limit, *asJSON, stdout)
	case "show":
		v, err = c.GetExecution(ctx, pos[0])
	case "approve":
		v, err = c.ApproveWave(ctx, pos[0], pos[1])
	default:
		v, err = c.ControlExecution(ctx, pos[0], sub)
	}
	if err != nil {
		return describeRefusal(stderr, sub+" "+pos[0], err)
	}
	if sub == "cleanup" && *wait {
		if v, err = waitCleanup(ctx, c, v); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(stdout, v)
	}
	if sub == "show" || sub == "cleanup" && *wait {
		showExecution(stdout, v)
	} else {
		fmt.Fprintf(stdout, "%s: %s requested (execution %s)\n", v.ID, sub, v.Status)
	}
	if sub == "cleanup" && *wait && v.Cleanup != plan.CleanupCompleted {
		return exitError{1}
	}
	return nil
}

func listExecutions(ctx context.Context, c *client.Client, planRef, status string, limit int, asJSON bool, w io.Writer) error {
	f := client.ExecutionFilter{Status: status}
	if planRef != "" {
		p, err := findPlan(ctx, c, planRef)
		if err != nil {
			return err
		}
		f.PlanID = p.ID
	}
	page, err := c.ListExecutions(ctx, f, client.ListOptions{Limit: limit})
	if err != nil {
		return fmt.Errorf("list executions: %w", err)
	}
	if asJSON {
		return printJSON(w, page)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPLAN\tMODE\tSTATUS\tCLEANUP\tCREATED")
	for _, e := range page.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.PlanName, e.Mode, e.Status,
			dash(e.Cleanup), e.CreatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

// waitCleanup reads the execution until its cleanup has ended.
func waitCleanup(ctx context.Context, c *client.Client, v *execution.View) (*execution.View, error) {
	t := time.NewTicker(cleanupPoll)
	defer t.Stop()
	for v.Requests.Cleanup || v.Cleanup == plan.CleanupRunning {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
		next, err := c.GetExecution(ctx, v.ID)
		if err != nil {
			if client.ErrorCode(err) != "" {
				return nil, fmt.Errorf("get execution %s: %w", v.ID, err)
			}
			continue // the server may be restarting
		}
		v = next
	}
	return v, nil
}

func showExecution(w io.Writer, v *execution.View) {
	fmt.Fprintf(w, "execution %s: %s of plan %q, %s\n", v.ID, v.Mode, v.PlanName, v.Status)
	if v.StartTime != nil {
		end := "running"
		if v.EndTime != nil {
			end = "took " + v.EndTime.Sub(*v.StartTime).Round(time.Second).String()
		}
		fmt.Fprintf(w, "started %s, %s\n", v.StartTime.Local().Format(time.DateTime), end)
	}
	if v.Cleanup != "" {
		fmt.Fprintf(w, "cleanup %s\n", v.Cleanup)
	}
	for _, wv := range v.Waves {
		fmt.Fprintf(w, "\nwave %s: %s, launched %d, failed %d, pending %d\n",
			wv.Name, wv.Status, wv.Launched, wv.Failed, wv.Pending)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, l := range wv.Servers {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.SourceServerID, dash(l.Hostname), l.Status,
				dash(l.EC2InstanceID), l.Error)
		}
		tw.Flush()
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
