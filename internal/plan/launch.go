package plan

import (
	"maps"
	"slices"
	"time"
)

// Right-sizing methods of DRS (targetInstanceTypeRightSizingMethod).
const (
	RightSizingNone  = "NONE"
	RightSizingBasic = "BASIC"
	RightSizingInAWS = "IN_AWS"
)

// Launch dispositions of a recovery instance.
const (
	DispositionStarted = "STARTED"
	DispositionStopped = "STOPPED"
)

// LaunchSettings say where and how a recovered server comes up. A field
// left empty (nil for the pointers and the maps) is not managed: drsorch
// neither writes it nor reports drift on it.
//
// The DRS-level fields (RightSizing, CopyPrivateIP, CopyTags,
// LaunchDisposition, BYOL) are written with UpdateLaunchConfiguration; the
// EC2-level ones (SubnetID, SecurityGroupIDs, InstanceType,
// InstanceProfile, PrivateIP, Tags) in a new default version of the
// server's EC2 launch template.
type LaunchSettings struct {
	SubnetID         string   `json:"subnetId,omitempty"`
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	// InstanceType is an EC2 instance type such as m6i.large. It needs
	// RightSizing NONE (or empty, which then means NONE): DRS replaces the
	// type of the launch template otherwise.
	InstanceType string `json:"instanceType,omitempty"`
	RightSizing  string `json:"rightSizing,omitempty"`
	// InstanceProfile is an IAM instance profile's name or ARN.
	InstanceProfile string `json:"instanceProfile,omitempty"`
	// PrivateIP is a static private IPv4 address in SubnetID. It is a
	// per-server setting only: a group's LaunchSettings cannot carry one.
	PrivateIP         string `json:"privateIp,omitempty"`
	CopyPrivateIP     *bool  `json:"copyPrivateIp,omitempty"`
	CopyTags          *bool  `json:"copyTags,omitempty"`
	LaunchDisposition string `json:"launchDisposition,omitempty"`
	// BYOL brings the source server's own OS licence (DRS osByol).
	BYOL *bool `json:"byol,omitempty"`
	// Tags are set on the recovery instance, through the launch
	// template's instance tag specification.
	Tags map[string]string `json:"tags,omitempty"`
}

// IsZero reports whether s manages nothing.
func (s LaunchSettings) IsZero() bool {
	return s.SubnetID == "" && len(s.SecurityGroupIDs) == 0 && s.InstanceType == "" &&
		s.RightSizing == "" && s.InstanceProfile == "" && s.PrivateIP == "" &&
		s.CopyPrivateIP == nil && s.CopyTags == nil && s.LaunchDisposition == "" &&
		s.BYOL == nil && len(s.Tags) == 0
}

// Over returns s with every field that o sets replaced by o's; Tags are
// merged key by key, o's values winning. Neither s nor o is changed.
func (s LaunchSettings) Over(o LaunchSettings) LaunchSettings {
	out := s.clone()
	if o.SubnetID != "" {
		out.SubnetID = o.SubnetID
	}
	if len(o.SecurityGroupIDs) > 0 {
		out.SecurityGroupIDs = slices.Clone(o.SecurityGroupIDs)
	}
	if o.InstanceType != "" {
		out.InstanceType = o.InstanceType
	}
	if o.RightSizing != "" {
		out.RightSizing = o.RightSizing
	}
	if o.InstanceProfile != "" {
		out.InstanceProfile = o.InstanceProfile
	}
	if o.PrivateIP != "" {
		out.PrivateIP = o.PrivateIP
	}
	if o.CopyPrivateIP != nil {
		out.CopyPrivateIP = boolPtr(*o.CopyPrivateIP)
	}
	if o.CopyTags != nil {
		out.CopyTags = boolPtr(*o.CopyTags)
	}
	if o.LaunchDisposition != "" {
		out.LaunchDisposition = o.LaunchDisposition
	}
	if o.BYOL != nil {
		out.BYOL = boolPtr(*o.BYOL)
	}
	if len(o.Tags) > 0 {
		if out.Tags == nil {
			out.Tags = make(map[string]string, len(o.Tags))
		}
		maps.Copy(out.Tags, o.Tags)
	}
	return out
}

