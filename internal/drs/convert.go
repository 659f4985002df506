package drs

import (
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
)

// The conversions below read SDK values that DRS filled in however it
// liked: any pointer may be nil and any string may be garbage. None of them
// may panic, and a field that cannot be read is left zero rather than
// failing the whole answer, so one odd server does not hide a thousand good
// ones.

// parseTime reads a DRS date-time. The model says RFC 3339 with a Z, real
// answers have been seen with +00:00 and microseconds; both parse, and so
// does a time without any zone (taken as UTC). Anything else is zero.
func parseTime(s *string) time.Time {
	v := aws.ToString(s)
	if v == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// formatTime writes a date-time in the form the model's pattern accepts.
func formatTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return aws.String(t.UTC().Format(time.RFC3339Nano))
}

// lag reads a replication lag; zero when DRS reports none or garbage.
func lag(s *string) time.Duration {
	d, err := parseDuration(aws.ToString(s))
	if err != nil || d < 0 {
		return 0
	}
	return d
}

func sourceServerFrom(s types.SourceServer) SourceServer {
	out := SourceServer{
		ID:                 aws.ToString(s.SourceServerID),
		ARN:                aws.ToString(s.Arn),
		Tags:               maps.Clone(s.Tags),
		RecoveryInstanceID: aws.ToString(s.RecoveryInstanceId),
		LastLaunchResult:   string(s.LastLaunchResult),
	}
	if p := s.SourceProperties; p != nil {
		if h := p.IdentificationHints; h != nil {
			out.Hostname = aws.ToString(h.Hostname)
			out.AWSInstanceID = aws.ToString(h.AwsInstanceID)
		}
		if p.Os != nil {
			out.OS = aws.ToString(p.Os.FullString)
		}
	}
	if c := s.SourceCloudProperties; c != nil {
		out.OriginAccountID = aws.ToString(c.OriginAccountID)
		out.OriginRegion = aws.ToString(c.OriginRegion)
	}
	if r := s.DataReplicationInfo; r != nil {
		out.ReplicationState = string(r.DataReplicationState)
		out.Lag = lag(r.LagDuration)
	}
	return out
}

func jobFrom(j *types.Job) Job {
	if j == nil {
		return Job{}
	}
	out := Job{
		ID:          aws.ToString(j.JobID),
		Type:        string(j.Type),
		InitiatedBy: string(j.InitiatedBy),
		Status:      string(j.Status),
		CreatedAt:   parseTime(j.CreationDateTime),
		EndedAt:     parseTime(j.EndDateTime),
		Tags:        maps.Clone(j.Tags),
	}
	for _, p := range j.ParticipatingServers {
		out.Servers = append(out.Servers, JobServer{
			SourceServerID:     aws.ToString(p.SourceServerID),
			RecoveryInstanceID: aws.ToString(p.RecoveryInstanceID),
			LaunchStatus:       string(p.LaunchStatus),
		})
	}
	return out
}

func jobLogItemFrom(l types.JobLog) JobLogItem {
	out := JobLogItem{Time: parseTime(l.LogDateTime), Event: string(l.Event)}
	if d := l.EventData; d != nil {
		out.SourceServerID = aws.ToString(d.SourceServerID)
		out.TargetInstanceID = aws.ToString(d.TargetInstanceID)
		out.RawError = aws.ToString(d.RawError)
	}
	return out
}

func recoveryInstanceFrom(r types.RecoveryInstance) RecoveryInstance {
	return RecoveryInstance{
		ID:             aws.ToString(r.RecoveryInstanceID),
		EC2InstanceID:  aws.ToString(r.Ec2InstanceID),
		EC2State:       string(r.Ec2InstanceState),
		SourceServerID: aws.ToString(r.SourceServerID),
		JobID:          aws.ToString(r.JobID),
		IsDrill:        aws.ToBool(r.IsDrill),
		PointInTime:    parseTime(r.PointInTimeSnapshotDateTime),
		Tags:           maps.Clone(r.Tags),
	}
}

