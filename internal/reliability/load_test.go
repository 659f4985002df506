package reliability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// latencies collects request durations of one kind.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// TestLoadDuringDrill drives the API of the built binary on 127.0.0.1
// while a drill runs: readers of a large finished execution, list
// readers, and 200 event streams held open on the running drill. No
// request may fail, and the drill's makespan under load must stay within
// maxSlowdown of the same drill's without load (both over the same
// servers, relaunched; the emulator's durations depend on the job, so
// some difference is the emulator's, not the load's).
func TestLoadDuringDrill(t *testing.T) {
	servers, streams, readers, maxRequests := 100, 200, 6, 20000
	if *long {
		servers, streams, readers, maxRequests = 300, 400, 24, 200000
	}
	const maxSlowdown = 1.5
	cl := newCluster(t, 2*servers, 21, "", nil)
	sizes := []int{servers / 4, servers / 2, servers - servers/4 - servers/2}
	planID := cl.drillPlan(sizes)
	ctx := t.Context()

	// The large execution the readers read: a first drill of the plan,
	// then its cleanup, so that the plan's servers can launch again.
	run := func() (string, time.Duration) {
		t.Helper()
		res, err := cl.c.StartExecution(ctx, planID, plan.ModeDrill, nil)
		if err != nil {
			t.Fatal(err)
		}
		cl.waitFor(res.ExecutionID, 120*time.Second, "drill ended", func(e *plan.Execution) bool { return !plan.Active(e.Status) })
		v, err := cl.c.GetExecution(ctx, res.ExecutionID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != plan.ExecCompleted {
			t.Fatalf("drill %s", v.Status)
		}
		return res.ExecutionID, v.EndTime.Sub(*v.StartTime)
	}
	cleanup := func(id string) {
		t.Helper()
		if _, err := cl.c.ControlExecution(ctx, id, "cleanup"); err != nil {
			t.Fatal(err)
		}
		cl.waitFor(id, 120*time.Second, "cleanup ended", func(e *plan.Execution) bool { return e.Cleanup == plan.CleanupCompleted })
	}
	large, quiet := run()
	cleanup(large)

	res, err := cl.c.StartExecution(ctx, planID, plan.ModeDrill, nil)
	if err != nil {
		t.Fatal(err)
	}
	drill := res.ExecutionID
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	kinds := map[string]*latencies{"execution": {}, "list": {}, "events": {}, "stream open": {}}
	var requests, failures atomic.Int64
	var failMu sync.Mutex
	var failed []string
	fail := func(what string) {
		failures.Add(1)
		failMu.Lock()
		if len(failed) < 10 {
			failed = append(failed, what)
		}
		failMu.Unlock()
	}
	lctx, stop := context.WithTimeout(ctx, 120*time.Second)
	defer stop()
	// Every reader has a token of its own and keeps under the API's rate
	// limit per token (50 a second), as a well-behaved client does;
	// streams share a token per 100.
	tokens := cl.tokens(readers + streams/100 + 1)
	get := func(token, kind, path string) {
		start := time.Now()
		req, _ := http.NewRequestWithContext(lctx, "GET", cl.apiURL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			if lctx.Err() == nil {
				fail(path + ": " + err.Error())
			}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		kinds[kind].add(time.Since(start))
		requests.Add(1)
		if resp.StatusCode != http.StatusOK {
			fail(fmt.Sprintf("%s: %d", path, resp.StatusCode))
		}
	}

	var wg sync.WaitGroup
	var streamEvents, streamsDone atomic.Int64
	for i := range streams {
		wg.Go(func() {
			start := time.Now()
			req, _ := http.NewRequestWithContext(lctx, "GET", cl.apiURL+"/api/v1/executions/"+drill+"/events", nil)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Authorization", "Bearer "+tokens[readers+i/100])
			resp, err := (&http.Client{}).Do(req)
			if err != nil {
				fail("stream: " + err.Error())
				return
			}
			defer resp.Body.Close()
			kinds["stream open"].add(time.Since(start))
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				fail(fmt.Sprintf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type")))
				return
			}
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "id:") {
					streamEvents.Add(1)
				}
			}
			// The server ends the stream when the execution ends.
			if lctx.Err() != nil {
				fail("stream: still open when the load ended")
				return
			}
			streamsDone.Add(1)
		})
	}
	for i := range readers {
		wg.Go(func() {
			tick := time.NewTicker(time.Second / 40)
			defer tick.Stop()
			paced := func(kind, path string) {
				select {
				case <-tick.C:
				case <-lctx.Done():
					return
				}
				get(tokens[i], kind, path)
			}
			for lctx.Err() == nil && requests.Load() < int64(maxRequests) {
				switch i % 3 {
				case 0:
					paced("execution", "/api/v1/executions/"+large)
				case 1:
					paced("list", "/api/v1/executions?limit=50")
					paced("list", "/api/v1/recovery-plans")
					paced("list", "/api/v1/protection-groups?limit=100")
				case 2:
					paced("events", "/api/v1/executions/"+large+"/events?limit=1000")
				}
			}
		})
	}
	cl.waitFor(drill, 120*time.Second, "drill under load ended", func(e *plan.Execution) bool { return !plan.Active(e.Status) })
	loadEnd := time.Now()
	// Streams end with the execution; readers stop now.
	deadline := time.Now().Add(10 * time.Second)
	for streamsDone.Load()+failures.Load() < int64(streams) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	wg.Wait()

	v, err := cl.c.GetExecution(ctx, drill)
	if err != nil {
		t.Fatal(err)
	}
	loaded := v.EndTime.Sub(*v.StartTime)
	t.Logf("| kind | requests | p50 | p99 |")
	t.Logf("| --- | --- | --- | --- |")
	for _, k := range []string{"execution", "list", "events", "stream open"} {
		l := kinds[k]
		t.Logf("| %s | %d | %s | %s |", k, len(l.d), l.quantile(0.5).Round(10*time.Microsecond), l.quantile(0.99).Round(10*time.Microsecond))
	}
	t.Logf("%d requests, %d failures, %d streams ended with the drill, %d events streamed; drill of %d servers: %s without load, %s with (until %s)",
		requests.Load(), failures.Load(), streamsDone.Load(), streamEvents.Load(), servers, quiet.Round(time.Millisecond),
		loaded.Round(time.Millisecond), loadEnd.Format(time.TimeOnly))
	if failures.Load() > 0 {
		t.Errorf("%d failed requests: %v", failures.Load(), failed)
	}
	if got := streamsDone.Load(); got != int64(streams) {
		t.Errorf("%d of %d streams ended with the drill", got, streams)
	}
	if v.Status != plan.ExecCompleted {
		t.Errorf("drill under load: %s", v.Status)
	}
	if float64(loaded) > maxSlowdown*float64(quiet) {
		t.Errorf("drill took %s under load, %s without: more than %.1f times", loaded, quiet, maxSlowdown)
	}
}
