package drssim

import (
	"strconv"
	"time"
)

// The wire types below carry the JSON member names of the DRS model;
// omitempty follows what the service leaves out when a value is unset.

type wireJob struct {
	JobID                string                    `json:"jobID"`
	Arn                  string                    `json:"arn"`
	Type                 string                    `json:"type"`
	InitiatedBy          string                    `json:"initiatedBy"`
	CreationDateTime     string                    `json:"creationDateTime"`
	EndDateTime          string                    `json:"endDateTime,omitempty"`
	Status               string                    `json:"status"`
	ParticipatingServers []wireParticipatingServer `json:"participatingServers"`
	Tags                 map[string]string         `json:"tags,omitempty"`
}

type wireParticipatingServer struct {
	SourceServerID     string `json:"sourceServerID"`
	RecoveryInstanceID string `json:"recoveryInstanceID,omitempty"`
	LaunchStatus       string `json:"launchStatus"`
}

func (s *Sim) wireJob(j *job) wireJob {
	w := wireJob{
		JobID:                j.id,
		Arn:                  j.arn,
		Type:                 j.typ,
		InitiatedBy:          j.initiatedBy,
		CreationDateTime:     formatTime(j.created),
		Status:               j.status,
		ParticipatingServers: make([]wireParticipatingServer, len(j.servers)),
		Tags:                 cloneTags(j.tags),
	}
	if !j.ended.IsZero() {
		w.EndDateTime = formatTime(j.ended)
	}
	for i, js := range j.servers {
		w.ParticipatingServers[i] = wireParticipatingServer{
			SourceServerID:     js.srv.inv.ID,
			RecoveryInstanceID: js.instanceID,
			LaunchStatus:       js.launchStatus,
		}
	}
	return w
}

type wireJobLog struct {
	LogDateTime string   `json:"logDateTime"`
	Event       string   `json:"event"`
	EventData   *logData `json:"eventData,omitempty"`
}

func wireLog(item logItem) wireJobLog {
	w := wireJobLog{LogDateTime: formatTime(item.at), Event: item.event}
	if item.data != (logData{}) {
		d := item.data
		w.EventData = &d
	}
	return w
}

type wireSourceServer struct {
	SourceServerID       string               `json:"sourceServerID"`
	Arn                  string               `json:"arn"`
	Tags                 map[string]string    `json:"tags"`
	RecoveryInstanceID   string               `json:"recoveryInstanceId,omitempty"`
	LastLaunchResult     string               `json:"lastLaunchResult"`
	DataReplicationInfo  wireReplicationInfo  `json:"dataReplicationInfo"`
	LifeCycle            wireLifeCycle        `json:"lifeCycle"`
	SourceProperties     wireSourceProperties `json:"sourceProperties"`
	SourceCloud          *wireSourceCloud     `json:"sourceCloudProperties,omitempty"`
	StagingArea          wireStagingArea      `json:"stagingArea"`
	ReplicationDirection string               `json:"replicationDirection"`
	AgentVersion         string               `json:"agentVersion"`
}

type wireReplicationInfo struct {
	LagDuration             string                `json:"lagDuration,omitempty"`
	ReplicatedDisks         []wireReplicatedDisk  `json:"replicatedDisks"`
	DataReplicationState    string                `json:"dataReplicationState"`
	DataReplicationError    *wireReplicationError `json:"dataReplicationError,omitempty"`
	StagingAvailabilityZone string                `json:"stagingAvailabilityZone,omitempty"`
}

type wireReplicatedDisk struct {
	DeviceName             string `json:"deviceName"`
	TotalStorageBytes      int64  `json:"totalStorageBytes"`
	ReplicatedStorageBytes int64  `json:"replicatedStorageBytes"`
	RescannedStorageBytes  int64  `json:"rescannedStorageBytes"`
	BackloggedStorageBytes int64  `json:"backloggedStorageBytes"`
	VolumeStatus           string `json:"volumeStatus,omitempty"`
}

type wireReplicationError struct {
	Error    string `json:"error"`
	RawError string `json:"rawError,omitempty"`
}

type wireLifeCycle struct {
	AddedToServiceDateTime     string          `json:"addedToServiceDateTime"`
	FirstByteDateTime          string          `json:"firstByteDateTime"`
	ElapsedReplicationDuration string          `json:"elapsedReplicationDuration"`
	LastSeenByServiceDateTime  string          `json:"lastSeenByServiceDateTime"`
	LastLaunch                 *wireLastLaunch `json:"lastLaunch,omitempty"`
}

