package drssim

import (
	"time"
)

// Network is the emulator's fixed EC2 network: the recovery VPC with its
// subnets and security groups (the source site's VPC is left out).
type Network struct {
	VPC            VPC             `json:"vpc"`
	Subnets        []Subnet        `json:"subnets"`
	SecurityGroups []SecurityGroup `json:"securityGroups"`
}

// VPC is an EC2 VPC.
type VPC struct {
	ID   string `json:"id"`
	CIDR string `json:"cidr"`
}

// Subnet is an EC2 subnet of the fixed network.
type Subnet struct {
	ID               string `json:"id"`
	VPCID            string `json:"vpcId"`
	CIDR             string `json:"cidr"`
	AvailabilityZone string `json:"availabilityZone"`
}

// SecurityGroup is an EC2 security group of the fixed network.
type SecurityGroup struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	VPCID string `json:"vpcId"`
}

// Network returns the fixed network: vpc-0e5a1d00000000001, its three
// subnets and four security groups.
func (s *Sim) Network() Network {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.ec2()
	var n Network
	for _, v := range e.vpcs {
		if !v.hidden {
			n.VPC = VPC{ID: v.id, CIDR: v.cidr}
		}
	}
	for _, sn := range e.subnets {
		if !sn.hidden {
			n.Subnets = append(n.Subnets, Subnet{ID: sn.id, VPCID: sn.vpcID, CIDR: sn.prefix.String(), AvailabilityZone: sn.az})
		}
	}
	for _, sg := range e.sgs {
		if !sg.hidden {
			n.SecurityGroups = append(n.SecurityGroups, SecurityGroup{ID: sg.id, Name: sg.name, VPCID: sg.vpcID})
		}
	}
	return n
}

// EC2Instance is an EC2 instance as a test inspects it: a source server's
// own machine or a recovery instance (terminated ones included).
type EC2Instance struct {
	ID string `json:"id"`
	// SourceServerID is the source server it is, or recovers.
	SourceServerID string `json:"sourceServerId"`
	// Recovery is set for recovery instances.
	Recovery           bool              `json:"recovery"`
	State              string            `json:"state"` // running, stopped, shutting-down, terminated
	InstanceType       string            `json:"instanceType"`
	SubnetID           string            `json:"subnetId"`
	PrivateIP          string            `json:"privateIp"`
	SecurityGroupIDs   []string          `json:"securityGroupIds"`
	InstanceProfileARN string            `json:"instanceProfileArn,omitempty"`
	Tags               map[string]string `json:"tags"`
	LaunchTime         time.Time         `json:"launchTime"`
	// SystemStatus and InstanceStatus are the status checks now.
	SystemStatus   string `json:"systemStatus"`
	InstanceStatus string `json:"instanceStatus"`
}

// Instance returns the EC2 instance with the given ID.
func (s *Sim) Instance(ec2InstanceID string) (EC2Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advance(now)
	inst := s.ec2().instByID[ec2InstanceID]
	if inst == nil {
		return EC2Instance{}, false
	}
	st := s.statusCheck(inst, now)
	tags := make(map[string]string, len(inst.tags))
	for k, v := range inst.tags {
		tags[k] = v
	}
	return EC2Instance{
		ID: inst.id, SourceServerID: inst.srv.inv.ID, Recovery: inst.recovery != nil,
		State: inst.state, InstanceType: inst.typ, SubnetID: inst.subnet.id, PrivateIP: ipv4(inst.ip),
		SecurityGroupIDs: append([]string(nil), inst.sgs...), InstanceProfileARN: inst.profileARN,
		Tags: tags, LaunchTime: inst.launched, SystemStatus: st, InstanceStatus: st,
	}, true
}

// SourceInstanceID returns the ID of the source server's own EC2
// instance (its identificationHints.awsInstanceID), "" for an unknown
// server.
func (s *Sim) SourceInstanceID(serverID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2() // the source machines are made with the EC2 state, on first use
	if srv := s.serverByID[serverID]; srv != nil && srv.sourceInstance != nil {
		return srv.sourceInstance.id
	}
	return ""
}

// LaunchTemplateID returns the ID of the source server's launch template,
// "" for an unknown server.
func (s *Sim) LaunchTemplateID(serverID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if srv := s.serverByID[serverID]; srv != nil {
		return srv.launchTmpl
	}
	return ""
}

// SetInstanceImpaired makes both status checks of a running instance
// "impaired" until it is cleared with impaired false. Unknown IDs are
// ignored.
func (s *Sim) SetInstanceImpaired(ec2InstanceID string, impaired bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst := s.ec2().instByID[ec2InstanceID]; inst != nil {
		inst.impaired = impaired
	}
}

// ec2View is the body of GET /_sim/ec2.
type ec2View struct {
	Network         Network        `json:"network"`
	LaunchTemplates []templateView `json:"launchTemplates"`
}

type templateView struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	SourceServerID string `json:"sourceServerId"`
	DefaultVersion int64  `json:"defaultVersion"`
	LatestVersion  int64  `json:"latestVersion"`
}

func (s *Sim) ec2View() ec2View {
	v := ec2View{Network: s.Network(), LaunchTemplates: []templateView{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.servers {
		if lt := s.ec2().templates[srv.launchTmpl]; lt != nil {
			v.LaunchTemplates = append(v.LaunchTemplates, templateView{
				ID: lt.id, Name: lt.name, SourceServerID: srv.inv.ID,
				DefaultVersion: lt.deflt, LatestVersion: int64(len(lt.versions)),
			})
		}
	}
	return v
}
