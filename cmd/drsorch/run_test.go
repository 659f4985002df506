package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/plan"
)

func TestRunRefusesBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no plan", []string{"--mode", "drill"}, "want one PLAN"},
		{"two plans", []string{"a", "b", "--mode", "drill"}, "want one PLAN"},
		{"no mode", []string{"shop"}, "--mode must be"},
		{"bad mode", []string{"shop", "--mode", "test"}, "--mode must be"},
		{"bad point in time", []string{"shop", "--mode", "recovery", "--point-in-time", "noon"}, "neither an RFC 3339 time nor \"consistent\""},
		{"bad server", []string{"shop", "--mode", "drill", "--server", "ftp://x"}, "server URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runRun(t.Context(), tt.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("printed %q", &out)
			}
		})
	}
}

// TestRunWaitFollowsControls drives a plan whose first wave is gated:
// run --wait exits 1 when the execution is cancelled at the gate, and 0
// when the next one is approved and completes.
func TestRunWaitFollowsControls(t *testing.T) {
	_, url := startDemo(t, fastDemo(t, t.TempDir()))
	ctx := t.Context()
	c, err := client.New(url, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = os.Getenv("DRSORCH_TOKEN")
	shop, err := findPlan(ctx, c, "shop")
	if err != nil {
		t.Fatal(err)
	}
	gated := plan.RecoveryPlan{Name: "gated", Waves: shop.Waves}
	gated.Waves[0].PauseBefore = true
	if _, _, err := c.CreatePlan(ctx, gated); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		control string
		args    func(id string) []string
		wantErr error
		status  string
	}{
		{"cancel", func(id string) []string { return []string{"cancel", id, "--server", url} },
			exitError{1}, plan.ExecCancelled},
		{"approve", func(id string) []string { return []string{"approve", id, "database", "--server", url} },
			nil, plan.ExecCompleted},
	} {
		t.Run(tt.control, func(t *testing.T) {
			var out, errOut syncBuffer
			done := make(chan error, 1)
			go func() {
				done <- runRun(ctx, []string{"gated", "--mode", "drill", "--wait", "--server", url}, &out, &errOut)
			}()
			id := waitForGate(t, c, &out)
			var cout bytes.Buffer
			if err := runExecutions(ctx, tt.args(id), &cout, &errOut); err != nil {
				t.Fatalf("%s: %v\n%s", tt.control, err, errOut.String())
			}
			err := <-done
			if !errors.Is(err, tt.wantErr) && err != tt.wantErr {
				t.Errorf("run --wait: %v, want %v\n%s", err, tt.wantErr, out.String())
			}
			for _, want := range []string{"wave database waits for approval: drsorch executions approve " + id + " database",
				"ended " + tt.status} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("run output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// waitForGate waits until run has printed its execution ID and the
// execution waits for approval, and returns the ID.
func waitForGate(t *testing.T, c *client.Client, out *syncBuffer) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		id, _, ok := strings.Cut(out.String(), "\n")
		if ok {
			v, err := c.GetExecution(ctx, id)
			if err == nil && v.Waves[0].Status == plan.WaveAwaitingApproval {
				return id
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no execution reached its gate; output:\n%s", out.String())
	return ""
}

// syncBuffer is a bytes.Buffer that one goroutine writes while another
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