type wireLastLaunch struct {
	Initiated wireInitiated `json:"initiated"`
	Status    string        `json:"status"`
}

type wireInitiated struct {
	APICallDateTime string `json:"apiCallDateTime"`
	JobID           string `json:"jobID"`
	Type            string `json:"type"`
}

type wireSourceProperties struct {
	LastUpdatedDateTime     string                 `json:"lastUpdatedDateTime"`
	RecommendedInstanceType string                 `json:"recommendedInstanceType"`
	IdentificationHints     wireIdentificationHint `json:"identificationHints"`
	NetworkInterfaces       []wireNetworkInterface `json:"networkInterfaces"`
	Disks                   []Disk                 `json:"disks"`
	Cpus                    []wireCPU              `json:"cpus"`
	RAMBytes                int64                  `json:"ramBytes"`
	OS                      wireOS                 `json:"os"`
	SupportsNitroInstances  bool                   `json:"supportsNitroInstances"`
}

type wireIdentificationHint struct {
	Fqdn          string `json:"fqdn,omitempty"`
	Hostname      string `json:"hostname,omitempty"`
	VMWareUUID    string `json:"vmWareUuid,omitempty"`
	AWSInstanceID string `json:"awsInstanceID,omitempty"`
}

type wireNetworkInterface struct {
	MacAddress string   `json:"macAddress"`
	Ips        []string `json:"ips"`
	IsPrimary  bool     `json:"isPrimary"`
}

type wireCPU struct {
	Cores     int64  `json:"cores"`
	ModelName string `json:"modelName"`
}

type wireOS struct {
	FullString string `json:"fullString"`
}

type wireSourceCloud struct {
	OriginAccountID        string `json:"originAccountID"`
	OriginRegion           string `json:"originRegion"`
	OriginAvailabilityZone string `json:"originAvailabilityZone,omitempty"`
}

type wireStagingArea struct {
	Status string `json:"status"`
}

func cpuModel(os string) string {
	if os == "windows" {
		return "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz"
	}
	return "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"
}

