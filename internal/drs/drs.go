// Package drs is drsorch's narrow port to AWS Elastic Disaster Recovery:
// the few operations drsorch calls, in drsorch's own types, implemented on
// the aws-sdk-go-v2 DRS client with retries, error classification,
// pagination and batching to the API's limits.
//
// Consumers declare the subset they use as an interface of their own; the
// Client type here satisfies all of them.
package drs

import (
	"errors"
	"time"
)

// Error classes. Client methods wrap the SDK error so that errors.Is
// reports its class; errors.As still finds the SDK's typed error.
var (
	ErrThrottled  = errors.New("drs: throttled")
	ErrConflict   = errors.New("drs: conflict")
	ErrQuota      = errors.New("drs: service quota exceeded")
	ErrValidation = errors.New("drs: validation failed")
	ErrNotFound   = errors.New("drs: resource not found")
	ErrTransient  = errors.New("drs: transient error")
)

// Replication states of a source server, as DRS names them.
const (
	StateContinuous   = "CONTINUOUS"
	StateStalled      = "STALLED"
	StateDisconnected = "DISCONNECTED"
)

// Job statuses, job types and launch statuses, as DRS names them.
const (
	JobPending   = "PENDING"
	JobStarted   = "STARTED"
	JobCompleted = "COMPLETED"

	JobTypeLaunch    = "LAUNCH"
	JobTypeTerminate = "TERMINATE"

	LaunchPending    = "PENDING"
	LaunchInProgress = "IN_PROGRESS"
	LaunchLaunched   = "LAUNCHED"
	LaunchFailed     = "FAILED"
	LaunchTerminated = "TERMINATED"
)

// SourceServer is a server DRS replicates.
type SourceServer struct {
	ID                 string            `json:"sourceServerId"`
	ARN                string            `json:"arn,omitempty"`
	Hostname           string            `json:"hostname,omitempty"`
	OS                 string            `json:"os,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	ReplicationState   string            `json:"replicationState"`
	Lag                time.Duration     `json:"lagSeconds"`
	RecoveryInstanceID string            `json:"recoveryInstanceId,omitempty"`
	LastLaunchResult   string            `json:"lastLaunchResult,omitempty"`
	// AWSInstanceID is the EC2 instance the server replicates from, when
	// it runs in AWS (its identification hints say so).
	AWSInstanceID string `json:"awsInstanceId,omitempty"`
	// OriginAccountID and OriginRegion are where that instance runs,
	// from the server's source cloud properties.
	OriginAccountID string `json:"originAccountId,omitempty"`
	OriginRegion    string `json:"originRegion,omitempty"`
}

// ServerLaunch asks DRS to recover one server, optionally from a given
// point-in-time snapshot (empty: an on-demand snapshot of the latest data).
type ServerLaunch struct {
	SourceServerID     string
	RecoverySnapshotID string
}

// Job is a DRS job.
type Job struct {
	ID          string
	Type        string
	InitiatedBy string
	Status      string
	CreatedAt   time.Time
	EndedAt     time.Time // zero until the job ends
	Servers     []JobServer
	Tags        map[string]string
}

// JobServer is one server's part in a job.
type JobServer struct {
	SourceServerID     string
	RecoveryInstanceID string
	LaunchStatus       string
}

// JobLogItem is one entry of a job's log.
type JobLogItem struct {
	Time             time.Time
	Event            string
	SourceServerID   string
	TargetInstanceID string
	RawError         string
}

// RecoveryInstance is an instance DRS launched for a source server.
type RecoveryInstance struct {
	ID             string
	EC2InstanceID  string
	EC2State       string
	SourceServerID string
	JobID          string
	IsDrill        bool
	PointInTime    time.Time
	Tags           map[string]string
}

// Snapshot is a point-in-time recovery snapshot of a source server.
type Snapshot struct {
	ID             string
	SourceServerID string
	Expected       time.Time
	Taken          time.Time
}

// LaunchConfiguration is the DRS-level launch configuration of a server.
type LaunchConfiguration struct {
	SourceServerID      string
	Name                string
	EC2LaunchTemplateID string
	LaunchDisposition   string
	RightSizingMethod   string
	CopyPrivateIP       bool
	CopyTags            bool
	OSByol              bool
	PostLaunchEnabled   bool
}
