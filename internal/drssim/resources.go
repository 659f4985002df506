package drssim

import (
	"net/http"
	"strings"
)

type sourceServerInput struct {
	SourceServerID string `json:"sourceServerID"`
}

func (s *Sim) lookupServer(id string) (*server, error) {
	if !validServerID(id) {
		return nil, invalidField("sourceServerID", "invalid source server ID %q", id)
	}
	srv := s.serverByID[id]
	if srv == nil {
		return nil, notFound(id, resSourceServer)
	}
	return srv, nil
}

func (s *Sim) getLaunchConfiguration(req *request) (int, any, error) {
	var in sourceServerInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	srv, err := s.lookupServer(in.SourceServerID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, wireLaunchConfig(srv), nil
}

type updateLaunchConfigInput struct {
	SourceServerID                      string  `json:"sourceServerID"`
	Name                                *string `json:"name"`
	LaunchDisposition                   *string `json:"launchDisposition"`
	TargetInstanceTypeRightSizingMethod *string `json:"targetInstanceTypeRightSizingMethod"`
	CopyPrivateIP                       *bool   `json:"copyPrivateIp"`
	CopyTags                            *bool   `json:"copyTags"`
	Licensing                           *struct {
		OSByol *bool `json:"osByol"`
	} `json:"licensing"`
	PostLaunchEnabled            *bool `json:"postLaunchEnabled"`
	LaunchIntoInstanceProperties *struct {
		LaunchIntoEC2InstanceID *string `json:"launchIntoEC2InstanceID"`
	} `json:"launchIntoInstanceProperties"`
}

// updateLaunchConfiguration patches the fields given; validation happens
// before anything changes.
func (s *Sim) updateLaunchConfiguration(req *request) (int, any, error) {
	var in updateLaunchConfigInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	srv, err := s.lookupServer(in.SourceServerID)
	if err != nil {
		return 0, nil, err
	}
	lc := srv.lc
	if in.Name != nil {
		if len(*in.Name) > 128 {
			return 0, nil, invalidField("name", "name is longer than 128 characters")
		}
		lc.Name = *in.Name
	}
	if v := in.LaunchDisposition; v != nil {
		if *v != "STOPPED" && *v != "STARTED" {
			return 0, nil, invalidField("launchDisposition", "launchDisposition must be STOPPED or STARTED, got %q", *v)
		}
		lc.LaunchDisposition = *v
	}
	if v := in.TargetInstanceTypeRightSizingMethod; v != nil {
		switch *v {
		case "NONE", "BASIC", "IN_AWS":
		default:
			return 0, nil, invalidField("targetInstanceTypeRightSizingMethod",
				"targetInstanceTypeRightSizingMethod must be NONE, BASIC or IN_AWS, got %q", *v)
		}
		lc.RightSizing = *v
	}
	if in.CopyPrivateIP != nil {
		lc.CopyPrivateIP = *in.CopyPrivateIP
	}
	if in.CopyTags != nil {
		lc.CopyTags = *in.CopyTags
	}
	if in.Licensing != nil && in.Licensing.OSByol != nil {
		lc.OSByol = *in.Licensing.OSByol
	}
	if in.PostLaunchEnabled != nil {
		lc.PostLaunchEnabled = *in.PostLaunchEnabled
	}
	if p := in.LaunchIntoInstanceProperties; p != nil && p.LaunchIntoEC2InstanceID != nil {
		id := *p.LaunchIntoEC2InstanceID
		if id != "" && !validID(id, "i-", len(id)-2, true) || len(id) > 255 || id != "" && len(id) < 10 {
			return 0, nil, invalidField("launchIntoInstanceProperties.launchIntoEC2InstanceID",
				"invalid EC2 instance ID %q", id)
		}
		lc.LaunchIntoInstance = id
	}
	srv.lc = lc
	s.writeDRSVersion(srv, req.now)
	return http.StatusOK, wireLaunchConfig(srv), nil
}

type disconnectInput struct {
	RecoveryInstanceID string `json:"recoveryInstanceID"`
}

// disconnectRecoveryInstance stops the instance's failback replication:
// its dataReplicationInfo becomes DISCONNECTED with zeroed disks.
func (s *Sim) disconnectRecoveryInstance(req *request) (int, any, error) {
	var in disconnectInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	if !validInstanceID(in.RecoveryInstanceID) {
		return 0, nil, invalidField("recoveryInstanceID", "invalid recovery instance ID %q", in.RecoveryInstanceID)
	}
	inst := s.instanceByID[in.RecoveryInstanceID]
	if inst == nil {
		return 0, nil, notFound(in.RecoveryInstanceID, resRecoveryInstance)
	}
	if inst.busy != nil {
		return 0, nil, conflict(inst.id, resRecoveryInstance,
			"recovery instance %s is being terminated by %s", inst.id, inst.busy.id)
	}
	inst.disconnected = true
	return http.StatusOK, nil, nil
}

// tagsOf finds the tag map of the resource an ARN names: a source server,
// a job or a recovery instance of this account and region.
func (s *Sim) tagsOf(arn string) (*map[string]string, error) {
	if len(arn) < 20 || len(arn) > 2048 || !strings.HasPrefix(arn, "arn:") {
		return nil, invalidField("resourceArn", "invalid ARN %q", arn)
	}
	prefix := "arn:aws:drs:" + s.region + ":" + s.account + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return nil, notFound(arn, resResource)
	}
	kind, id, _ := strings.Cut(rest, "/")
	switch kind {
	case "source-server":
		if srv := s.serverByID[id]; srv != nil {
			return &srv.tags, nil
		}
	case "job":
		if j := s.jobByID[id]; j != nil {
			return &j.tags, nil
		}
	case "recovery-instance":
		if inst := s.instanceByID[id]; inst != nil {
			return &inst.tags, nil
		}
	}
	return nil, notFound(arn, resResource)
}

type tagsBody struct {
	Tags map[string]string `json:"tags"`
}

func (s *Sim) listTags(req *request) (int, any, error) {
	tags, err := s.tagsOf(req.arn)
	if err != nil {
		return 0, nil, err
	}
	out := tagsBody{Tags: cloneTags(*tags)}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return http.StatusOK, out, nil
}

func (s *Sim) tagResource(req *request) (int, any, error) {
	var in tagsBody
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	tags, err := s.tagsOf(req.arn)
	if err != nil {
		return 0, nil, err
	}
	if in.Tags == nil {
		return 0, nil, invalidField("tags", "tags is required")
	}
	merged := cloneTags(*tags)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range in.Tags {
		merged[k] = v
	}
	if err := validateTags(merged, "tags"); err != nil {
		return 0, nil, err
	}
	*tags = merged
	return http.StatusOK, nil, nil
}

func (s *Sim) untagResource(req *request) (int, any, error) {
	tags, err := s.tagsOf(req.arn)
	if err != nil {
		return 0, nil, err
	}
	keys := req.query["tagKeys"]
	if len(keys) == 0 {
		return 0, nil, invalidField("tagKeys", "tagKeys is required")
	}
	for _, k := range keys {
		delete(*tags, k)
	}
	return http.StatusOK, nil, nil
}
