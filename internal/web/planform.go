package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/drsorch/drsorch/internal/plan"
)

// The plan editor posts the whole plan each time: its waves as w0.name,
// w0.groups, w0.deps (indices of the waves as rendered, so that renaming
// a wave in the same edit keeps the waves that depend on it), w0.pause,
// w0.policy, w0.minSuccess, w0.launchTimeout, the health gate's
// w0.gate.statusChecks, w0.gate.checkUrl, w0.gate.timeout and
// w0.gate.interval, and hook rows w0.before0.url, …; and op, the
// button pressed: save, add, or remove-N, up-N, down-N, which change the
// draft and show it again without saving.

// maxEditorWaves bounds the waves the editor reads; validation has its own
// limit and reports it.
const maxEditorWaves = plan.MaxWaves + 1

// readPlan reads the editor's fields into a draft plan.
func readPlan(r *http.Request) (plan.RecoveryPlan, []problem) {
	f := r.PostForm
	p := plan.RecoveryPlan{Name: f.Get("name"), Description: f.Get("description"), Waves: []plan.Wave{}}
	var problems []problem
	if n, set, ok := formInt(f.Get("rtoMinutes")); !ok {
		problems = append(problems, notNumber("rtoMinutes", f.Get("rtoMinutes")))
	} else if set {
		p.RTOMinutes = n
	}
	if v := f.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			problems = append(problems, notNumber("version", v))
		}
		p.Version = n
	}
	count, _, _ := formInt(f.Get("waves"))
	count = min(max(count, 0), maxEditorWaves)
	deps := make([][]string, count)
	for i := range count {
		pre := fmt.Sprintf("w%d.", i)
		w := plan.Wave{
			Name:               f.Get(pre + "name"),
			ProtectionGroupIDs: f[pre+"groups"],
			PauseBefore:        f.Get(pre+"pause") != "",
			FailurePolicy:      f.Get(pre + "policy"),
		}
		if w.ProtectionGroupIDs == nil {
			w.ProtectionGroupIDs = []string{}
		}
		field := fmt.Sprintf("waves[%d].minSuccessPercent", i)
		if n, set, ok := formInt(f.Get(pre + "minSuccess")); !ok {
			problems = append(problems, notNumber(field, f.Get(pre+"minSuccess")))
		} else if set {
			w.MinSuccessPercent = &n
		}
		field = fmt.Sprintf("waves[%d].launchTimeoutMinutes", i)
		if n, set, ok := formInt(f.Get(pre + "launchTimeout")); !ok {
			problems = append(problems, notNumber(field, f.Get(pre+"launchTimeout")))
		} else if set {
			w.LaunchTimeoutMinutes = n
		}
		gate, ps := readGate(r, pre+"gate.", fmt.Sprintf("waves[%d].healthGate", i))
		problems = append(problems, ps...)
		w.HealthGate = gate
		before, ps := readHooks(r, pre+"before", fmt.Sprintf("waves[%d].hooks.before", i))
		problems = append(problems, ps...)
		after, ps := readHooks(r, pre+"after", fmt.Sprintf("waves[%d].hooks.after", i))
		problems = append(problems, ps...)
		if len(before) > 0 || len(after) > 0 {
			w.Hooks = &plan.Hooks{Before: before, After: after}
		}
		deps[i] = f[pre+"deps"]
		p.Waves = append(p.Waves, w)
	}
	// Dependencies name the waves as they are called now.
	for i, ds := range deps {
		p.Waves[i].DependsOn = []string{}
		for _, d := range ds {
			j, err := strconv.Atoi(d)
			if err != nil || j < 0 || j >= count || j == i {
				continue
			}
			p.Waves[i].DependsOn = append(p.Waves[i].DependsOn, p.Waves[j].Name)
		}
	}
	return p, problems
}

// readGate reads a wave's health gate; without any of its inputs set the
// wave has none.
func readGate(r *http.Request, prefix, field string) (*plan.HealthGate, []problem) {
	f := r.PostForm
	g := plan.HealthGate{StatusChecks: f.Get(prefix+"statusChecks") != "",
		CheckURL: strings.TrimSpace(f.Get(prefix + "checkUrl"))}
	var problems []problem
	timeout, tset, ok := formInt(f.Get(prefix + "timeout"))
	if !ok {
		problems = append(problems, notNumber(field+".timeoutMinutes", f.Get(prefix+"timeout")))
	}
	interval, iset, ok := formInt(f.Get(prefix + "interval"))
	if !ok {
		problems = append(problems, notNumber(field+".intervalSeconds", f.Get(prefix+"interval")))
	}
	g.TimeoutMinutes, g.IntervalSeconds = timeout, interval
	if !g.StatusChecks && g.CheckURL == "" && !tset && !iset && len(problems) == 0 {
		return nil, nil
	}
	return &g, problems
}