func (s LaunchSettings) clone() LaunchSettings {
	out := s
	out.SecurityGroupIDs = slices.Clone(s.SecurityGroupIDs)
	out.Tags = maps.Clone(s.Tags)
	if s.CopyPrivateIP != nil {
		out.CopyPrivateIP = boolPtr(*s.CopyPrivateIP)
	}
	if s.CopyTags != nil {
		out.CopyTags = boolPtr(*s.CopyTags)
	}
	if s.BYOL != nil {
		out.BYOL = boolPtr(*s.BYOL)
	}
	return out
}

func boolPtr(b bool) *bool { return &b }

// EffectiveSettings returns the launch settings of one server of g: the
// group's, overridden field by field by the server's own entry in
// ServerLaunchSettings.
func EffectiveSettings(g ProtectionGroup, serverID string) LaunchSettings {
	var base LaunchSettings
	if g.LaunchSettings != nil {
		base = *g.LaunchSettings
	}
	return base.Over(g.ServerLaunchSettings[serverID])
}

// HasLaunchSettings reports whether g manages any launch setting.
func (g ProtectionGroup) HasLaunchSettings() bool {
	if g.LaunchSettings != nil && !g.LaunchSettings.IsZero() {
		return true
	}
	for _, s := range g.ServerLaunchSettings {
		if !s.IsZero() {
			return true
		}
	}
	return false
}

// SettingsTarget is one server whose launch settings are to be checked,
// applied or compared: its effective settings, and the field path that
// names them in its group (for error messages).
type SettingsTarget struct {
	GroupID        string         `json:"protectionGroupId"`
	SourceServerID string         `json:"sourceServerId"`
	Settings       LaunchSettings `json:"settings"`
	// Field is "serverLaunchSettings.<server ID>" when the server has an
	// entry of its own, else "launchSettings".
	Field string `json:"field"`
}

// SettingsTargets returns the targets of g's servers, in the order given,
// leaving out those whose effective settings manage nothing.
func SettingsTargets(g ProtectionGroup, serverIDs []string) []SettingsTarget {
	var out []SettingsTarget
	for _, id := range serverIDs {
		s := EffectiveSettings(g, id)
		if s.IsZero() {
			continue
		}
		field := "launchSettings"
		if _, ok := g.ServerLaunchSettings[id]; ok {
			field = "serverLaunchSettings." + id
		}
		out = append(out, SettingsTarget{GroupID: g.ID, SourceServerID: id, Settings: s, Field: field})
	}
	return out
}

// AppliedSettings records one application of a server's launch settings:
// what was intended, which fields had to be written, the launch template
// version that holds them, when, and the error if it failed.
type AppliedSettings struct {
	GroupID        string         `json:"protectionGroupId"`
	SourceServerID string         `json:"sourceServerId"`
	AccountID      string         `json:"accountId,omitempty"`
	Region         string         `json:"region"`
	Settings       LaunchSettings `json:"settings"`
	// Changed lists the fields (by their JSON names) that differed from
	// what DRS and EC2 held and were written; empty when all were in line.
	Changed               []string `json:"changed,omitempty"`
	LaunchTemplateID      string   `json:"launchTemplateId,omitempty"`
	LaunchTemplateVersion int64    `json:"launchTemplateVersion,omitempty"`
	// ExecutionID names the execution that applied them before a wave,
	// empty when applied on demand.
	ExecutionID string    `json:"executionId,omitempty"`
	Time        time.Time `json:"time"`
	Error       string    `json:"error,omitempty"`
	// Unanswered says that Error is DRS or EC2 not answering (throttled
	// after the clients' retries, a 5xx, unreachable) rather than the
	// settings being refused: trying again later may succeed. It is for
	// the caller of the moment, and neither stored nor sent.
	Unanswered bool `json:"-"`
}

// ServerDrift is the difference between what a server's launch settings
// intend and what DRS and EC2 hold now, read back from them.
type ServerDrift struct {
	GroupID        string `json:"protectionGroupId"`
	SourceServerID string `json:"sourceServerId"`
	// Fields lists every managed field whose value differs; empty when the
	// server is in line.
	Fields                []FieldDrift `json:"fields"`
	LaunchTemplateID      string       `json:"launchTemplateId,omitempty"`
	LaunchTemplateVersion int64        `json:"launchTemplateVersion,omitempty"`
	// Error says why the server could not be read back; Fields is then
	// empty.
	Error string `json:"error,omitempty"`
}

