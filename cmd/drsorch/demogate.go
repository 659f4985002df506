package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// demoGatePath is the path of the demo's health gate check endpoint; a
// stored check URL with this path is the demo's, re-pointed at each start.
const demoGatePath = "/demo-gate"

// demoGate is the check endpoint the sample plan's application wave
// calls: a stand-in for an application's own health check, served on a
// loopback port of its own. It passes a request that names launched
// instances, each with its private IP, and refuses others.
type demoGate struct {
	ln    net.Listener
	srv   *http.Server
	log   *slog.Logger
	calls atomic.Int64
}

func startDemoGate(log *slog.Logger) (*demoGate, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo gate: listen: %w", err)
	}
	g := &demoGate{ln: ln, log: log.With("component", "demo-gate")}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+demoGatePath, g.check)
	g.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	go g.srv.Serve(ln)
	return g, nil
}

// URL is the check URL to put in a health gate.
func (g *demoGate) URL() string { return "http://" + g.ln.Addr().String() + demoGatePath }

// Close stops the endpoint.
func (g *demoGate) Close() error { return g.srv.Close() }

func (g *demoGate) check(w http.ResponseWriter, r *http.Request) {
	n := g.calls.Add(1)
	var req plan.GateRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	switch {
	case err != nil:
		http.Error(w, "want a health gate request", http.StatusBadRequest)
		return
	case len(req.Instances) == 0:
		http.Error(w, "no instances to check", http.StatusServiceUnavailable)
		return
	}
	for _, in := range req.Instances {
		if in.EC2InstanceID == "" || in.PrivateIP == "" {
			http.Error(w, fmt.Sprintf("%s has no private IP yet", in.SourceServerID), http.StatusServiceUnavailable)
			return
		}
	}
	g.log.Info("health gate check passed", "execution", req.ExecutionID, "wave", req.Wave,
		"attempt", req.Attempt, "instances", len(req.Instances), "call", n)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"ok\": true, \"instances\": %d}\n", len(req.Instances))
}

// pointDemoGate re-points the stored sample plan's demo check URLs at
// gateURL: the endpoint's port is new at every start.
func pointDemoGate(ctx context.Context, st store.Store, gateURL string) error {
	p, err := st.GetPlanByName(ctx, demoPlan)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo gate: %w", err)
	}
	changed := false
	for i, w := range p.Waves {
		if w.HealthGate == nil || w.HealthGate.CheckURL == "" || w.HealthGate.CheckURL == gateURL {
			continue
		}
		u, err := url.Parse(w.HealthGate.CheckURL)
		if err != nil || u.Path != demoGatePath || u.Hostname() != "127.0.0.1" {
			continue
		}
		hg := *w.HealthGate
		hg.CheckURL = gateURL
		p.Waves[i].HealthGate = &hg
		changed = true
	}
	if !changed {
		return nil
	}
	if err := st.UpdatePlan(ctx, p); err != nil {
		return fmt.Errorf("demo gate: point plan %q at %s: %w", p.Name, gateURL, err)
	}
	return nil
}