// readHooks reads the hook rows of one phase; a row without a URL is left
// out, which is how a hook is removed.
func readHooks(r *http.Request, prefix, field string) ([]plan.Hook, []problem) {
	f := r.PostForm
	var hooks []plan.Hook
	var problems []problem
	for k := 0; k < maxRows; k++ {
		pre := fmt.Sprintf("%s%d.", prefix, k)
		if _, ok := f[pre+"url"]; !ok {
			break
		}
		h := plan.Hook{Name: strings.TrimSpace(f.Get(pre + "name")), URL: strings.TrimSpace(f.Get(pre + "url"))}
		if h.URL == "" {
			continue
		}
		at := fmt.Sprintf("%s[%d]", field, len(hooks))
		if n, set, ok := formInt(f.Get(pre + "timeout")); !ok {
			problems = append(problems, notNumber(at+".timeoutSeconds", f.Get(pre+"timeout")))
		} else if set {
			h.TimeoutSeconds = n
		}
		if n, set, ok := formInt(f.Get(pre + "retries")); !ok {
			problems = append(problems, notNumber(at+".retries", f.Get(pre+"retries")))
		} else if set {
			h.Retries = n
		}
		hooks = append(hooks, h)
	}
	return hooks, problems
}

var opPattern = regexp.MustCompile(`^(remove|up|down)-(\d+)$`)

// applyOp changes the draft as the button pressed asks, and reports
// whether it was an editing button rather than save.
func applyOp(p *plan.RecoveryPlan, op string) bool {
	if op == "add" {
		w := plan.Wave{Name: fmt.Sprintf("wave-%d", len(p.Waves)+1), ProtectionGroupIDs: []string{},
			DependsOn: []string{}, FailurePolicy: plan.FailureStop}
		// A new wave follows the last one, as a wave without dependsOn
		// does in the API.
		if n := len(p.Waves); n > 0 {
			w.DependsOn = []string{p.Waves[n-1].Name}
		}
		p.Waves = append(p.Waves, w)
		return true
	}
	m := opPattern.FindStringSubmatch(op)
	if m == nil {
		return false
	}
	i, _ := strconv.Atoi(m[2])
	if i < 0 || i >= len(p.Waves) {
		return true
	}
	switch m[1] {
	case "remove":
		gone := p.Waves[i].Name
		p.Waves = append(p.Waves[:i], p.Waves[i+1:]...)
		for j := range p.Waves {
			p.Waves[j].DependsOn = without(p.Waves[j].DependsOn, gone)
		}
	case "up":
		if i > 0 {
			p.Waves[i-1], p.Waves[i] = p.Waves[i], p.Waves[i-1]
		}
	case "down":
		if i+1 < len(p.Waves) {
			p.Waves[i], p.Waves[i+1] = p.Waves[i+1], p.Waves[i]
		}
	}
	return true
}

func without(list []string, s string) []string {
	out := []string{}
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// anchorPattern finds the list a field path's last index belongs to.
var anchorPattern = regexp.MustCompile(`^(.*\.(protectionGroupIds|dependsOn)|sourceServerIds)\[\d+\]$`)

// anchor returns the field path of the element on the page that shows a
// problem of field: lists show their items' problems at the list.
func anchor(field string) string {
	if m := anchorPattern.FindStringSubmatch(field); m != nil {
		return m[1]
	}
	if m := settingsAnchor.FindStringSubmatch(field); m != nil {
		return m[1]
	}
	if strings.HasPrefix(field, "serverSelector.tags") {
		return "serverSelector.tags"
	}
	if field == "" {
		return "summary"
	}
	return field
}

// waveEditor is what the _wave partial reads: one wave and the form's
// problems.
type waveEditor struct {
	Errors *fieldErrors
	Wave   waveForm
}

func waveData(d *planForm, w waveForm) waveEditor { return waveEditor{Errors: d.Errors, Wave: w} }

// gateEditor is what the _gate partial reads: one wave's health gate.
type gateEditor struct {
	Errors        *fieldErrors
	Field, Prefix string
	StatusChecks  bool
	CheckURL      string
	// Timeout and Interval are empty for the defaults.
	Timeout, Interval string
}

// gateData gathers the health gate of wave field path wave (such as
// waves[0]) whose inputs are named with prefix (such as w0.).
func gateData(e *fieldErrors, wave, prefix string, g *plan.HealthGate) gateEditor {
	d := gateEditor{Errors: e, Field: wave + ".healthGate", Prefix: prefix + "gate."}
	if g != nil {
		d.StatusChecks, d.CheckURL = g.StatusChecks, g.CheckURL
		if g.TimeoutMinutes != 0 {
			d.Timeout = fmt.Sprint(g.TimeoutMinutes)
		}
		if g.IntervalSeconds != 0 {
			d.Interval = fmt.Sprint(g.IntervalSeconds)
		}
	}
	return d
}

// hookEditor is what the _hooks partial reads: one phase's hook rows.
type hookEditor struct {
	Errors        *fieldErrors
	Field, Prefix string
	Legend        string
	Hooks         []plan.Hook
}

// hookData gathers one phase's hooks of wave field path wave (such as
// waves[0]) whose inputs are named with prefix (such as w0.).
func hookData(e *fieldErrors, wave, prefix, phase, legend string, hooks []plan.Hook) hookEditor {
	return hookEditor{Errors: e, Field: wave + ".hooks." + phase, Prefix: prefix + phase,
		Legend: legend, Hooks: hooks}
}
