package plan

import "time"

// Execution modes.
const (
	ModeDrill    = "drill"
	ModeRecovery = "recovery"
)

// Execution statuses.
const (
	ExecPending    = "PENDING"
	ExecRunning    = "RUNNING"
	ExecPaused     = "PAUSED"
	ExecCancelling = "CANCELLING"
	ExecCompleted  = "COMPLETED"
	ExecPartial    = "PARTIAL"
	ExecFailed     = "FAILED"
	ExecCancelled  = "CANCELLED"
)

// Wave statuses inside an execution.
const (
	WavePending          = "PENDING"
	WaveAwaitingApproval = "AWAITING_APPROVAL"
	WaveLaunching        = "LAUNCHING"
	WaveVerifying        = "VERIFYING"
	WaveCompleted        = "COMPLETED"
	WavePartial          = "PARTIAL"
	WaveFailed           = "FAILED"
	WaveSkipped          = "SKIPPED"
	WaveCancelled        = "CANCELLED"
)

// Launch statuses.
const (
	LaunchPending     = "PENDING"
	LaunchRequested   = "REQUESTED"
	LaunchLaunching   = "LAUNCHING"
	LaunchLaunched    = "LAUNCHED"
	LaunchFailed      = "FAILED"
	LaunchSkipped     = "SKIPPED"
	LaunchTerminating = "TERMINATING"
	LaunchTerminated  = "TERMINATED"
)

// Cleanup statuses of a drill.
const (
	CleanupNotStarted = "NOT_STARTED"
	CleanupRunning    = "RUNNING"
	CleanupCompleted  = "COMPLETED"
	CleanupFailed     = "FAILED"
)

// Batch statuses. A batch is written REQUESTING before its DRS call and
// REQUESTED once the job ID is known; FAILED when DRS refused it for good.
const (
	BatchRequesting = "REQUESTING"
	BatchRequested  = "REQUESTED"
	BatchFailed     = "FAILED"
)

// Batch kinds.
const (
	BatchLaunch    = "launch"
	BatchTerminate = "terminate"
)

