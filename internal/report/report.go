package report

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Points in time a server was recovered to.
const (
	PointSnapshot = "snapshot"  // a snapshot the execution chose
	PointOnDemand = "on-demand" // the fresh snapshot of the launch request
)

// DRS is the part of the DRS port a prediction reads: the source servers,
// for their operating systems.
type DRS interface {
	DescribeSourceServers(ctx context.Context, ids []string) ([]drs.SourceServer, error)
}

// DRSFunc returns the DRS client of an account and region.
type DRSFunc func(ctx context.Context, accountID, region string) (DRS, error)

// Options configure a Service.
type Options struct {
	Store store.Store
	// DRS is needed by Predict only.
	DRS    DRSFunc
	Clock  func() time.Time // time.Now when nil
	Logger *slog.Logger     // discard when nil
	// Trend is the default alert rule of Trend.
	Trend TrendOptions
	// Quotas are the DRS quotas Predict packs waves under.
	Quotas Quotas
}

// Service builds reports, trends and predictions from the store.
type Service struct {
	store  store.Store
	drs    DRSFunc
	now    func() time.Time
	log    *slog.Logger
	trend  TrendOptions
	quotas Quotas
}

// New returns a Service.
func New(opts Options) *Service {
	s := &Service{store: opts.Store, drs: opts.DRS, now: opts.Clock,
		log: opts.Logger, trend: opts.Trend, quotas: opts.Quotas.withDefaults()}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "report")
	return s
}

