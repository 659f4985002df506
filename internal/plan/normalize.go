package plan

import (
	"maps"
	"reflect"
	"slices"
	"time"
)

// NormalizeGroup returns g in its stored form: source server IDs sorted,
// empty lists and maps as nil, launch settings that manage nothing left
// out (a LaunchSettings of no field becomes nil, a server's entry of no
// field is dropped). Security groups keep the order given: it is the
// order EC2 shows them in. It changes no value a person wrote (names
// and IDs are not trimmed) and leaves g's own slices and maps untouched.
func NormalizeGroup(g ProtectionGroup) ProtectionGroup {
	g.SourceServerIDs = sortedCopy(g.SourceServerIDs)
	if g.ServerSelector != nil {
		s := Selector{}
		if len(g.ServerSelector.Tags) > 0 {
			s.Tags = maps.Clone(g.ServerSelector.Tags)
		}
		g.ServerSelector = &s
	}
	if g.LaunchSettings != nil {
		if s := normalizeSettings(*g.LaunchSettings); !s.IsZero() {
			g.LaunchSettings = &s
		} else {
			g.LaunchSettings = nil
		}
	}
	var servers map[string]LaunchSettings
	for id, s := range g.ServerLaunchSettings {
		if s.IsZero() {
			continue
		}
		if servers == nil {
			servers = map[string]LaunchSettings{}
		}
		servers[id] = normalizeSettings(s)
	}
	g.ServerLaunchSettings = servers
	return g
}

// normalizeSettings returns a copy of s sharing nothing with it, empty
// lists and maps as nil.
func normalizeSettings(s LaunchSettings) LaunchSettings {
	s = s.clone()
	s.SecurityGroupIDs = cloneNonEmpty(s.SecurityGroupIDs)
	if len(s.Tags) == 0 {
		s.Tags = nil
	}
	return s
}

// NormalizePlan returns p in its stored form, with every default explicit:
// a wave without dependsOn depends on the wave before it (the first on
// none), the failure policy is "stop" and the minimum success 100 percent
// unless given. Empty lists become nil, except dependsOn, where empty means
// "no dependency". A health gate's timeout and interval stay as given:
// zero means the default (HealthGate.Timeout, Interval). p's own slices
// are left untouched.
func NormalizePlan(p RecoveryPlan) RecoveryPlan {
	if len(p.Waves) == 0 {
		p.Waves = nil
		return p
	}
	waves := make([]Wave, len(p.Waves))
	for i, w := range p.Waves {
		switch {
		case w.DependsOn != nil:
			w.DependsOn = slices.Clone(w.DependsOn)
		case i == 0:
			w.DependsOn = []string{}
		default:
			w.DependsOn = []string{p.Waves[i-1].Name}
		}
		w.ProtectionGroupIDs = cloneNonEmpty(w.ProtectionGroupIDs)
		if w.FailurePolicy == "" {
			w.FailurePolicy = FailureStop
		}
		if w.MinSuccessPercent == nil {
			hundred := 100
			w.MinSuccessPercent = &hundred
		} else {
			v := *w.MinSuccessPercent
			w.MinSuccessPercent = &v
		}
		w.Hooks = normalizeHooks(w.Hooks)
		if w.HealthGate != nil {
			// Defaults stay implicit (HealthGate.Timeout, Interval): an
			// unset bound follows the default if it ever changes.
			hg := *w.HealthGate
			w.HealthGate = &hg
		}
		waves[i] = w
	}
	p.Waves = waves
	return p
}

func normalizeHooks(h *Hooks) *Hooks {
	if h == nil || len(h.Before) == 0 && len(h.After) == 0 {
		return nil
	}
	return &Hooks{Before: cloneNonEmpty(h.Before), After: cloneNonEmpty(h.After)}
}

func sortedCopy(s []string) []string {
	s = cloneNonEmpty(s)
	slices.Sort(s)
	return s
}

func cloneNonEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// SameGroup reports whether a and b define the same group once normalized,
// whatever their IDs, versions and times.
func SameGroup(a, b ProtectionGroup) bool {
	a, b = NormalizeGroup(a), NormalizeGroup(b)
	a.ID, a.Version, a.CreatedAt, a.UpdatedAt = "", 0, time.Time{}, time.Time{}
	b.ID, b.Version, b.CreatedAt, b.UpdatedAt = "", 0, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// SamePlan reports whether a and b define the same plan once normalized,
// whatever their IDs, versions and times.
func SamePlan(a, b RecoveryPlan) bool {
	a, b = NormalizePlan(a), NormalizePlan(b)
	a.ID, a.Version, a.CreatedAt, a.UpdatedAt = "", 0, time.Time{}, time.Time{}
	b.ID, b.Version, b.CreatedAt, b.UpdatedAt = "", 0, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}
