// Package ec2 is drsorch's narrow port to Amazon EC2: the few calls that
// check, apply and verify where recovery instances come up (subnets,
// security groups, network interfaces, instances and their status checks,
// launch template versions), on aws-sdk-go-v2/service/ec2. It speaks the
// EC2 Query protocol through the SDK, so the emulator in internal/drssim
// serves it in tests exactly as EC2 would.
package ec2

import "time"

// Subnet is an EC2 subnet.
type Subnet struct {
	ID               string
	VPCID            string
	CIDR             string // IPv4 CIDR block, e.g. 10.10.1.0/24
	AvailabilityZone string
}

// SecurityGroup is an EC2 security group.
type SecurityGroup struct {
	ID    string
	Name  string
	VPCID string
}

// NetworkInterface is an elastic network interface and the private IPv4
// addresses it holds.
type NetworkInterface struct {
	ID         string
	SubnetID   string
	PrivateIPs []string
	// InstanceID is the instance it is attached to, "" when detached.
	InstanceID string
	Status     string // available, in-use, …
}

// Instance is an EC2 instance as DescribeInstances reports it.
type Instance struct {
	ID               string
	State            string // pending, running, stopping, stopped, shutting-down, terminated
	InstanceType     string
	PrivateIP        string
	SubnetID         string
	VPCID            string
	SecurityGroupIDs []string
	// InstanceProfileARN is the ARN of the attached IAM instance profile.
	InstanceProfileARN string
	Tags               map[string]string
	LaunchTime         time.Time
}

// Status check values of InstanceStatus.
const (
	StatusOK               = "ok"
	StatusImpaired         = "impaired"
	StatusInitializing     = "initializing"
	StatusInsufficientData = "insufficient-data"
	StatusNotApplicable    = "not-applicable"
)

// InstanceStatus is one instance's state and its two status checks.
type InstanceStatus struct {
	ID             string
	State          string
	SystemStatus   string // one of the Status constants
	InstanceStatus string
}

// TemplateData are the members of a launch template version that drsorch
// manages. The network settings are those of the network interface at
// device index 0; Tags and VolumeTags are the tag specifications of
// resource types instance and volume.
type TemplateData struct {
	InstanceType     string
	SubnetID         string
	SecurityGroupIDs []string
	PrivateIP        string
	// InstanceProfile is the IAM instance profile, by ARN when it starts
	// with "arn:", else by name.
	InstanceProfile string
	Tags            map[string]string
	VolumeTags      map[string]string
}

// TemplateVersion is one version of a launch template.
type TemplateVersion struct {
	TemplateID  string
	Version     int64
	Default     bool
	Description string
	CreateTime  time.Time
	Data        TemplateData
}
