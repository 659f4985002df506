package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

// SettingsApplier applies the launch settings of servers of one account
// and region, with the signature of launchcfg.Service.Apply: an error
// only when nothing was written, per-server errors in the results.
type SettingsApplier interface {
	Apply(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) ([]plan.AppliedSettings, error)
}

// settingsRecorder is the part of store.SettingsStore the engine writes
// to, when the store has it.
type settingsRecorder interface {
	PutAppliedSettings(ctx context.Context, records []plan.AppliedSettings) error
}

// settingsPrefix starts the error of a launch whose settings could not be
// applied.
const settingsPrefix = "launch settings: "

// settingsRetryWait is how long the launch settings of a wave wait after
// DRS or EC2 did not answer (throttled after the clients' own retries, a
// 5xx, unreachable) before they are tried again.
const settingsRetryWait = 15 * time.Second

// settingsUnanswered reports whether an Apply error says that DRS or EC2
// could not be asked, rather than that the settings are wrong: such a
// call wrote nothing and may succeed later.
func settingsUnanswered(err error) bool {
	return errors.Is(err, drs.ErrThrottled) || errors.Is(err, drs.ErrTransient)
}

// applySettings applies the launch settings of the first launching wave
// (before hooks done, execution running) with PENDING launches that still
// need theirs: one Apply call per account and region. It reports whether
// it did anything, so that the waves are looked at again.
func (e *Engine) applySettings(ctx context.Context, r *run) (bool, error) {
	if r.ex.Status != plan.ExecRunning {
		return false, nil
	}
	for _, w := range r.waves {
		if w.Status != plan.WaveLaunching || !r.beforeDone(w) {
			continue
		}
		now := e.now()
		byRegion := make(map[regionKey][]*plan.Launch)
		for _, l := range r.byWave[w.Name] {
			k := launchKey(l)
			if l.Status == plan.LaunchPending && r.settingsDue(l) && !now.Before(r.settingsRetry[w.Name+"|"+k.String()]) {
				byRegion[k] = append(byRegion[k], l)
			}
		}
		if len(byRegion) == 0 {
			continue
		}
		for _, k := range sortedKeys(byRegion) {
			if err := e.applyRegion(ctx, r, w, k, byRegion[k]); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	return false, nil
}

// applyRegion applies the settings of a wave's launches in one account
// and region, records the outcome on each launch, commits, and then
// copies the results to the store's settings records. A crash between the
// call and the commit applies them again next round: applying settings
// that are already in place writes nothing.
func (e *Engine) applyRegion(ctx context.Context, r *run, w *plan.WaveRun, k regionKey, ls []*plan.Launch) error {
	// A server of the group may manage nothing of its own (only other
	// servers have overrides): it has nothing to apply.
	var targets []plan.SettingsTarget
	targeted := make(map[string]bool, len(ls))
	for _, l := range ls {
		if g := r.group(l.GroupID); g != nil {
			for _, t := range plan.SettingsTargets(*g, []string{l.SourceServerID}) {
				targets = append(targets, t)
				targeted[t.SourceServerID] = true
			}
		}
	}

	var results []plan.AppliedSettings
	var callErr error
	switch {
	case len(targets) == 0:
	case e.opts.Settings == nil:
		callErr = fmt.Errorf("no applier configured")
	default:
		// Applying may take several calls per server: the lease must
		// outlast them.
		if err := e.renew(ctx, r); err != nil {
			return err
		}
		e.calls.applySettings++
		results, callErr = e.opts.Settings.Apply(ctx, k.account, k.region, targets)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("apply launch settings of wave %s in %s: %w", w.Name, k, err)
		}
		if e.opts.Audit != nil {
			e.opts.Audit(ctx, Action{Operation: "ApplyLaunchSettings", AccountID: k.account, Region: k.region,
				ExecutionID: r.ex.ID, Mode: r.ex.Mode, Servers: len(targets), Err: callErr})
		}
		if err := e.crash("settings_applied"); err != nil {
			return err
		}
	}

	now := e.now()
	key := w.Name + "|" + k.String()
	// While the wave is younger than its launch timeout, servers whose
	// settings met no answer from DRS or EC2 wait, unlaunched, and are
	// tried again; after it, the error fails them.
	canWait := w.StartTime != nil && now.Sub(*w.StartTime) < r.stuckTimeout(w.Name, e.opts.StuckTimeout)
	c := &change{}
	deferLater := func(n int, why string) {
		if r.settingsRetry[key].IsZero() {
			c.event(now, "settings_deferred", w.Name, "", fmt.Sprintf("%d servers in %s: %s", n, k, why))
		}
		e.log.Warn("launch settings deferred", "execution_id", r.ex.ID, "wave", w.Name,
			"region", k.String(), "servers", n, "error", why)
		r.settingsRetry[key] = now.Add(settingsRetryWait)
	}
	if callErr != nil && settingsUnanswered(callErr) && canWait {
		deferLater(len(targets), callErr.Error())
		if c.empty() {
			return nil
		}
		return e.commit(ctx, r, c)
	}

	byServer := make(map[string]*plan.AppliedSettings, len(results))
	for i := range results {
		results[i].ExecutionID = r.ex.ID
		byServer[results[i].SourceServerID] = &results[i]
	}
	failed, waiting, applied := 0, 0, 0
	var waitWhy string
	for _, l := range ls {
		res := byServer[l.SourceServerID]
		msg := ""
		switch {
		case !targeted[l.SourceServerID]:
		case callErr != nil:
			msg = callErr.Error()
		case res == nil:
			msg = "no result for the server"
		case res.Error != "" && res.Unanswered && canWait:
			waiting++
			waitWhy = res.Error
			continue
		case res.Error != "":
			msg = res.Error
		}
		if msg != "" {
			l.SettingsError = msg
			failLaunch(c, l, now, settingsPrefix+msg)
			failed++
			continue
		}
		at := now
		l.SettingsAppliedAt = &at
		l.SettingsError = ""
		if res != nil {
			l.LaunchTemplateVersion = res.LaunchTemplateVersion
		}
		c.launch(l)
		applied++
	}
	switch {
	case failed > 0:
		msg := fmt.Sprintf("%d of %d servers in %s", failed, len(ls), k)
		if callErr != nil {
			msg += ": " + callErr.Error()
		}
		c.event(now, "settings_failed", w.Name, "", msg)
	case applied > 0:
		c.event(now, "settings_applied", w.Name, "", fmt.Sprintf("%d servers in %s", applied, k))
	}
	if waiting > 0 {
		deferLater(waiting, waitWhy)
	} else {
		delete(r.settingsRetry, key)
	}
	if err := e.commit(ctx, r, c); err != nil {
		return err
	}

	// The launches have their outcome; the group's records are a copy,
	// and a failure to write them does not hold the wave up.
	if rec, ok := e.opts.Store.(settingsRecorder); ok && len(results) > 0 {
		if err := rec.PutAppliedSettings(ctx, results); err != nil {
			e.log.Warn("record applied settings", "execution_id", r.ex.ID, "wave", w.Name,
				"region", k.String(), "error", err)
		}
	}
	return nil
}