func (s *Sim) wireSourceServer(srv *server, now time.Time) wireSourceServer {
	inv := srv.inv
	until := srv.replicatingUntil(now)
	w := wireSourceServer{
		SourceServerID:       inv.ID,
		Arn:                  srv.arn,
		Tags:                 cloneTags(srv.tags),
		LastLaunchResult:     srv.lastResult,
		ReplicationDirection: "FAILOVER",
		AgentVersion:         "6.42.12.2025.353.1309",
		StagingArea:          wireStagingArea{Status: "NOT_EXTENDED"},
		LifeCycle: wireLifeCycle{
			AddedToServiceDateTime:     formatTime(srv.added),
			FirstByteDateTime:          formatTime(srv.firstByte),
			ElapsedReplicationDuration: formatDuration(until.Sub(srv.firstByte)),
			LastSeenByServiceDateTime:  formatTime(until),
		},
		SourceProperties: wireSourceProperties{
			LastUpdatedDateTime:     formatTime(maxTime(now.Truncate(time.Hour), srv.firstByte)),
			RecommendedInstanceType: inv.InstanceType,
			IdentificationHints: wireIdentificationHint{
				Fqdn:       inv.Hostname + ".corp.example.com",
				Hostname:   inv.Hostname,
				VMWareUUID: srv.vmUUID,
			},
			NetworkInterfaces: []wireNetworkInterface{{MacAddress: srv.mac, Ips: []string{srv.ip}, IsPrimary: true}},
			Disks:             inv.Disks,
			Cpus:              []wireCPU{{Cores: inv.Cores, ModelName: cpuModel(inv.OS)}},
			RAMBytes:          inv.RAMBytes,
			OS:                wireOS{FullString: inv.OSName},
		},
		DataReplicationInfo: wireReplicationInfo{
			DataReplicationState:    inv.ReplicationState,
			StagingAvailabilityZone: s.region + "a",
		},
	}
	if n := len(srv.instances); n > 0 {
		w.RecoveryInstanceID = srv.instances[n-1].id
	}
	s.ec2() // the source machines are made with the EC2 state, on first use
	if si := srv.sourceInstance; si != nil {
		w.SourceProperties.IdentificationHints.AWSInstanceID = si.id
		w.SourceCloud = &wireSourceCloud{OriginAccountID: s.account, OriginRegion: s.region, OriginAvailabilityZone: si.subnet.az}
	}
	if lag, ok := s.lag(srv, now); ok {
		w.DataReplicationInfo.LagDuration = formatDuration(lag)
	}
	for _, d := range inv.Disks {
		rd := wireReplicatedDisk{
			DeviceName: d.DeviceName, TotalStorageBytes: d.Bytes,
			ReplicatedStorageBytes: d.Bytes, VolumeStatus: "REGULAR",
		}
		if inv.ReplicationState == stateStalled {
			rd.BackloggedStorageBytes = int64(1+s.hash("backlog", inv.ID, d.DeviceName)%8) << 30
		}
		w.DataReplicationInfo.ReplicatedDisks = append(w.DataReplicationInfo.ReplicatedDisks, rd)
	}
	switch inv.ReplicationState {
	case stateStalled:
		w.DataReplicationInfo.DataReplicationError = &wireReplicationError{
			Error:    "UNSTABLE_NETWORK",
			RawError: "replication server lost connection to the agent on " + inv.Hostname,
		}
	case stateDisconnected:
		w.DataReplicationInfo.DataReplicationError = &wireReplicationError{Error: "AGENT_NOT_SEEN"}
	}
	if ll := srv.lastLaunch; ll != nil {
		typ := "RECOVERY"
		if ll.isDrill {
			typ = "DRILL"
		}
		w.LifeCycle.LastLaunch = &wireLastLaunch{
			Initiated: wireInitiated{APICallDateTime: formatTime(ll.apiCall), JobID: ll.jobID, Type: typ},
			Status:    ll.status,
		}
	}
	return w
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

type wireRecoveryInstance struct {
	EC2InstanceID               string                  `json:"ec2InstanceID"`
	EC2InstanceState            string                  `json:"ec2InstanceState"`
	JobID                       string                  `json:"jobID"`
	RecoveryInstanceID          string                  `json:"recoveryInstanceID"`
	SourceServerID              string                  `json:"sourceServerID"`
	Arn                         string                  `json:"arn"`
	Tags                        map[string]string       `json:"tags"`
	IsDrill                     bool                    `json:"isDrill"`
	PointInTimeSnapshotDateTime string                  `json:"pointInTimeSnapshotDateTime"`
	RecoveryInstanceProperties  wireInstanceProperties  `json:"recoveryInstanceProperties"`
	DataReplicationInfo         wireInstanceReplication `json:"dataReplicationInfo"`
	Failback                    wireFailback            `json:"failback"`
	OriginEnvironment           string                  `json:"originEnvironment"`
	AgentVersion                string                  `json:"agentVersion,omitempty"`
}

type wireInstanceProperties struct {
	LastUpdatedDateTime string                 `json:"lastUpdatedDateTime"`
	IdentificationHints wireIdentificationHint `json:"identificationHints"`
	NetworkInterfaces   []wireNetworkInterface `json:"networkInterfaces"`
	Disks               []wireInstanceDisk     `json:"disks"`
	Cpus                []wireCPU              `json:"cpus"`
	RAMBytes            int64                  `json:"ramBytes"`
	OS                  wireOS                 `json:"os"`
}

type wireInstanceDisk struct {
	InternalDeviceName string `json:"internalDeviceName"`
	Bytes              int64  `json:"bytes"`
	EBSVolumeID        string `json:"ebsVolumeID"`
}

type wireInstanceReplication struct {
	DataReplicationState string               `json:"dataReplicationState"`
	ReplicatedDisks      []wireReplicatedDisk `json:"replicatedDisks,omitempty"`
}

type wireFailback struct {
	State string `json:"state"`
}

func (s *Sim) wireInstance(inst *instance) wireRecoveryInstance {
	inv := inst.srv.inv
	w := wireRecoveryInstance{
		EC2InstanceID:               inst.id,
		EC2InstanceState:            inst.state,
		JobID:                       inst.jobID,
		RecoveryInstanceID:          inst.id,
		SourceServerID:              inv.ID,
		Arn:                         inst.arn,
		Tags:                        cloneTags(inst.tags),
		IsDrill:                     inst.isDrill,
		PointInTimeSnapshotDateTime: formatTime(inst.pit),
		RecoveryInstanceProperties: wireInstanceProperties{
			LastUpdatedDateTime: formatTime(inst.created),
			IdentificationHints: wireIdentificationHint{
				Hostname:      inv.Hostname,
				Fqdn:          inv.Hostname + ".corp.example.com",
				AWSInstanceID: inst.id,
			},
			NetworkInterfaces: []wireNetworkInterface{{
				MacAddress: macAddress(s.hash("instance-mac", inst.id)),
				Ips:        []string{inst.privateIP()},
				IsPrimary:  true,
			}},
			Cpus:     []wireCPU{{Cores: inv.Cores, ModelName: cpuModel(inv.OS)}},
			RAMBytes: inv.RAMBytes,
			OS:       wireOS{FullString: inv.OSName},
		},
		DataReplicationInfo: wireInstanceReplication{DataReplicationState: "NOT_STARTED"},
		Failback:            wireFailback{State: "FAILBACK_NOT_STARTED"},
		OriginEnvironment:   "ON_PREMISES",
	}
	for i, d := range inv.Disks {
		vol := "vol-" + hex17(s.hash("volume", inst.id, strconv.Itoa(i)))
		w.RecoveryInstanceProperties.Disks = append(w.RecoveryInstanceProperties.Disks,
			wireInstanceDisk{InternalDeviceName: d.DeviceName, Bytes: d.Bytes, EBSVolumeID: vol})
	}
	if inst.disconnected {
		w.DataReplicationInfo.DataReplicationState = stateDisconnected
		for _, d := range inv.Disks {
			w.DataReplicationInfo.ReplicatedDisks = append(w.DataReplicationInfo.ReplicatedDisks,
				wireReplicatedDisk{DeviceName: d.DeviceName})
		}
	}
	return w
}

type wireSnapshot struct {
	SnapshotID        string   `json:"snapshotID"`
	SourceServerID    string   `json:"sourceServerID"`
	ExpectedTimestamp string   `json:"expectedTimestamp"`
	Timestamp         string   `json:"timestamp"`
	EBSSnapshots      []string `json:"ebsSnapshots"`
}

type wireLaunchConfiguration struct {
	SourceServerID                      string              `json:"sourceServerID"`
	Name                                string              `json:"name"`
	EC2LaunchTemplateID                 string              `json:"ec2LaunchTemplateID"`
	LaunchDisposition                   string              `json:"launchDisposition"`
	TargetInstanceTypeRightSizingMethod string              `json:"targetInstanceTypeRightSizingMethod"`
	CopyPrivateIP                       bool                `json:"copyPrivateIp"`
	CopyTags                            bool                `json:"copyTags"`
	Licensing                           wireLicensing       `json:"licensing"`
	PostLaunchEnabled                   bool                `json:"postLaunchEnabled"`
	LaunchIntoInstanceProperties        *wireLaunchIntoInst `json:"launchIntoInstanceProperties,omitempty"`
}

type wireLicensing struct {
	OSByol bool `json:"osByol"`
}

type wireLaunchIntoInst struct {
	LaunchIntoEC2InstanceID string `json:"launchIntoEC2InstanceID,omitempty"`
}

func wireLaunchConfig(srv *server) wireLaunchConfiguration {
	lc := srv.lc
	w := wireLaunchConfiguration{
		SourceServerID:                      srv.inv.ID,
		Name:                                lc.Name,
		EC2LaunchTemplateID:                 srv.launchTmpl,
		LaunchDisposition:                   lc.LaunchDisposition,
		TargetInstanceTypeRightSizingMethod: lc.RightSizing,
		CopyPrivateIP:                       lc.CopyPrivateIP,
		CopyTags:                            lc.CopyTags,
		Licensing:                           wireLicensing{OSByol: lc.OSByol},
		PostLaunchEnabled:                   lc.PostLaunchEnabled,
	}
	if lc.LaunchIntoInstance != "" {
		w.LaunchIntoInstanceProperties = &wireLaunchIntoInst{LaunchIntoEC2InstanceID: lc.LaunchIntoInstance}
	}
	return w
}

// privateIP is the recovery instance's address: its EC2 instance's.
func (inst *instance) privateIP() string {
	if inst.ec2 != nil {
		return ipv4(inst.ec2.ip)
	}
	return inst.srv.ip
}
