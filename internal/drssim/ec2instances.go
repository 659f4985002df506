package drssim

import (
	"strconv"
	"strings"
	"time"
)

type xGroup struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

func (s *Sim) xGroups(ids []string) []xGroup {
	out := make([]xGroup, len(ids))
	for i, id := range ids {
		out[i] = xGroup{GroupID: id}
		if sg := s.ec2().sgByID[id]; sg != nil {
			out[i].GroupName = sg.name
		}
	}
	return out
}

func privateDNS(ip uint32) string {
	return "ip-" + strings.ReplaceAll(ipv4(ip), ".", "-") + ".ec2.internal"
}

type xAttachment struct {
	AttachmentID        string `xml:"attachmentId"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
	DeviceIndex         int    `xml:"deviceIndex"`
	NetworkCardIndex    int    `xml:"networkCardIndex"`
	InstanceID          string `xml:"instanceId"`
	InstanceOwnerID     string `xml:"instanceOwnerId"`
	Status              string `xml:"status"`
}

type xPrivateIP struct {
	PrivateIPAddress string `xml:"privateIpAddress"`
	PrivateDNSName   string `xml:"privateDnsName"`
	Primary          bool   `xml:"primary"`
}

type xNetworkInterface struct {
	NetworkInterfaceID string       `xml:"networkInterfaceId"`
	SubnetID           string       `xml:"subnetId"`
	VpcID              string       `xml:"vpcId"`
	AvailabilityZone   string       `xml:"availabilityZone"`
	Description        string       `xml:"description"`
	OwnerID            string       `xml:"ownerId"`
	RequesterManaged   bool         `xml:"requesterManaged"`
	Status             string       `xml:"status"`
	MacAddress         string       `xml:"macAddress"`
	PrivateIPAddress   string       `xml:"privateIpAddress"`
	PrivateDNSName     string       `xml:"privateDnsName"`
	SourceDestCheck    bool         `xml:"sourceDestCheck"`
	InterfaceType      string       `xml:"interfaceType"`
	GroupSet           []xGroup     `xml:"groupSet>item"`
	Attachment         *xAttachment `xml:"attachment,omitempty"`
	PrivateIPAddresses []xPrivateIP `xml:"privateIpAddressesSet>item"`
	TagSet             []xTag       `xml:"tagSet>item"`
}

func (s *Sim) xENI(n *eni) xNetworkInterface {
	x := xNetworkInterface{
		NetworkInterfaceID: n.id,
		SubnetID:           n.subnet.id,
		VpcID:              n.subnet.vpcID,
		AvailabilityZone:   n.subnet.az,
		OwnerID:            s.account,
		Status:             "available",
		MacAddress:         n.mac,
		PrivateIPAddress:   ipv4(n.ip),
		PrivateDNSName:     privateDNS(n.ip),
		SourceDestCheck:    true,
		InterfaceType:      "interface",
		GroupSet:           s.xGroups(n.sgs),
		PrivateIPAddresses: []xPrivateIP{{PrivateIPAddress: ipv4(n.ip), PrivateDNSName: privateDNS(n.ip), Primary: true}},
	}
	if inst := n.inst; inst != nil {
		x.Status = "in-use"
		x.Attachment = &xAttachment{
			AttachmentID:        "eni-attach-" + hex17(s.hash("eni-attach", n.id)),
			AttachTime:          ec2Time(inst.launched),
			DeleteOnTermination: true,
			InstanceID:          inst.id,
			InstanceOwnerID:     s.account,
			Status:              "attached",
		}
	}
	return x
}

type describeNetworkInterfacesOutput struct {
	ec2Head
	NetworkInterfaces []xNetworkInterface `xml:"networkInterfaceSet>item"`
	NextToken         string              `xml:"nextToken,omitempty"`
}

// describeNetworkInterfaces lists live interfaces in creation order.
func (s *Sim) describeNetworkInterfaces(r *ec2Request) (ec2Output, error) {
	fs, err := filters(r.form, "subnet-id", "vpc-id", "addresses.private-ip-address", "private-ip-address",
		"attachment.instance-id", "network-interface-id", "status")
	if err != nil {
		return nil, err
	}
	p, err := pageArgs(r.form, "DescribeNetworkInterfaces", 5, 1000)
	if err != nil {
		return nil, err
	}
	e := s.ec2()
	ids := values(r.form, "NetworkInterfaceId")
	if len(ids) > 0 && p.limit > 0 {
		return nil, ec2Err("InvalidParameterCombination", "The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults")
	}
	var missing []string
	for _, id := range ids {
		if !validEC2ID(id, "eni-") {
			return nil, ec2Err("InvalidNetworkInterfaceID.Malformed", "Invalid id: \"%s\" (expecting \"eni-...\")", id)
		}
		if e.eniByID[id] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, ec2Err("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID %s does not exist", quoteIDs(missing))
	}
	candidates := e.enis
	// An address filter names few interfaces: look them up instead of
	// walking every interface of a 5,000-server inventory.
	for _, f := range fs {
		if f.name != "addresses.private-ip-address" && f.name != "private-ip-address" {
			continue
		}
		var found []*eni
		for _, sn := range e.subnets {
			for _, v := range f.values {
				if ip, ok := parseIPv4(v); ok && sn.used[ip] != nil {
					found = append(found, sn.used[ip])
				}
			}
		}
		sortBy(found, func(a, b *eni) bool { return a.seq < b.seq })
		candidates = found
		break
	}
	var list []*eni
	for _, n := range candidates {
		if e.eniByID[n.id] != n || len(ids) > 0 && !contains(ids, n.id) {
			continue
		}
		if !match(fs, func(name string) []string {
			switch name {
			case "subnet-id":
				return []string{n.subnet.id}
			case "vpc-id":
				return []string{n.subnet.vpcID}
			case "addresses.private-ip-address", "private-ip-address":
				return []string{ipv4(n.ip)}
			case "attachment.instance-id":
				if n.inst != nil {
					return []string{n.inst.id}
				}
			case "network-interface-id":
				return []string{n.id}
			case "status":
				if n.inst != nil {
					return []string{"in-use"}
				}
				return []string{"available"}
			}
			return nil
		}) {
			continue
		}
		list = append(list, n)
	}
	lo, hi, next := paginate(p, "DescribeNetworkInterfaces", len(list), func(i int) int64 { return int64(list[i].seq) })
	out := &describeNetworkInterfacesOutput{NextToken: next}
	for _, n := range list[lo:hi] {
		out.NetworkInterfaces = append(out.NetworkInterfaces, s.xENI(n))
	}
	return out, nil
}

type xInstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xPlacement struct {
	AvailabilityZone string `xml:"availabilityZone"`
	Tenancy          string `xml:"tenancy"`
}

type xProfile struct {
	Arn string `xml:"arn"`
	ID  string `xml:"id"`
}

type xMonitoring struct {
	State string `xml:"state"`
}

type xInstanceNIC struct {
	NetworkInterfaceID string       `xml:"networkInterfaceId"`
	SubnetID           string       `xml:"subnetId"`
	VpcID              string       `xml:"vpcId"`
	OwnerID            string       `xml:"ownerId"`
	Status             string       `xml:"status"`
	MacAddress         string       `xml:"macAddress"`
	PrivateIPAddress   string       `xml:"privateIpAddress"`
	PrivateDNSName     string       `xml:"privateDnsName"`
	SourceDestCheck    bool         `xml:"sourceDestCheck"`
	InterfaceType      string       `xml:"interfaceType"`
	GroupSet           []xGroup     `xml:"groupSet>item"`
	Attachment         xAttachment  `xml:"attachment"`
	PrivateIPAddresses []xPrivateIP `xml:"privateIpAddressesSet>item"`
}

type xInstance struct {
	InstanceID          string         `xml:"instanceId"`
	ImageID             string         `xml:"imageId"`
	InstanceState       xInstanceState `xml:"instanceState"`
	PrivateDNSName      string         `xml:"privateDnsName"`
	DNSName             string         `xml:"dnsName"`
	AmiLaunchIndex      int            `xml:"amiLaunchIndex"`
	InstanceType        string         `xml:"instanceType"`
	LaunchTime          string         `xml:"launchTime"`
	Placement           xPlacement     `xml:"placement"`
	Platform            string         `xml:"platform,omitempty"`
	PlatformDetails     string         `xml:"platformDetails"`
	Monitoring          xMonitoring    `xml:"monitoring"`
	SubnetID            string         `xml:"subnetId"`
	VpcID               string         `xml:"vpcId"`
	PrivateIPAddress    string         `xml:"privateIpAddress"`
	SourceDestCheck     bool           `xml:"sourceDestCheck"`
	GroupSet            []xGroup       `xml:"groupSet>item"`
	Architecture        string         `xml:"architecture"`
	RootDeviceType      string         `xml:"rootDeviceType"`
	RootDeviceName      string         `xml:"rootDeviceName"`
	VirtualizationType  string         `xml:"virtualizationType"`
	Hypervisor          string         `xml:"hypervisor"`
	IamInstanceProfile  *xProfile      `xml:"iamInstanceProfile,omitempty"`
	TagSet              []xTag         `xml:"tagSet>item"`
	NetworkInterfaceSet []xInstanceNIC `xml:"networkInterfaceSet>item"`
	StateReason         *xStateReason  `xml:"stateReason,omitempty"`
}

type xStateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type xReservation struct {
	ReservationID string      `xml:"reservationId"`
	OwnerID       string      `xml:"ownerId"`
	InstancesSet  []xInstance `xml:"instancesSet>item"`
}

type describeInstancesOutput struct {
	ec2Head
	Reservations []xReservation `xml:"reservationSet>item"`
	NextToken    string         `xml:"nextToken,omitempty"`
}

func (s *Sim) xInstance(inst *ec2Instance) xInstance {
	x := xInstance{
		InstanceID:         inst.id,
		ImageID:            "ami-" + hex17(s.hash("ami", inst.srv.inv.OSName)),
		InstanceState:      xInstanceState{Code: stateCodes[inst.state], Name: inst.state},
		InstanceType:       inst.typ,
		LaunchTime:         ec2Time(inst.launched),
		Placement:          xPlacement{AvailabilityZone: inst.subnet.az, Tenancy: "default"},
		PlatformDetails:    "Linux/UNIX",
		Monitoring:         xMonitoring{State: "disabled"},
		Architecture:       "x86_64",
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/sda1",
		VirtualizationType: "hvm",
		Hypervisor:         "xen",
		TagSet:             xTags(inst.tags),
	}
	if inst.srv.inv.OS == "windows" {
		x.Platform, x.PlatformDetails = "windows", "Windows"
	}
	if inst.state == "terminated" {
		x.StateReason = &xStateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
		return x
	}
	x.PrivateDNSName = privateDNS(inst.ip)
	x.SubnetID, x.VpcID = inst.subnet.id, inst.subnet.vpcID
	x.PrivateIPAddress = ipv4(inst.ip)
	x.SourceDestCheck = true
	x.GroupSet = s.xGroups(inst.sgs)
	if inst.profileARN != "" {
		x.IamInstanceProfile = &xProfile{Arn: inst.profileARN, ID: "AIPA" + strings.ToUpper(hex17(s.hash("profile", inst.profileARN)))}
	}
	if n := inst.eni; n != nil {
		e := s.xENI(n)
		x.NetworkInterfaceSet = []xInstanceNIC{{
			NetworkInterfaceID: e.NetworkInterfaceID, SubnetID: e.SubnetID, VpcID: e.VpcID, OwnerID: e.OwnerID,
			Status: e.Status, MacAddress: e.MacAddress, PrivateIPAddress: e.PrivateIPAddress,
			PrivateDNSName: e.PrivateDNSName, SourceDestCheck: true, InterfaceType: "interface",
			GroupSet: e.GroupSet, Attachment: *e.Attachment, PrivateIPAddresses: e.PrivateIPAddresses,
		}}
	}
	return x
}

// lookupInstances resolves InstanceId.N: each must be well formed and
// exist, as EC2 insists for IDs named directly.
func (s *Sim) lookupInstances(ids []string) ([]*ec2Instance, error) {
	var missing []string
	var list []*ec2Instance
	for _, id := range ids {
		if !validEC2ID(id, "i-") {
			return nil, ec2Err("InvalidInstanceID.Malformed", "Invalid id: \"%s\"", id)
		}
		inst := s.ec2().instByID[id]
		if inst == nil {
			missing = append(missing, id)
			continue
		}
		list = append(list, inst)
	}
	if len(missing) == 1 {
		return nil, ec2Err("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", missing[0])
	}
	if len(missing) > 1 {
		return nil, ec2Err("InvalidInstanceID.NotFound", "The instance IDs %s do not exist", quoteIDs(missing))
	}
	sortBy(list, func(a, b *ec2Instance) bool { return a.seq < b.seq })
	out := list[:0]
	for i, inst := range list {
		if i == 0 || list[i-1] != inst {
			out = append(out, inst)
		}
	}
	return out, nil
}

// instanceCandidates is the instances a describe considers: those named
// by InstanceId.N, else those an instance-id filter names, else all.
func (s *Sim) instanceCandidates(ids []string, fs []ec2Filter) ([]*ec2Instance, error) {
	if len(ids) > 0 {
		return s.lookupInstances(ids)
	}
	for _, f := range fs {
		if f.name != "instance-id" {
			continue
		}
		var list []*ec2Instance
		for _, id := range f.values {
			if inst := s.ec2().instByID[id]; inst != nil {
				list = append(list, inst)
			}
		}
		sortBy(list, func(a, b *ec2Instance) bool { return a.seq < b.seq })
		return list, nil
	}
	return s.ec2().instances, nil
}

func instanceAttr(inst *ec2Instance, name string) []string {
	switch name {
	case "instance-id":
		return []string{inst.id}
	case "instance-state-name":
		return []string{inst.state}
	case "subnet-id":
		return []string{inst.subnet.id}
	case "vpc-id":
		return []string{inst.subnet.vpcID}
	case "private-ip-address":
		return []string{ipv4(inst.ip)}
	case "instance-type":
		return []string{inst.typ}
	}
	if k, ok := strings.CutPrefix(name, "tag:"); ok {
		if v, has := inst.tags[k]; has {
			return []string{v}
		}
	}
	return nil
}

func instanceFilters(form map[string][]string) ([]ec2Filter, error) {
	var tagNames []string
	for _, p := range indexed(form, "Filter") {
		if n := form[p+".Name"]; len(n) > 0 && strings.HasPrefix(n[0], "tag:") {
			tagNames = append(tagNames, n[0])
		}
	}
	return filters(form, append([]string{"instance-id", "instance-state-name", "subnet-id", "vpc-id",
		"private-ip-address", "instance-type"}, tagNames...)...)
}

// describeEC2Instances lists instances, one reservation each, in creation
// order. Terminated recovery instances stay listed, as EC2 keeps them
// visible for a while.
func (s *Sim) describeEC2Instances(r *ec2Request) (ec2Output, error) {
	fs, err := instanceFilters(r.form)
	if err != nil {
		return nil, err
	}
	p, err := pageArgs(r.form, "DescribeInstances", 5, 1000)
	if err != nil {
		return nil, err
	}
	ids := values(r.form, "InstanceId")
	if len(ids) > 0 && p.limit > 0 {
		return nil, ec2Err("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	cands, err := s.instanceCandidates(ids, fs)
	if err != nil {
		return nil, err
	}
	var list []*ec2Instance
	for _, inst := range cands {
		if match(fs, func(name string) []string { return instanceAttr(inst, name) }) {
			list = append(list, inst)
		}
	}
	lo, hi, next := paginate(p, "DescribeInstances", len(list), func(i int) int64 { return int64(list[i].seq) })
	out := &describeInstancesOutput{NextToken: next}
	for _, inst := range list[lo:hi] {
		out.Reservations = append(out.Reservations, xReservation{
			ReservationID: "r-" + hex17(s.hash("reservation", inst.id)),
			OwnerID:       s.account,
			InstancesSet:  []xInstance{s.xInstance(inst)},
		})
	}
	return out, nil
}

type xStatusDetail struct {
	Name   string `xml:"name"`
	Status string `xml:"status"`
}

type xStatusSummary struct {
	Status  string          `xml:"status"`
	Details []xStatusDetail `xml:"details>item"`
}

type xInstanceStatus struct {
	InstanceID       string         `xml:"instanceId"`
	AvailabilityZone string         `xml:"availabilityZone"`
	InstanceState    xInstanceState `xml:"instanceState"`
	SystemStatus     xStatusSummary `xml:"systemStatus"`
	InstanceStatus   xStatusSummary `xml:"instanceStatus"`
}

type describeInstanceStatusOutput struct {
	ec2Head
	Statuses  []xInstanceStatus `xml:"instanceStatusSet>item"`
	NextToken string            `xml:"nextToken,omitempty"`
}

// statusCheck is the value both status checks of inst have at now.
func (s *Sim) statusCheck(inst *ec2Instance, now time.Time) string {
	switch {
	case inst.state != "running":
		return "not-applicable"
	case inst.impaired:
		return "impaired"
	case now.Before(inst.readyAt):
		return "initializing"
	}
	return "ok"
}

func summary(status string) xStatusSummary {
	detail := map[string]string{
		"ok": "passed", "impaired": "failed", "initializing": "initializing", "not-applicable": "",
	}[status]
	x := xStatusSummary{Status: status}
	if detail != "" {
		x.Details = []xStatusDetail{{Name: "reachability", Status: detail}}
	}
	return x
}

// describeInstanceStatus reports status checks; without
// IncludeAllInstances only running instances are listed.
func (s *Sim) describeInstanceStatus(r *ec2Request) (ec2Output, error) {
	fs, err := filters(r.form, "instance-id", "instance-state-name", "system-status.status", "instance-status.status")
	if err != nil {
		return nil, err
	}
	p, err := pageArgs(r.form, "DescribeInstanceStatus", 5, 1000)
	if err != nil {
		return nil, err
	}
	ids := values(r.form, "InstanceId")
	if len(ids) > 0 && p.limit > 0 {
		return nil, ec2Err("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	all := false
	if v := r.form.Get("IncludeAllInstances"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalidParam("Invalid value '%s' for IncludeAllInstances", v)
		}
		all = b
	}
	cands, err := s.instanceCandidates(ids, fs)
	if err != nil {
		return nil, err
	}
	var list []*ec2Instance
	for _, inst := range cands {
		if !all && inst.state != "running" {
			continue
		}
		st := s.statusCheck(inst, r.now)
		if match(fs, func(name string) []string {
			switch name {
			case "system-status.status", "instance-status.status":
				return []string{st}
			}
			return instanceAttr(inst, name)
		}) {
			list = append(list, inst)
		}
	}
	lo, hi, next := paginate(p, "DescribeInstanceStatus", len(list), func(i int) int64 { return int64(list[i].seq) })
	out := &describeInstanceStatusOutput{NextToken: next}
	for _, inst := range list[lo:hi] {
		st := s.statusCheck(inst, r.now)
		out.Statuses = append(out.Statuses, xInstanceStatus{
			InstanceID:       inst.id,
			AvailabilityZone: inst.subnet.az,
			InstanceState:    xInstanceState{Code: stateCodes[inst.state], Name: inst.state},
			SystemStatus:     summary(st),
			InstanceStatus:   summary(st),
		})
	}
	return out, nil
}

type xReturn struct {
	ec2Head
	Return bool `xml:"return"`
}

// resourceTags parses ResourceId.N and Tag.N for CreateTags and
// DeleteTags; only instances carry tags here.
func (s *Sim) resourceTags(r *ec2Request) ([]*ec2Instance, []ec2TagArg, error) {
	ids := values(r.form, "ResourceId")
	if len(ids) == 0 {
		return nil, nil, missingParam("ResourceId")
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "i-") {
			return nil, nil, invalidParam("The emulator tags only instances, not %s", id)
		}
	}
	insts, err := s.lookupInstances(ids)
	if err != nil {
		return nil, nil, err
	}
	var tags []ec2TagArg
	for _, p := range indexed(r.form, "Tag") {
		t := ec2TagArg{key: r.form.Get(p + ".Key")}
		if v, ok := r.form[p+".Value"]; ok {
			t.value, t.hasValue = v[0], true
		}
		if t.key == "" {
			return nil, nil, invalidParam("Tag key must not be empty")
		}
		if len(t.key) > 128 || len(t.value) > 256 {
			return nil, nil, invalidParam("Tag %q is too long", t.key)
		}
		if strings.HasPrefix(t.key, "aws:") {
			return nil, nil, invalidParam("Tag keys starting with 'aws:' are reserved for internal use")
		}
		tags = append(tags, t)
	}
	return insts, tags, nil
}

type ec2TagArg struct {
	key, value string
	hasValue   bool
}

func (s *Sim) createTags(r *ec2Request) (ec2Output, error) {
	insts, tags, err := s.resourceTags(r)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, missingParam("Tag")
	}
	for _, inst := range insts {
		n := len(inst.tags)
		for _, t := range tags {
			if _, ok := inst.tags[t.key]; !ok {
				n++
			}
		}
		if n > 50 {
			return nil, ec2Err("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
		}
	}
	for _, inst := range insts {
		if inst.tags == nil {
			inst.tags = map[string]string{}
		}
		for _, t := range tags {
			inst.tags[t.key] = t.value
		}
	}
	return &xReturn{Return: true}, nil
}

// deleteTags removes the keys given; a tag given with a value goes only
// when its value matches. No Tag.N removes every tag.
func (s *Sim) deleteTags(r *ec2Request) (ec2Output, error) {
	insts, tags, err := s.resourceTags(r)
	if err != nil {
		return nil, err
	}
	for _, inst := range insts {
		if len(tags) == 0 {
			inst.tags = map[string]string{}
		}
		for _, t := range tags {
			if v, ok := inst.tags[t.key]; ok && (!t.hasValue || v == t.value) {
				delete(inst.tags, t.key)
			}
		}
	}
	return &xReturn{Return: true}, nil
}
