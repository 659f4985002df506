package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

// Execution controls, as the API's routes name them.
const (
	ControlPause   = "pause"
	ControlResume  = "resume"
	ControlCancel  = "cancel"
	ControlRetry   = "retry"
	ControlCleanup = "cleanup"
)

// StartExecution starts plan planID in mode ("drill" or "recovery"),
// from the latest snapshots at or before pointInTime when it is not nil.
func (c *Client) StartExecution(ctx context.Context, planID, mode string, pointInTime *time.Time) (execution.Result, error) {
	pit := ""
	if pointInTime != nil {
		pit = pointInTime.UTC().Format(time.RFC3339)
	}
	return c.StartExecutionAt(ctx, planID, mode, pit)
}

// StartExecutionAt starts plan planID in mode with a point in time as
// the API spells it: empty for none, an RFC 3339 time, or "consistent".
func (c *Client) StartExecutionAt(ctx context.Context, planID, mode, pointInTime string) (execution.Result, error) {
	body := map[string]string{"mode": mode}
	if pointInTime != "" {
		body["pointInTime"] = pointInTime
	}
	var res execution.Result
	_, err := c.do(ctx, request{method: "POST",
		path: "/api/v1/recovery-plans/" + url.PathEscape(planID) + "/executions", body: body}, &res)
	return res, err
}

// ExecutionFilter narrows ListExecutions; empty fields match everything.
type ExecutionFilter struct {
	PlanID string
	Status string
}

// ListExecutions returns one page of executions, newest first.
func (c *Client) ListExecutions(ctx context.Context, f ExecutionFilter, opts ListOptions) (Page[plan.Execution], error) {
	q := opts.query()
	if f.PlanID != "" {
		q.Set("planId", f.PlanID)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	var page Page[plan.Execution]
	_, err := c.do(ctx, request{method: "GET", path: "/api/v1/executions", query: q}, &page)
	return page, err
}

// GetExecution returns an execution with its waves and their servers.
func (c *Client) GetExecution(ctx context.Context, id string) (*execution.View, error) {
	var v execution.View
	if _, err := c.do(ctx, request{method: "GET", path: executionPath(id)}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ControlExecution asks for one of the controls (ControlPause, …) and
// returns the execution as it stands after the request.
func (c *Client) ControlExecution(ctx context.Context, id, control string) (*execution.View, error) {
	var v execution.View
	if _, err := c.do(ctx, request{method: "POST", path: executionPath(id) + "/" + control}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ApproveWave opens the approval gate of a wave of an execution.
func (c *Client) ApproveWave(ctx context.Context, id, wave string) (*execution.View, error) {
	var v execution.View
	path := executionPath(id) + "/waves/" + url.PathEscape(wave) + "/approve"
	if _, err := c.do(ctx, request{method: "POST", path: path}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ExecutionEvents returns one page of an execution's events after seq
// after, oldest first.
func (c *Client) ExecutionEvents(ctx context.Context, id string, after int64, limit int) ([]plan.Event, error) {
	q := ListOptions{Limit: limit}.query()
	q.Set("after", strconv.FormatInt(after, 10))
	var page Page[plan.Event]
	_, err := c.do(ctx, request{method: "GET", path: executionPath(id) + "/events", query: q}, &page)
	return page.Items, err
}

// StreamEvents follows an execution's events as server-sent events, from
// seq after, calling fn for each in order. It returns nil when the server
// ends the stream: once the execution is final and every event was sent,
// but also when the server shuts down, so callers check the execution. A
// stream cut short returns an error; either way the caller may resume
// from the last Seq it saw. An error from fn ends the stream too.
func (c *Client) StreamEvents(ctx context.Context, id string, after int64, fn func(plan.Event) error) error {
	u := *c.base
	u.Path = c.base.Path + "/api/v1/executions/" + id + "/events"
	u.RawPath = c.base.EscapedPath() + executionPath(id) + "/events"
	u.RawQuery = url.Values{"after": {strconv.FormatInt(after, 10)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var buf strings.Builder
		bufio.NewReader(resp.Body).WriteTo(&buf)
		return decodeError(resp.StatusCode, []byte(buf.String()))
	}
	return readEvents(bufio.NewScanner(resp.Body), fn)
}

// readEvents parses a text/event-stream body of plan.Event data lines.
func readEvents(sc *bufio.Scanner, fn func(plan.Event) error) error {
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() == 0 {
				continue
			}
			var ev plan.Event
			if err := json.Unmarshal([]byte(data.String()), &ev); err != nil {
				return fmt.Errorf("event stream: decode event: %w", err)
			}
			data.Reset()
			if err := fn(ev); err != nil {
				return err
			}
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
		// id:, event: and comment lines carry nothing the data lacks.
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	if data.Len() > 0 {
		return fmt.Errorf("event stream: cut in the middle of an event")
	}
	return nil
}

func executionPath(id string) string { return "/api/v1/executions/" + url.PathEscape(id) }