// Execution is the header record of one run of a plan. The plan and the
// groups it used are frozen into it when it starts.
type Execution struct {
	ID          string            `json:"executionId"`
	PlanID      string            `json:"planId"`
	PlanName    string            `json:"planName"`
	Mode        string            `json:"mode"`
	Status      string            `json:"status"`
	Plan        RecoveryPlan      `json:"plan"`
	Groups      []ProtectionGroup `json:"groups"`
	PointInTime *time.Time        `json:"pointInTime,omitempty"`
	StartedBy   string            `json:"startedBy,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	StartTime   *time.Time        `json:"startTime,omitempty"`
	EndTime     *time.Time        `json:"endTime,omitempty"`
	Cleanup     string            `json:"cleanupStatus,omitempty"`
	// ConsistentPointInTime reports whether the execution was started to
	// recover each wave to one instant, its WaveRun.PointInTime.
	ConsistentPointInTime bool `json:"consistentPointInTime,omitempty"`

	// Requests are controls asked for through the API and not yet carried
	// out by the engine, which alone changes Status.
	Requests Requests `json:"requests,omitzero"`

	// The lease: which engine replica drives the execution, and until when.
	LeaseOwner  string    `json:"-"`
	LeaseExpiry time.Time `json:"-"`

	Version int64 `json:"version"`
	// Revision counts every commit to the execution, of its header or of
	// any of its waves, launches, batches or events (1 when created): a
	// reader may keep what it built from the execution for as long as the
	// revision stays the same. The lease fields do not change it.
	Revision int64 `json:"revision,omitempty"`
}

// Requests are pending operator controls on an execution.
type Requests struct {
	Pause   bool `json:"pause,omitempty"`
	Resume  bool `json:"resume,omitempty"`
	Cancel  bool `json:"cancel,omitempty"`
	Retry   bool `json:"retry,omitempty"`
	Cleanup bool `json:"cleanup,omitempty"`
}

// WaveRun is the state of one wave inside an execution.
type WaveRun struct {
	ExecutionID string       `json:"executionId"`
	Index       int          `json:"index"`
	Name        string       `json:"name"`
	Status      string       `json:"status"`
	Approved    bool         `json:"approved,omitempty"`
	ApprovedBy  string       `json:"approvedBy,omitempty"`
	StartTime   *time.Time   `json:"startTime,omitempty"`
	EndTime     *time.Time   `json:"endTime,omitempty"`
	Hooks       []HookResult `json:"hookResults,omitempty"`
	Error       string       `json:"error,omitempty"`
	// PointInTime is the one instant the wave's servers recover to, when
	// the execution was started with a consistent point in time.
	PointInTime *time.Time `json:"pointInTime,omitempty"`
	// Gate is the wave's health gate in its current run, once it began.
	Gate    *GateRun `json:"gate,omitempty"`
	Version int64    `json:"version"`
}

// HookResult records one webhook call.
type HookResult struct {
	Name       string    `json:"name"`
	Phase      string    `json:"phase"` // "before" or "after"
	URL        string    `json:"url"`
	StatusCode int       `json:"statusCode,omitempty"`
	Attempts   int       `json:"attempts"`
	OK         bool      `json:"ok"`
	Error      string    `json:"error,omitempty"`
	Time       time.Time `json:"time"`
}

// Launch is one server's recovery inside an execution.
type Launch struct {
	ExecutionID    string `json:"executionId"`
	Wave           string `json:"wave"`
	GroupID        string `json:"protectionGroupId"`
	SourceServerID string `json:"sourceServerId"`
	AccountID      string `json:"accountId,omitempty"`
	Region         string `json:"region"`
	Hostname       string `json:"hostname,omitempty"`
	// OS is the source server's operating system as DRS reports it when
	// the execution starts; the engine expects a launch's duration from it.
	OS                 string     `json:"os,omitempty"`
	Status             string     `json:"status"`
	BatchID            string     `json:"batchId,omitempty"`
	JobID              string     `json:"jobId,omitempty"`
	RecoveryInstanceID string     `json:"recoveryInstanceId,omitempty"`
	EC2InstanceID      string     `json:"ec2InstanceId,omitempty"`
	RecoverySnapshotID string     `json:"recoverySnapshotId,omitempty"`
	PointInTime        *time.Time `json:"pointInTime,omitempty"`
	RequestTime        *time.Time `json:"requestTime,omitempty"`
	LaunchTime         *time.Time `json:"launchTime,omitempty"`
	EndTime            *time.Time `json:"endTime,omitempty"`
	Error              string     `json:"error,omitempty"`
	Attempts           int        `json:"attempts,omitempty"`
	TerminateJobID     string     `json:"terminateJobId,omitempty"`
	// The launch settings applied to the server before its wave launched:
	// when, the launch template version that holds them, and the error
	// that failed the launch instead.
	SettingsAppliedAt     *time.Time `json:"settingsAppliedAt,omitempty"`
	LaunchTemplateVersion int64      `json:"launchTemplateVersion,omitempty"`
	SettingsError         string     `json:"settingsError,omitempty"`
	// What EC2 says of the recovery instance once it launched.
	PrivateIP     string `json:"privateIp,omitempty"`
	InstanceType  string `json:"instanceType,omitempty"`
	InstanceState string `json:"instanceState,omitempty"`
	SubnetID      string `json:"subnetId,omitempty"`
	Version       int64  `json:"version"`
}

// Batch is the set of servers sent in one DRS call (StartRecovery or
// TerminateRecoveryInstances); it is the unit of idempotency.
type Batch struct {
	ExecutionID     string     `json:"executionId"`
	ID              string     `json:"batchId"`
	Kind            string     `json:"kind"`
	Wave            string     `json:"wave"`
	AccountID       string     `json:"accountId,omitempty"`
	Region          string     `json:"region"`
	SourceServerIDs []string   `json:"sourceServerIds"`
	Status          string     `json:"status"`
	JobID           string     `json:"jobId,omitempty"`
	RequestTime     time.Time  `json:"requestTime"`
	EndTime         *time.Time `json:"endTime,omitempty"`
	Error           string     `json:"error,omitempty"`
	Version         int64      `json:"version"`
}

// Event is one recorded state change of an execution. Seq orders the
// events of an execution and is assigned by the store.
type Event struct {
	ExecutionID    string    `json:"executionId"`
	Seq            int64     `json:"seq"`
	Time           time.Time `json:"time"`
	Type           string    `json:"type"`
	Wave           string    `json:"wave,omitempty"`
	SourceServerID string    `json:"sourceServerId,omitempty"`
	Message        string    `json:"message,omitempty"`
}

// Active reports whether an execution status is not final.
func Active(status string) bool {
	switch status {
	case ExecCompleted, ExecPartial, ExecFailed, ExecCancelled:
		return false
	}
	return true
}
