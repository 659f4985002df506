package main

import (
	"context"
	"flag"
	"slices"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/notify"
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
	// Webhooks are the --notify-webhook values; none sends no
	// notification.
	Webhooks webhookFlags
	// NotifyPoll is how often the notifier reads new execution events
	// (default 5s).
	NotifyPoll time.Duration
}

// webhookFlags collects repeated --notify-webhook flags.
type webhookFlags []*notify.Webhook

func (w *webhookFlags) String() string {
	var urls []string
	for _, h := range *w {
		urls = append(urls, h.URL)
	}
	return strings.Join(urls, " ")
}

func (w *webhookFlags) Set(v string) error {
	h, err := notify.ParseWebhook(v)
	if err != nil {
		return err
	}
	*w = append(*w, h)
	return nil
}

// addEvidenceFlags adds the flags of evidenceConfig to fs.
func addEvidenceFlags(fs *flag.FlagSet, c *evidenceConfig) {
	fs.DurationVar(&c.ReadinessInterval, "readiness-interval", 15*time.Minute,
		"wait between scheduled readiness checks of every plan (0: check only when asked)")
	fs.DurationVar(&c.SnapshotMaxAge, "snapshot-max-age", time.Hour,
		"readiness: how old a server's newest snapshot may be")
	fs.Float64Var(&c.TrendMargin, "trend-margin", 20,
		"trends: alert when a drill is this many percent slower than the median of the five before it")
	fs.Var(&c.Webhooks, "notify-webhook",
		"URL[,slack][,types=a|b][,name=N]: POST notifications here (repeatable); slack sends {\"text\": ...}")
}

// wireEvidence builds the report service and the readiness monitor.
func (a *app) wireEvidence(cfg evidenceConfig, clients *drs.Clients, settings readiness.SettingsDrift) {
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
	var onResult func(*readiness.Result)
	if len(cfg.Webhooks) > 0 {
		targets := make([]notify.Target, len(cfg.Webhooks))
		for i, w := range cfg.Webhooks {
			targets[i] = w
		}
		a.notifier = notify.New(notify.Options{Store: a.store, Targets: targets,
			Poll: cfg.NotifyPoll, Logger: a.log})
		onResult = a.notifier.Readiness
	}
	a.readiness = readiness.New(readiness.Options{
		Store:          a.store,
		DRS:            readiness.DRSOf(clients.For),
		Logger:         a.log,
		MaxSnapshotAge: cfg.SnapshotMaxAge,
		Interval:       interval,
		Clock:          cfg.Clock,
		Settings:       settings,
		OnResult:       onResult,
	})
}

// startEvidence starts the background parts (the readiness schedule, the
// notifier) and returns the function that stops them.
func (a *app) startEvidence(ctx context.Context) func() {
	var stops []func()
	if a.notifier != nil {
		a.notifier.Start(ctx)
		stops = append(stops, a.notifier.Stop)
	}
	if a.readinessEvery > 0 {
		a.readiness.Start(ctx)
		stops = append(stops, a.readiness.Stop)
	}
	return func() {
		// The readiness loop feeds the notifier: stop it first.
		for _, stop := range slices.Backward(stops) {
			stop()
		}
	}
}
