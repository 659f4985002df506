package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/report"
)

// ExecutionReport returns the report of an execution.
func (c *Client) ExecutionReport(ctx context.Context, id string) (*report.Report, error) {
	var r report.Report
	if _, err := c.do(ctx, request{method: "GET", path: executionPath(id) + "/report"}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ExecutionReportAs returns the report of an execution in format "json",
// "csv" or "html", as the server renders it.
func (c *Client) ExecutionReportAs(ctx context.Context, id, format string) ([]byte, error) {
	q := url.Values{"format": {format}}
	return c.raw(ctx, executionPath(id)+"/report", q)
}

// PlanTrend returns the drill history of a plan: the latest limit drills
// (0: the server's default), alerting by margin percent (0: the
// server's default).
func (c *Client) PlanTrend(ctx context.Context, planID string, limit int, margin float64) (*report.Trend, error) {
	var t report.Trend
	_, err := c.do(ctx, request{method: "GET", path: planPath(planID) + "/trends",
		query: trendQuery(limit, margin)}, &t)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// PlanTrendSVG returns the SVG chart of a plan's drill history.
func (c *Client) PlanTrendSVG(ctx context.Context, planID string, limit int, margin float64) ([]byte, error) {
	return c.raw(ctx, planPath(planID)+"/trends.svg", trendQuery(limit, margin))
}

// PlanPrediction returns the estimated makespan of a plan started now.
func (c *Client) PlanPrediction(ctx context.Context, planID string) (*report.Prediction, error) {
	var p report.Prediction
	if _, err := c.do(ctx, request{method: "GET", path: planPath(planID) + "/prediction"}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Readiness returns the readiness of every plan, or of planID when not
// empty; refresh asks for a new check rather than the cached one.
func (c *Client) Readiness(ctx context.Context, planID string, refresh bool) (*readiness.Result, error) {
	q := url.Values{}
	if planID != "" {
		q.Set("planId", planID)
	}
	if refresh {
		q.Set("refresh", "true")
	}
	var r readiness.Result
	if _, err := c.do(ctx, request{method: "GET", path: "/api/v1/readiness", query: q}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func trendQuery(limit int, margin float64) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if margin > 0 {
		q.Set("margin", strconv.FormatFloat(margin, 'f', -1, 64))
	}
	return q
}

func planPath(id string) string { return "/api/v1/recovery-plans/" + url.PathEscape(id) }

// raw GETs path and returns a 2xx body as it is, whatever its type.
func (c *Client) raw(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("request path %q: %w", path, err)
	}
	u.Path = p
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read answer: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeError(resp.StatusCode, data)
	}
	return data, nil
}
