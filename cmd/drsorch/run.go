package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

func init() { register("run", "start an execution of a recovery plan", runRun) }

// defaultServer is the drsorch server the CLI talks to unless told.
const defaultServer = "http://127.0.0.1:8080"

// clientFlags adds the flags that say how to reach the server.
type clientFlags struct{ server, token string }

func (cf *clientFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&cf.server, "server", defaultServer, "URL of the drsorch server")
	fs.StringVar(&cf.token, "token", "", "API token (drs_…; drsorch token create makes one)")
}

func (cf *clientFlags) client() (*client.Client, error) {
	c, err := client.New(cf.server, client.NewHTTPClient())
	if err != nil {
		return nil, err
	}
	c.Token = cf.token
	return c, nil
}

// parseArgs parses flags wherever they stand among the positional
// arguments, as in "run shop --mode drill", and returns the positional
// ones. The flag package alone stops at the first positional argument.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return pos, envDefaults(fs)
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch run PLAN --mode drill|recovery [--point-in-time T|consistent] [--wait]")
		fmt.Fprintln(fs.Output(), "\nPLAN is a recovery plan's name or ID.")
		fs.PrintDefaults()
	}
	mode := fs.String("mode", "", "drill or recovery")
	pit := fs.String("point-in-time", "", "RFC 3339 time: launch each server from its latest snapshot at or before it; or consistent: recover each wave to one instant, the latest at which all its servers have a snapshot")
	wait := fs.Bool("wait", false, "follow the execution to its end; exit 0 only when it completes")
	var cf clientFlags
	cf.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("run: want one PLAN, got %d arguments", len(pos))
	}
	if *mode != plan.ModeDrill && *mode != plan.ModeRecovery {
		return fmt.Errorf("run: --mode must be %s or %s", plan.ModeDrill, plan.ModeRecovery)
	}
	if _, err := execution.ParsePointInTime(*pit); err != nil {
		return fmt.Errorf("run: --point-in-time %q is neither an RFC 3339 time nor %q", *pit, execution.PointInTimeConsistent)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	p, err := findPlan(ctx, c, pos[0])
	if err != nil {
		return err
	}
	res, err := c.StartExecutionAt(ctx, p.ID, *mode, *pit)
	if err != nil {
		return describeRefusal(stderr, fmt.Sprintf("start %s of plan %q", *mode, p.Name), err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w.Message)
	}
	fmt.Fprintln(stdout, res.ExecutionID)
	if !*wait {
		return nil
	}
	v, err := follow(ctx, c, res.ExecutionID, stdout)
	if err != nil {
		return err
	}
	if v.Status != plan.ExecCompleted {
		return exitError{1}
	}
	return nil
}

// findPlan looks a plan up by ID, or else by name.
func findPlan(ctx context.Context, c *client.Client, ref string) (plan.RecoveryPlan, error) {
	if strings.HasPrefix(ref, plan.PrefixPlan) {
		p, _, err := c.GetPlan(ctx, ref)
		if err == nil || client.ErrorCode(err) != "not_found" {
			return p, err
		}
	}
	plans, err := c.AllPlans(ctx)
	if err != nil {
		return plan.RecoveryPlan{}, fmt.Errorf("list plans: %w", err)
	}
	for _, p := range plans {
		if p.Name == ref {
			return p, nil
		}
	}
	return plan.RecoveryPlan{}, fmt.Errorf("no recovery plan named %q", ref)
}

