package main

import (
	"context"
	"flag"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/report"
)

// evidenceConfig configures reports, readiness checks and notifications.
type evidenceConfig struct {
	// ReadinessInterval is the wait between scheduled readiness checks,
	// and how long their result is served; 0 schedules none (checks then
	// run when asked for).
	ReadinessInterval time.Duration
	// SnapshotMaxAge is how old a server's newest snapshot may be.
	SnapshotMaxAge time.Duration
	// TrendMargin is the slowdown, in percent over the median of the
	// previous drills, that makes a drill alert.
	TrendMargin float64
	// Clock is the readiness checks' clock, which snapshot ages are
	// measured on (default time.Now).
	Clock func() time.Time
}

// addEvidenceFlags adds the flags of evidenceConfig to fs.
func addEvidenceFlags(fs *flag.FlagSet, c *evidenceConfig) {
	fs.DurationVar(&c.ReadinessInterval, "readiness-interval", 15*time.Minute,
		"wait between scheduled readiness checks of every plan (0: check only when asked)")
	fs.DurationVar(&c.SnapshotMaxAge, "snapshot-max-age", time.Hour,
		"readiness: how old a server's newest snapshot may be")
	fs.Float64Var(&c.TrendMargin, "trend-margin", 20,
		"trends: alert when a drill is this many percent slower than the median of the five before it")
}

// wireEvidence builds the report service and the readiness monitor.
func (a *app) wireEvidence(cfg evidenceConfig, clients *drs.Clients) {
	a.reports = report.New(report.Options{
		Store:  a.store,
		DRS:    report.DRSOf(clients.For),
		Logger: a.log,
		Trend:  report.TrendOptions{Margin: cfg.TrendMargin / 100},
	})
	a.readinessEvery = cfg.ReadinessInterval
	interval := cfg.ReadinessInterval
	if interval <= 0 {
		// Without a schedule a cached result still saves repeated
		// readers a check each; a minute is fresh enough.
		interval = time.Minute
	}
	a.readiness = readiness.New(readiness.Options{
		Store:          a.store,
		DRS:            readiness.DRSOf(clients.For),
		Logger:         a.log,
		MaxSnapshotAge: cfg.SnapshotMaxAge,
		Interval:       interval,
		Clock:          cfg.Clock,
	})
}

// startEvidence starts the background parts (the readiness schedule) and
// returns the function that stops them.
func (a *app) startEvidence(ctx context.Context) func() {
	if a.readinessEvery <= 0 {
		return func() {}
	}
	a.readiness.Start(ctx)
	return a.readiness.Stop
}