func snapshotFrom(s types.RecoverySnapshot) Snapshot {
	return Snapshot{
		ID:             aws.ToString(s.SnapshotID),
		SourceServerID: aws.ToString(s.SourceServerID),
		Expected:       parseTime(s.ExpectedTimestamp),
		Taken:          parseTime(s.Timestamp),
	}
}

// launchConfigurationFrom reads GetLaunchConfiguration's and
// UpdateLaunchConfiguration's answers, which carry the same members.
func launchConfigurationFrom(o launchConfigurationOutput) LaunchConfiguration {
	out := LaunchConfiguration{
		SourceServerID:      aws.ToString(o.SourceServerID),
		Name:                aws.ToString(o.Name),
		EC2LaunchTemplateID: aws.ToString(o.Ec2LaunchTemplateID),
		LaunchDisposition:   string(o.LaunchDisposition),
		RightSizingMethod:   string(o.TargetInstanceTypeRightSizingMethod),
		CopyPrivateIP:       aws.ToBool(o.CopyPrivateIp),
		CopyTags:            aws.ToBool(o.CopyTags),
		PostLaunchEnabled:   aws.ToBool(o.PostLaunchEnabled),
	}
	if o.Licensing != nil {
		out.OSByol = aws.ToBool(o.Licensing.OsByol)
	}
	return out
}

// launchConfigurationOutput holds the members shared by the two outputs.
type launchConfigurationOutput struct {
	SourceServerID, Name, Ec2LaunchTemplateID  *string
	LaunchDisposition                          types.LaunchDisposition
	TargetInstanceTypeRightSizingMethod        types.TargetInstanceTypeRightSizingMethod
	CopyPrivateIp, CopyTags, PostLaunchEnabled *bool
	Licensing                                  *types.Licensing
}

func fromGetOutput(o *drs.GetLaunchConfigurationOutput) launchConfigurationOutput {
	if o == nil {
		return launchConfigurationOutput{}
	}
	return launchConfigurationOutput{
		SourceServerID: o.SourceServerID, Name: o.Name,
		Ec2LaunchTemplateID:                 o.Ec2LaunchTemplateID,
		LaunchDisposition:                   o.LaunchDisposition,
		TargetInstanceTypeRightSizingMethod: o.TargetInstanceTypeRightSizingMethod,
		CopyPrivateIp:                       o.CopyPrivateIp, CopyTags: o.CopyTags,
		PostLaunchEnabled: o.PostLaunchEnabled, Licensing: o.Licensing,
	}
}

func fromUpdateOutput(o *drs.UpdateLaunchConfigurationOutput) launchConfigurationOutput {
	if o == nil {
		return launchConfigurationOutput{}
	}
	return launchConfigurationOutput{
		SourceServerID: o.SourceServerID, Name: o.Name,
		Ec2LaunchTemplateID:                 o.Ec2LaunchTemplateID,
		LaunchDisposition:                   o.LaunchDisposition,
		TargetInstanceTypeRightSizingMethod: o.TargetInstanceTypeRightSizingMethod,
		CopyPrivateIp:                       o.CopyPrivateIp, CopyTags: o.CopyTags,
		PostLaunchEnabled: o.PostLaunchEnabled, Licensing: o.Licensing,
	}
}

// updateInput writes every member of lc that DRS lets us set. The update is
// a patch on the DRS side, but our booleans cannot say "unset", so they are
// always sent: read, change, write back. Empty strings are not sent.
func updateInput(lc LaunchConfiguration) *drs.UpdateLaunchConfigurationInput {
	in := &drs.UpdateLaunchConfigurationInput{
		SourceServerID:                      aws.String(lc.SourceServerID),
		LaunchDisposition:                   types.LaunchDisposition(lc.LaunchDisposition),
		TargetInstanceTypeRightSizingMethod: types.TargetInstanceTypeRightSizingMethod(lc.RightSizingMethod),
		CopyPrivateIp:                       aws.Bool(lc.CopyPrivateIP),
		CopyTags:                            aws.Bool(lc.CopyTags),
		PostLaunchEnabled:                   aws.Bool(lc.PostLaunchEnabled),
		Licensing:                           &types.Licensing{OsByol: aws.Bool(lc.OSByol)},
	}
	if lc.Name != "" {
		in.Name = aws.String(lc.Name)
	}
	return in
}