// describeRefusal prints every problem of an API refusal, and returns the
// refusal in one line.
func describeRefusal(w io.Writer, what string, err error) error {
	var e *client.Error
	if errors.As(err, &e) && len(e.Details) > 1 {
		for _, d := range e.Details {
			fmt.Fprintf(w, "  - %s\n", d.Message)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Following an execution: the event stream says when something happened;
// each time, the execution is read to print its waves' progress, no more
// often than followRefresh unless a wave or the execution changed state.
// A stream cut short (a restarting server) is resumed after followRetry,
// which makes a slow poll of a server that cannot stream.
var (
	followRefresh = 500 * time.Millisecond
	followRetry   = 2 * time.Second
)

// eventAwaitingApproval is the engine's event for a wave reaching its gate.
const eventAwaitingApproval = "wave_awaiting_approval"

// follow prints the progress of an execution until its status is final
// and returns it as it ended. The server ends the event stream once the
// execution is final and every event was sent, so that no event is lost
// between the read that sees the end and the stream.
func follow(ctx context.Context, c *client.Client, id string, w io.Writer) (*execution.View, error) {
	p := &progress{w: w, waves: map[string]string{}}
	var after int64
	var last time.Time
	for {
		v, err := c.GetExecution(ctx, id)
		if err == nil {
			p.print(v)
			if !plan.Active(v.Status) {
				p.done(v)
				return v, nil
			}
		} else if ctx.Err() != nil || client.ErrorCode(err) != "" {
			return nil, fmt.Errorf("get execution %s: %w", id, err)
		}
		err = c.StreamEvents(ctx, id, after, func(ev plan.Event) error {
			after = ev.Seq
			p.event(id, ev)
			if time.Since(last) < followRefresh && !stateEvent(ev) {
				return nil
			}
			last = time.Now()
			v, err := c.GetExecution(ctx, id)
			if err != nil {
				return err
			}
			p.print(v)
			return nil
		})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ae *client.Error
		if errors.As(err, &ae) && ae.StatusCode < 500 {
			return nil, fmt.Errorf("follow execution %s: %w", id, err)
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(followRetry):
			}
		}
	}
}

// stateEvent reports whether an event is about a wave or the execution as
// a whole rather than one server.
func stateEvent(ev plan.Event) bool { return ev.SourceServerID == "" }

// progress prints what changed in an execution's waves since it last
// printed.
type progress struct {
	w      io.Writer
	status string
	waves  map[string]string // wave name -> last line printed
}

func (p *progress) print(v *execution.View) {
	// A starting execution is told before its waves, an ending one after.
	if v.Status != p.status && plan.Active(v.Status) {
		fmt.Fprintf(p.w, "%s  execution %s %s\n", clock(), v.ID, v.Status)
		p.status = v.Status
	}
	defer func() {
		if v.Status != p.status {
			fmt.Fprintf(p.w, "%s  execution %s %s\n", clock(), v.ID, v.Status)
			p.status = v.Status
		}
	}()
	for _, wv := range v.Waves {
		line := fmt.Sprintf("%-18s launched %d  failed %d  pending %d", wv.Status, wv.Launched, wv.Failed, wv.Pending)
		if p.waves[wv.Name] == line {
			continue
		}
		p.waves[wv.Name] = line
		fmt.Fprintf(p.w, "%s  wave %-14s %s\n", clock(), wv.Name, line)
	}
}

// event prints what an event asks of the operator. The execution read
// after it may have moved on already, so the event itself tells.
func (p *progress) event(id string, ev plan.Event) {
	if ev.Type == eventAwaitingApproval {
		fmt.Fprintf(p.w, "%s  wave %s waits for approval: drsorch executions approve %s %s\n",
			clock(), ev.Wave, id, ev.Wave)
	}
}

func (p *progress) done(v *execution.View) {
	took := ""
	if v.StartTime != nil && v.EndTime != nil {
		took = " in " + v.EndTime.Sub(*v.StartTime).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "execution %s ended %s%s\n", v.ID, v.Status, took)
	launched := 0
	for _, wv := range v.Waves {
		launched += wv.Launched
	}
	if v.Mode == plan.ModeDrill && v.Cleanup == plan.CleanupNotStarted && launched > 0 {
		fmt.Fprintf(p.w, "clean the drill instances up with: drsorch executions cleanup %s\n", v.ID)
	}
}

func clock() string { return time.Now().Format("15:04:05") }