// FieldDrift is one field that differs. Want and Got are rendered as
// text: lists sorted and comma-separated, tags as k=v pairs sorted by key
// (only the keys the settings name), booleans as true or false, and an
// absent value as "".
type FieldDrift struct {
	Field string `json:"field"`
	Want  string `json:"want"`
	Got   string `json:"got"`
}

// TagSyncResult reports one copy of source machines' EC2 tags onto their
// DRS source servers in an account and region.
type TagSyncResult struct {
	AccountID string `json:"accountId,omitempty"`
	Region    string `json:"region"`
	// Servers is how many source servers were looked at, Linked how many
	// of them name their source EC2 instance, Updated how many got new or
	// changed tags.
	Servers int       `json:"servers"`
	Linked  int       `json:"linked"`
	Updated int       `json:"updated"`
	Time    time.Time `json:"time"`
	// Errors lists what went wrong per server ("s-…: message").
	Errors []string `json:"errors,omitempty"`
}

// Health gate check kinds and gate statuses.
const (
	CheckStatusChecks = "statusChecks"
	CheckURL          = "checkUrl"

	GateChecking = "CHECKING"
	GatePassed   = "PASSED"
	GateFailed   = "FAILED"
)

// Health gate defaults and bounds.
const (
	DefaultGateTimeoutMinutes  = 15
	MaxGateTimeoutMinutes      = 720
	DefaultGateIntervalSeconds = 15
	MinGateIntervalSeconds     = 5
	MaxGateIntervalSeconds     = 600
)

// HealthGate holds a wave in VERIFYING after its servers launched until
// every check it names passes, or fails the wave once TimeoutMinutes have
// passed since the gate began; the wave's failure policy then applies.
type HealthGate struct {
	// StatusChecks waits for both EC2 status checks (system and instance)
	// of every launched instance to be ok.
	StatusChecks bool `json:"statusChecks,omitempty"`
	// CheckURL is POSTed a GateRequest until it answers 2xx.
	CheckURL        string `json:"checkUrl,omitempty"`
	TimeoutMinutes  int    `json:"timeoutMinutes,omitempty"`
	IntervalSeconds int    `json:"intervalSeconds,omitempty"`
}

// Timeout returns the gate's timeout, its default when unset.
func (g HealthGate) Timeout() time.Duration {
	if g.TimeoutMinutes <= 0 {
		return DefaultGateTimeoutMinutes * time.Minute
	}
	return time.Duration(g.TimeoutMinutes) * time.Minute
}

// Interval returns the wait between two rounds of checks, its default
// when unset.
func (g HealthGate) Interval() time.Duration {
	if g.IntervalSeconds <= 0 {
		return DefaultGateIntervalSeconds * time.Second
	}
	return time.Duration(g.IntervalSeconds) * time.Second
}

// GateRun is the state of a wave's health gate in one run of the wave.
type GateRun struct {
	Status    string      `json:"status"`
	StartTime time.Time   `json:"startTime"`
	EndTime   *time.Time  `json:"endTime,omitempty"`
	Checks    []GateCheck `json:"checks"`
	Error     string      `json:"error,omitempty"`
}

// GateCheck is the latest outcome of one kind of check of a gate.
type GateCheck struct {
	Kind     string `json:"kind"`
	OK       bool   `json:"ok"`
	Attempts int    `json:"attempts"`
	// StatusCode is the check URL's latest answer.
	StatusCode int `json:"statusCode,omitempty"`
	// Message says what the latest attempt saw, e.g. "3 of 8 instances
	// initializing: i-…".
	Message  string     `json:"message,omitempty"`
	Time     time.Time  `json:"time"`
	PassedAt *time.Time `json:"passedAt,omitempty"`
}

// GateRequest is the JSON body POSTed to a wave's check URL.
type GateRequest struct {
	ExecutionID string         `json:"executionId"`
	PlanID      string         `json:"planId"`
	PlanName    string         `json:"planName"`
	Mode        string         `json:"mode"`
	Wave        string         `json:"wave"`
	Attempt     int            `json:"attempt"`
	Instances   []GateInstance `json:"instances"`
}

// GateInstance is one launched server in a GateRequest.
type GateInstance struct {
	SourceServerID string `json:"sourceServerId"`
	Hostname       string `json:"hostname,omitempty"`
	EC2InstanceID  string `json:"ec2InstanceId"`
	PrivateIP      string `json:"privateIp,omitempty"`
}