// Report is the evidence of one execution.
type Report struct {
	ExecutionID string                 `json:"executionId"`
	PlanID      string                 `json:"planId"`
	PlanName    string                 `json:"planName"`
	Mode        string                 `json:"mode"`
	Status      string                 `json:"status"`
	StartedBy   string                 `json:"startedBy,omitempty"`
	Plan        plan.RecoveryPlan      `json:"plan"`
	Groups      []plan.ProtectionGroup `json:"groups"`
	// PointInTime is the point in time the execution was asked to
	// recover to, if any.
	PointInTime *time.Time `json:"pointInTime,omitempty"`
	// ConsistentPointInTime reports that each wave was recovered to one
	// instant, its WaveReport.PointInTime.
	ConsistentPointInTime bool `json:"consistentPointInTime,omitempty"`

	CreatedAt time.Time  `json:"createdAt"`
	StartTime *time.Time `json:"startTime,omitempty"`
	EndTime   *time.Time `json:"endTime,omitempty"`
	// DurationSeconds is EndTime minus CreatedAt; absent until the end.
	DurationSeconds *float64 `json:"durationSeconds,omitempty"`
	RTOMinutes      int      `json:"rtoMinutes,omitempty"`
	// RTOMet is absent while the execution runs or when the plan has no
	// RTO.
	RTOMet  *bool  `json:"rtoMet,omitempty"`
	Cleanup string `json:"cleanupStatus,omitempty"`

	Servers  int `json:"servers"`
	Launched int `json:"launched"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	// MaxRPOSeconds is the largest achieved RPO of a launched server.
	MaxRPOSeconds *float64 `json:"maxRpoSeconds,omitempty"`

	Waves       []WaveReport `json:"waves"`
	GeneratedAt time.Time    `json:"generatedAt"`
}

// WaveReport is one wave of a Report.
type WaveReport struct {
	Index      int        `json:"index"`
	Name       string     `json:"name"`
	Status     string     `json:"status"`
	DependsOn  []string   `json:"dependsOn"`
	Gated      bool       `json:"gated,omitempty"`
	ApprovedBy string     `json:"approvedBy,omitempty"`
	StartTime  *time.Time `json:"startTime,omitempty"`
	EndTime    *time.Time `json:"endTime,omitempty"`
	// DurationSeconds is EndTime minus StartTime.
	DurationSeconds *float64          `json:"durationSeconds,omitempty"`
	Hooks           []plan.HookResult `json:"hookResults"`
	Error           string            `json:"error,omitempty"`
	// PointInTime is the instant the wave's servers were recovered to,
	// with a consistent point in time.
	PointInTime *time.Time `json:"pointInTime,omitempty"`
	// HealthGate is the wave's gate as defined, Gate how it went: each
	// check's outcome, attempts and time.
	HealthGate *plan.HealthGate `json:"healthGate,omitempty"`
	Gate       *plan.GateRun    `json:"gate,omitempty"`
	Servers    []ServerReport   `json:"servers"`
}

// ServerReport is one launch of a Report.
type ServerReport struct {
	SourceServerID     string     `json:"sourceServerId"`
	Hostname           string     `json:"hostname,omitempty"`
	Wave               string     `json:"wave"`
	GroupID            string     `json:"protectionGroupId"`
	AccountID          string     `json:"accountId,omitempty"`
	Region             string     `json:"region"`
	Status             string     `json:"status"`
	JobID              string     `json:"jobId,omitempty"`
	RecoveryInstanceID string     `json:"recoveryInstanceId,omitempty"`
	EC2InstanceID      string     `json:"ec2InstanceId,omitempty"`
	RecoverySnapshotID string     `json:"recoverySnapshotId,omitempty"`
	RequestTime        *time.Time `json:"requestTime,omitempty"`
	LaunchTime         *time.Time `json:"launchTime,omitempty"`
	// LaunchSeconds is LaunchTime minus RequestTime.
	LaunchSeconds *float64 `json:"launchSeconds,omitempty"`
	// PointInTime is the point the server was recovered to, and
	// PointInTimeSource says where it comes from (PointSnapshot or
	// PointOnDemand); both absent until the launch is requested.
	PointInTime       *time.Time `json:"pointInTime,omitempty"`
	PointInTimeSource string     `json:"pointInTimeSource,omitempty"`
	// RPOSeconds is the achieved RPO (see the package documentation).
	RPOSeconds *float64 `json:"rpoSeconds,omitempty"`
	Attempts   int      `json:"attempts,omitempty"`
	Error      string   `json:"error,omitempty"`
	// Where the recovery instance came up, as EC2 reported it.
	PrivateIP     string `json:"privateIp,omitempty"`
	InstanceType  string `json:"instanceType,omitempty"`
	InstanceState string `json:"instanceState,omitempty"`
	SubnetID      string `json:"subnetId,omitempty"`
	// The launch settings applied before the wave launched.
	SettingsAppliedAt     *time.Time `json:"settingsAppliedAt,omitempty"`
	LaunchTemplateVersion int64      `json:"launchTemplateVersion,omitempty"`
	SettingsError         string     `json:"settingsError,omitempty"`
}

// Execution loads an execution and builds its report. An unknown ID is an
// error matching store.ErrNotFound.
func (s *Service) Execution(ctx context.Context, id string) (*Report, error) {
	e, err := s.store.GetExecution(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load execution %q: %w", id, err)
	}
	waves, err := s.store.ListWaves(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("list waves of %s: %w", id, err)
	}
	launches, err := s.store.ListLaunches(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("list launches of %s: %w", id, err)
	}
	return Build(e, waves, launches, s.now().UTC()), nil
}

// Build assembles the report of an execution from its stored records; now
// is its generation time.
func Build(e *plan.Execution, waves []plan.WaveRun, launches []plan.Launch, now time.Time) *Report {
	r := &Report{
		ExecutionID: e.ID, PlanID: e.PlanID, PlanName: e.PlanName, Mode: e.Mode,
		Status: e.Status, StartedBy: e.StartedBy, Plan: e.Plan, Groups: e.Groups,
		PointInTime: e.PointInTime, ConsistentPointInTime: e.ConsistentPointInTime,
		CreatedAt: e.CreatedAt, StartTime: e.StartTime,
		EndTime: e.EndTime, RTOMinutes: e.Plan.RTOMinutes, Cleanup: e.Cleanup,
		Waves: make([]WaveReport, len(waves)), GeneratedAt: now,
	}
	if r.Groups == nil {
		r.Groups = []plan.ProtectionGroup{}
	}
	if e.EndTime != nil && !plan.Active(e.Status) {
		d := seconds(e.EndTime.Sub(e.CreatedAt))
		r.DurationSeconds = &d
		if r.RTOMinutes > 0 {
			met := d <= float64(r.RTOMinutes*60)
			r.RTOMet = &met
		}
	}
	defs := map[string]plan.Wave{}
	for _, w := range e.Plan.Waves {
		defs[w.Name] = w
	}
	at := map[string]int{}
	for i, w := range waves {
		def := defs[w.Name]
		wr := WaveReport{Index: w.Index, Name: w.Name, Status: w.Status,
			DependsOn: def.DependsOn, Gated: def.PauseBefore, ApprovedBy: w.ApprovedBy,
			StartTime: w.StartTime, EndTime: w.EndTime, Hooks: w.Hooks, Error: w.Error,
			PointInTime: w.PointInTime, HealthGate: def.HealthGate, Gate: w.Gate,
			Servers: []ServerReport{}}
		if wr.DependsOn == nil {
			wr.DependsOn = []string{}
		}
		if wr.Hooks == nil {
			wr.Hooks = []plan.HookResult{}
		}
		if w.StartTime != nil && w.EndTime != nil {
			d := seconds(w.EndTime.Sub(*w.StartTime))
			wr.DurationSeconds = &d
		}
		r.Waves[i] = wr
		at[w.Name] = i
	}
	for _, l := range launches {
		i, ok := at[l.Wave]
		if !ok {
			continue
		}
		sr := serverReport(e, l)
		r.Waves[i].Servers = append(r.Waves[i].Servers, sr)
		r.Servers++
		switch l.Status {
		case plan.LaunchLaunched, plan.LaunchTerminating, plan.LaunchTerminated:
			r.Launched++
			if sr.RPOSeconds != nil && (r.MaxRPOSeconds == nil || *sr.RPOSeconds > *r.MaxRPOSeconds) {
				v := *sr.RPOSeconds
				r.MaxRPOSeconds = &v
			}
		case plan.LaunchFailed:
			r.Failed++
		case plan.LaunchSkipped:
			r.Skipped++
		}
	}
	return r
}

func serverReport(e *plan.Execution, l plan.Launch) ServerReport {
	sr := ServerReport{
		SourceServerID: l.SourceServerID, Hostname: l.Hostname, Wave: l.Wave,
		GroupID: l.GroupID, AccountID: l.AccountID, Region: l.Region, Status: l.Status,
		JobID: l.JobID, RecoveryInstanceID: l.RecoveryInstanceID,
		EC2InstanceID: l.EC2InstanceID, RecoverySnapshotID: l.RecoverySnapshotID,
		RequestTime: l.RequestTime, LaunchTime: l.LaunchTime, Attempts: l.Attempts,
		Error: l.Error, PrivateIP: l.PrivateIP, InstanceType: l.InstanceType,
		InstanceState: l.InstanceState, SubnetID: l.SubnetID,
		SettingsAppliedAt: l.SettingsAppliedAt, LaunchTemplateVersion: l.LaunchTemplateVersion,
		SettingsError: l.SettingsError,
	}
	if l.RequestTime != nil && l.LaunchTime != nil {
		d := seconds(l.LaunchTime.Sub(*l.RequestTime))
		sr.LaunchSeconds = &d
	}
	switch {
	case l.PointInTime != nil:
		sr.PointInTime, sr.PointInTimeSource = l.PointInTime, PointSnapshot
	case l.RequestTime != nil:
		sr.PointInTime, sr.PointInTimeSource = l.RequestTime, PointOnDemand
	}
	if sr.PointInTime != nil {
		rpo := max(0, seconds(e.CreatedAt.Sub(*sr.PointInTime)))
		sr.RPOSeconds = &rpo
	}
	return sr
}

// seconds is d in seconds, rounded to the millisecond.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

// DRSOf adapts a function returning a concrete client, such as
// (*drs.Clients).For, to a DRSFunc.
func DRSOf[C DRS](f func(ctx context.Context, accountID, region string) (C, error)) DRSFunc {
	return func(ctx context.Context, accountID, region string) (DRS, error) {
		c, err := f(ctx, accountID, region)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
