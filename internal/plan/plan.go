// Package plan holds drsorch's domain: protection groups, recovery plans
// and their waves, executions with their waves and launches, and the rules
// that make a definition valid. It does no I/O.
package plan

import "time"

// Failure policies of a wave.
const (
	FailureStop     = "stop"
	FailureContinue = "continue"
)

// ProtectionGroup is a named set of DRS source servers in one account and
// region: explicit IDs, a tag selector resolved at run time, or both.
type ProtectionGroup struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Description     string    `json:"description,omitempty"`
	AccountID       string    `json:"accountId,omitempty"`
	Region          string    `json:"region"`
	SourceServerIDs []string  `json:"sourceServerIds,omitempty"`
	ServerSelector  *Selector `json:"serverSelector,omitempty"`
	// LaunchSettings apply to every server of the group; a server's entry
	// in ServerLaunchSettings (keyed by source server ID) overrides them
	// field by field. See EffectiveSettings.
	LaunchSettings       *LaunchSettings           `json:"launchSettings,omitempty"`
	ServerLaunchSettings map[string]LaunchSettings `json:"serverLaunchSettings,omitempty"`
	Version              int64                     `json:"version"`
	CreatedAt            time.Time                 `json:"createdAt"`
	UpdatedAt            time.Time                 `json:"updatedAt"`
}

// Selector chooses source servers by their DRS tags. A server matches when
// it carries every listed tag with exactly the listed value.
type Selector struct {
	Tags map[string]string `json:"tags"`
}

// RecoveryPlan is an ordered list of waves with a recovery time objective.
type RecoveryPlan struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	RTOMinutes  int       `json:"rtoMinutes,omitempty"`
	Waves       []Wave    `json:"waves"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Wave is one stage of a plan.
//
// DependsOn distinguishes absent (nil: the previous wave) from empty (no
// dependency); Normalize makes it explicit. MinSuccessPercent is a pointer
// so that an explicit 0 differs from the default of 100.
type Wave struct {
	Name               string   `json:"name"`
	ProtectionGroupIDs []string `json:"protectionGroupIds"`
	DependsOn          []string `json:"dependsOn"`
	PauseBefore        bool     `json:"pauseBefore,omitempty"`
	FailurePolicy      string   `json:"failurePolicy,omitempty"`
	MinSuccessPercent  *int     `json:"minSuccessPercent,omitempty"`
	Hooks              *Hooks   `json:"hooks,omitempty"`
	// LaunchTimeoutMinutes fails a server whose DRS job has not finished
	// this long after it was requested (1..MaxLaunchTimeoutMinutes; zero:
	// the engine's default).
	LaunchTimeoutMinutes int `json:"launchTimeoutMinutes,omitempty"`
	// HealthGate, when set, holds the wave in VERIFYING after its servers
	// launched until its checks pass; dependent waves wait for it.
	HealthGate *HealthGate `json:"healthGate,omitempty"`
}

// Hooks are HTTP webhooks called before a wave launches and after it ends.
type Hooks struct {
	Before []Hook `json:"before,omitempty"`
	After  []Hook `json:"after,omitempty"`
}

// Hook is one webhook call. A non-2xx answer after the retries fails the
// hook, and the wave's failure policy applies.
type Hook struct {
	Name           string `json:"name,omitempty"`
	URL            string `json:"url"`
	TimeoutSeconds int    `json:"timeoutSeconds,omitempty"`
	Retries        int    `json:"retries,omitempty"`
}
