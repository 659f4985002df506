package drssim

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"time"
)

// The fixed network every emulator has: the recovery VPC of the shared
// contract, and a source VPC that stands for the production site the
// source servers run in.
const (
	recoveryVPCID   = "vpc-0e5a1d00000000001"
	recoveryVPCCIDR = "10.10.0.0/16"
	sourceVPCID     = "vpc-0e5a1d00000000002"
	sourceSubnetID  = "subnet-0e5a1d00000000031"
	sourceSGID      = "sg-0e5a1d00000000025"
	defaultSGID     = "sg-0e5a1d00000000021"
	firstSubnetID   = "subnet-0e5a1d00000000011"
	// The account's default VPC takes recovery instances whose template
	// names no subnet once the first subnet is full.
	defaultVPCID     = "vpc-0e5a1d00000000003"
	overflowSubnetID = "subnet-0e5a1d00000000041"
	overflowSGID     = "sg-0e5a1d00000000041"
)

// subnet is an EC2 subnet and the addresses in use in it.
type subnet struct {
	id     string
	vpcID  string
	az     string
	prefix netip.Prefix
	base   uint32 // the network address
	size   uint32 // addresses in the block, reserved ones included
	// hidden subnets (the source site's) are described only when named,
	// so that an unfiltered listing shows the recovery network alone.
	hidden bool
	used   map[uint32]*eni
	// cursor is the host offset the next allocation starts from. It only
	// moves forward (wrapping), so a freed address is not handed out
	// again until every other free one has been.
	cursor uint32
}

// reserved reports whether the address at host offset off is one of the
// five AWS keeps in every subnet: network, +1 router, +2 DNS, +3 future,
// broadcast.
func (sn *subnet) reserved(off uint32) bool { return off <= 3 || off == sn.size-1 }

// full reports whether every host address of sn is in use.
func (sn *subnet) full() bool { return len(sn.used) >= int(sn.size)-5 }

func (sn *subnet) contains(ip uint32) bool { return ip >= sn.base && ip-sn.base < sn.size }

type secGroup struct {
	id, name, desc, vpcID string
	hidden                bool
}

type vpc struct {
	id, cidr string
	hidden   bool
}

// eni is a network interface with one private IPv4 address.
type eni struct {
	seq    uint64
	id     string
	subnet *subnet
	ip     uint32
	mac    string
	sgs    []string
	inst   *ec2Instance
}

// ec2Instance is an EC2 instance: a source server's own machine in the
// source VPC, or a recovery instance.
type ec2Instance struct {
	seq        uint64
	id         string
	typ        string
	subnet     *subnet
	eni        *eni
	ip         uint32
	sgs        []string
	profileARN string
	tags       map[string]string
	state      string // pending, running, stopped, shutting-down, terminated
	launched   time.Time
	readyAt    time.Time // status checks ok from here
	impaired   bool
	srv        *server
	recovery   *instance // nil for a source instance
}

// launchTemplate is an EC2 launch template and its versions.
type launchTemplate struct {
	id       string
	name     string
	srv      *server
	created  time.Time
	versions []*ltVersion // version n at index n-1
	deflt    int64
	// drsLatest is the newest version DRS itself wrote; its next version
	// derives from it, not from EC2-level edits.
	drsLatest int64
}

type ltVersion struct {
	number    int64
	desc      string
	created   time.Time
	createdBy string
	data      ltData
}

// ltData is the subset of RequestLaunchTemplateData the emulator keeps.
type ltData struct {
	instanceType string
	profileARN   string
	profileName  string
	sgIDs        []string // top-level SecurityGroupId.N
	nics         []ltNIC
	tagSpecs     []ltTagSpec
}

type ltNIC struct {
	deviceIndex *int64
	subnetID    string
	sgIDs       []string
	privateIP   string
	// Kept and shown only, so that a client can be seen to carry them
	// from one version to the next.
	deleteOnTermination *bool
	associatePublicIP   *bool
	description         string
}

type ltTagSpec struct {
	resourceType string
	tags         []tagKV
}

type tagKV struct{ key, value string }

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

func (d ltData) clone() ltData {
	out := d
	out.sgIDs = append([]string(nil), d.sgIDs...)
	out.nics = make([]ltNIC, len(d.nics))
	for i, n := range d.nics {
		n.sgIDs = append([]string(nil), n.sgIDs...)
		if n.deviceIndex != nil {
			v := *n.deviceIndex
			n.deviceIndex = &v
		}
		n.deleteOnTermination = cloneBool(n.deleteOnTermination)
		n.associatePublicIP = cloneBool(n.associatePublicIP)
		out.nics[i] = n
	}
	out.tagSpecs = make([]ltTagSpec, len(d.tagSpecs))
	for i, ts := range d.tagSpecs {
		ts.tags = append([]tagKV(nil), ts.tags...)
		out.tagSpecs[i] = ts
	}
	if len(d.nics) == 0 {
		out.nics = nil
	}
	if len(d.tagSpecs) == 0 {
		out.tagSpecs = nil
	}
	return out
}

// primaryNIC is the network interface at device index 0 (or the first one
// without an index).
func (d ltData) primaryNIC() *ltNIC {
	for i := range d.nics {
		if n := &d.nics[i]; n.deviceIndex == nil || *n.deviceIndex == 0 {
			return n
		}
	}
	return nil
}

// instanceTags are the tags of the tag specifications for instances.
func (d ltData) instanceTags() []tagKV {
	var out []tagKV
	for _, ts := range d.tagSpecs {
		if ts.resourceType == "instance" {
			out = append(out, ts.tags...)
		}
	}
	return out
}

// ec2State is the EC2 side of the account.
type ec2State struct {
	vpcs       []*vpc
	subnets    []*subnet
	subnetByID map[string]*subnet
	sgs        []*secGroup
	sgByID     map[string]*secGroup
	instances  []*ec2Instance // creation order, terminated ones kept
	instByID   map[string]*ec2Instance
	enis       []*eni // creation order, deleted ones removed lazily
	eniByID    map[string]*eni
	eniDeleted int
	templates  map[string]*launchTemplate
	// tokens are the ClientTokens of the versions created, so that a
	// retried request gets the version its first attempt made.
	tokens      map[string]tokenUse
	instSeq     uint64
	eniSeq      uint64
	statusDelay time.Duration
	ready       bool // source machines and templates built
}

// tokenUse is what a ClientToken was first used for.
type tokenUse struct {
	template string
	request  string // the request's form, encoded, without the token
	version  *ltVersion
}

func ipv4(v uint32) string {
	return strconv.Itoa(int(v>>24)) + "." + strconv.Itoa(int(v>>16&0xff)) + "." +
		strconv.Itoa(int(v>>8&0xff)) + "." + strconv.Itoa(int(v&0xff))
}

// parseIPv4 reads a dotted IPv4 address.
func parseIPv4(s string) (uint32, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

func (e *ec2State) addSubnet(id, vpcID, az, cidr string, hidden bool) {
	p := netip.MustParsePrefix(cidr)
	base, _ := parseIPv4(p.Addr().String())
	sn := &subnet{
		id: id, vpcID: vpcID, az: az, prefix: p, base: base,
		size: 1 << (32 - p.Bits()), hidden: hidden, used: map[uint32]*eni{}, cursor: 4,
	}
	e.subnets = append(e.subnets, sn)
	e.subnetByID[id] = sn
}

func (e *ec2State) addSG(id, name, desc, vpcID string, hidden bool) {
	sg := &secGroup{id: id, name: name, desc: desc, vpcID: vpcID, hidden: hidden}
	e.sgs = append(e.sgs, sg)
	e.sgByID[id] = sg
}

// initEC2 builds the fixed network; buildServers adds each server's
// template and source instance.
func (s *Sim) initEC2(statusDelay time.Duration, n int) {
	if statusDelay <= 0 {
		statusDelay = 2 * time.Minute
	}
	e := &ec2State{
		subnetByID:  map[string]*subnet{},
		sgByID:      map[string]*secGroup{},
		instByID:    make(map[string]*ec2Instance, n),
		eniByID:     make(map[string]*eni, n),
		templates:   make(map[string]*launchTemplate, n),
		instances:   make([]*ec2Instance, 0, n),
		enis:        make([]*eni, 0, n),
		statusDelay: statusDelay,
	}
	e.vpcs = []*vpc{
		{id: recoveryVPCID, cidr: recoveryVPCCIDR},
		{id: sourceVPCID, cidr: "10.10.0.0/16", hidden: true},
		{id: defaultVPCID, cidr: "172.16.0.0/12", hidden: true},
	}
	e.addSubnet("subnet-0e5a1d00000000011", recoveryVPCID, s.region+"a", "10.10.1.0/24", false)
	e.addSubnet("subnet-0e5a1d00000000012", recoveryVPCID, s.region+"b", "10.10.2.0/24", false)
	e.addSubnet("subnet-0e5a1d00000000013", recoveryVPCID, s.region+"c", "10.10.3.0/24", false)
	e.addSubnet(sourceSubnetID, sourceVPCID, s.region+"a", "10.10.0.0/16", true)
	e.addSubnet(overflowSubnetID, defaultVPCID, s.region+"a", "172.16.0.0/12", true)
	e.addSG(defaultSGID, "default", "default VPC security group", recoveryVPCID, false)
	e.addSG("sg-0e5a1d00000000022", "db", "database tier", recoveryVPCID, false)
	e.addSG("sg-0e5a1d00000000023", "app", "application tier", recoveryVPCID, false)
	e.addSG("sg-0e5a1d00000000024", "web", "web tier", recoveryVPCID, false)
	e.addSG(sourceSGID, "production", "source site servers", sourceVPCID, true)
	e.addSG(overflowSGID, "default", "default VPC security group", defaultVPCID, true)
	s.ec2s = e
}

// sourceIP lays source servers out in the source VPC so that the first
// 251 of each tier (db, app, web; others round-robin) sit at the host
// addresses of the matching recovery subnet's CIDR (10.10.1.x, 10.10.2.x,
// 10.10.3.x), which is what lets copyPrivateIp bring a recovery instance
// up at the same address; the rest continue at 10.10.4.x and beyond.
func sourceIP(tier int, k int) uint32 {
	block := uint32(tier + 3*(k/251))
	if block > 255 {
		block = 1 + (block-1)%255
	}
	return 10<<24 | 10<<16 | block<<8 | uint32(4+k%251)
}

func tierIndex(tier string, i int) int {
	switch tier {
	case "db":
		return 1
	case "app":
		return 2
	case "web":
		return 3
	}
	return 1 + i%3
}

// addSourceMachine gives srv its launch template (version 1 written by
// DRS) and its source EC2 instance.
func (s *Sim) addSourceMachine(srv *server) {
	e := s.ec2()
	lt := &launchTemplate{
		id: srv.launchTmpl, name: "drs-" + srv.inv.ID, srv: srv,
		created: srv.added,
	}
	lt.versions = []*ltVersion{{
		number: 1, desc: "DRS launch template", created: srv.added, createdBy: s.drsPrincipal(),
		data: ltData{instanceType: basicInstanceType(srv.inv.Cores, srv.inv.RAMBytes)},
	}}
	lt.deflt, lt.drsLatest = 1, 1
	e.templates[lt.id] = lt

	tags := make(map[string]string, len(srv.inv.Tags)+3)
	for k, v := range srv.inv.Tags {
		tags[k] = v
	}
	tags["Name"] = srv.inv.Hostname
	team := srv.inv.Tags["app"]
	if team == "" {
		team = "platform"
	}
	tags["Team"] = team
	tags["CostCenter"] = "cc-" + strconv.Itoa(1000+int(s.hash("costcenter", team)%9000))
	sn := e.subnetByID[sourceSubnetID]
	inst := &ec2Instance{
		id:       srv.sourceID,
		typ:      srv.inv.InstanceType,
		subnet:   sn,
		ip:       srv.srcIP,
		sgs:      []string{sourceSGID},
		tags:     tags,
		state:    "running",
		launched: srv.added,
		readyAt:  srv.added,
		srv:      srv,
	}
	s.addEC2Instance(inst)
	srv.sourceInstance = inst
}

func (s *Sim) drsPrincipal() string {
	return "arn:aws:sts::" + s.account + ":assumed-role/AWSElasticDisasterRecoveryServiceRole/drs"
}

// ec2 returns the EC2 state, building the servers' launch templates and
// source instances on first use: a DRS-only client of a large inventory
// never pays for them. Callers hold s.mu.
func (s *Sim) ec2() *ec2State {
	if e := s.ec2s; e.ready {
		return e
	}
	s.ec2s.ready = true
	for _, srv := range s.servers {
		s.addSourceMachine(srv)
	}
	return s.ec2s
}

// addEC2Instance registers inst and attaches a new network interface for
// its address. The caller checked that the address is free.
func (s *Sim) addEC2Instance(inst *ec2Instance) {
	e := s.ec2()
	e.instSeq++
	inst.seq = e.instSeq
	e.instances = append(e.instances, inst)
	e.instByID[inst.id] = inst
	e.eniSeq++
	n := &eni{
		seq: e.eniSeq, id: "eni-" + hex17(s.hash("eni", inst.id)),
		subnet: inst.subnet, ip: inst.ip, sgs: inst.sgs, inst: inst,
		mac: macAddress(s.hash("eni-mac", inst.id)),
	}
	inst.eni = n
	e.enis = append(e.enis, n)
	e.eniByID[n.id] = n
	inst.subnet.used[n.ip] = n
}

// releaseENI deletes inst's network interface, freeing its address, as
// EC2 does for an interface created with the instance.
func (s *Sim) releaseENI(inst *ec2Instance) {
	n := inst.eni
	if n == nil {
		return
	}
	e := s.ec2()
	if n.subnet.used[n.ip] == n {
		delete(n.subnet.used, n.ip)
	}
	delete(e.eniByID, n.id)
	n.inst = nil
	inst.eni = nil
	e.eniDeleted++
	if e.eniDeleted > len(e.enis)/2 {
		live := e.enis[:0]
		for _, x := range e.enis {
			if e.eniByID[x.id] == x {
				live = append(live, x)
			}
		}
		clear(e.enis[len(live):])
		e.enis = live
		e.eniDeleted = 0
	}
}

// allocate returns the next free host address of sn after its cursor,
// never one of the five reserved.
func (sn *subnet) allocate() (uint32, bool) {
	if sn.full() {
		return 0, false
	}
	for range sn.size {
		off := sn.cursor
		sn.cursor++
		if sn.cursor >= sn.size-1 {
			sn.cursor = 4
		}
		if sn.reserved(off) {
			continue
		}
		ip := sn.base + off
		if sn.used[ip] == nil {
			return ip, true
		}
	}
	return 0, false
}

// basicInstanceType is the BASIC right-sizing choice: a current
// generation family by memory per core, a size by cores.
func basicInstanceType(cores, ramBytes int64) string {
	if cores < 1 {
		cores = 1
	}
	gib := ramBytes >> 30
	family := "m6i"
	switch perCore := gib / cores; {
	case perCore <= 2:
		family = "c6i"
	case perCore > 4:
		family = "r6i"
	}
	size := "16xlarge"
	switch {
	case cores <= 2:
		size = "large"
	case cores <= 4:
		size = "xlarge"
	case cores <= 8:
		size = "2xlarge"
	case cores <= 16:
		size = "4xlarge"
	case cores <= 32:
		size = "8xlarge"
	}
	return family + "." + size
}

// writeDRSVersion is what UpdateLaunchConfiguration does to the template:
// a new version derived from the latest one DRS wrote, with the instance
// type right-sizing decides, made the default.
func (s *Sim) writeDRSVersion(srv *server, now time.Time) {
	lt := s.ec2().templates[srv.launchTmpl]
	if lt == nil {
		return
	}
	data := lt.versions[lt.drsLatest-1].data.clone()
	switch srv.lc.RightSizing {
	case "BASIC":
		data.instanceType = basicInstanceType(srv.inv.Cores, srv.inv.RAMBytes)
	case "IN_AWS":
		data.instanceType = srv.inv.InstanceType
	}
	v := lt.add(data, "DRS launch configuration update", s.drsPrincipal(), now)
	lt.drsLatest, lt.deflt = v.number, v.number
}

func (lt *launchTemplate) add(data ltData, desc, by string, now time.Time) *ltVersion {
	v := &ltVersion{number: int64(len(lt.versions)) + 1, desc: desc, created: now, createdBy: by, data: data}
	lt.versions = append(lt.versions, v)
	return v
}

func (lt *launchTemplate) defaultVersion() *ltVersion { return lt.versions[lt.deflt-1] }

// launchSpec is where a recovery instance comes up.
type launchSpec struct {
	typ        string
	subnet     *subnet
	ip         uint32
	sgs        []string
	profileARN string
	tags       map[string]string
}

// ec2LaunchError is a RunInstances failure, rendered as DRS puts it in a
// LAUNCH_FAILED rawError.
func ec2LaunchError(code, format string, args ...any) error {
	return fmt.Errorf("An error occurred (%s) when calling the RunInstances operation: %s", code, fmt.Sprintf(format, args...))
}

// resolveLaunch reads the default template version and the launch
// configuration the way DRS does when it launches srv.
func (s *Sim) resolveLaunch(srv *server, jobTags map[string]string) (launchSpec, error) {
	e := s.ec2()
	var data ltData
	if lt := e.templates[srv.launchTmpl]; lt != nil {
		data = lt.defaultVersion().data
	}
	spec := launchSpec{typ: data.instanceType}
	switch srv.lc.RightSizing {
	case "BASIC":
		spec.typ = basicInstanceType(srv.inv.Cores, srv.inv.RAMBytes)
	case "IN_AWS":
		spec.typ = srv.inv.InstanceType
	}
	if spec.typ == "" {
		spec.typ = srv.inv.InstanceType
	}
	subnetID, static := firstSubnetID, ""
	sgs := data.sgIDs
	if len(data.sgIDs) > 0 && len(data.nics) > 0 {
		// EC2 refuses a launch that names security groups both for the
		// instance and for a network interface.
		return spec, ec2LaunchError("InvalidParameterCombination",
			"Network interfaces and an instance-level security groups may not be specified on the same request")
	}
	if nic := data.primaryNIC(); nic != nil {
		if nic.subnetID != "" {
			subnetID = nic.subnetID
		}
		if len(nic.sgIDs) > 0 {
			sgs = nic.sgIDs
		}
		static = nic.privateIP
	}
	sn := e.subnetByID[subnetID]
	// A template that names no network at all launches into the first
	// subnet, and into the default VPC once that is full, so that large
	// DRS-only inventories keep launching.
	unnamed := data.primaryNIC() == nil || data.primaryNIC().subnetID == ""
	if unnamed && len(sgs) == 0 && static == "" && !srv.lc.CopyPrivateIP && sn.full() {
		sn = e.subnetByID[overflowSubnetID]
	}
	if sn == nil {
		return spec, ec2LaunchError("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnetID)
	}
	spec.subnet = sn
	if len(sgs) == 0 {
		for _, sg := range e.sgs {
			if sg.vpcID == sn.vpcID && sg.name == "default" {
				sgs = []string{sg.id}
			}
		}
	}
	for _, id := range sgs {
		sg := e.sgByID[id]
		if sg == nil {
			return spec, ec2LaunchError("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
		}
		if sg.vpcID != sn.vpcID {
			return spec, ec2LaunchError("InvalidParameter",
				"Security group %s and subnet %s belong to different networks.", id, sn.id)
		}
	}
	spec.sgs = append([]string(nil), sgs...)
	if static == "" && srv.lc.CopyPrivateIP && srv.sourceInstance != nil {
		static = ipv4(srv.sourceInstance.ip)
	}
	if static != "" {
		ip, ok := parseIPv4(static)
		if !ok {
			return spec, ec2LaunchError("InvalidParameterValue", "Invalid IPv4 address: %s", static)
		}
		if !sn.contains(ip) || sn.reserved(ip-sn.base) {
			return spec, ec2LaunchError("InvalidParameterValue",
				"Address %s does not fall within the subnet's address range", static)
		}
		if sn.used[ip] != nil {
			return spec, ec2LaunchError("InvalidIPAddress.InUse", "Address %s is in use.", static)
		}
		spec.ip = ip
	} else {
		ip, ok := sn.allocate()
		if !ok {
			return spec, ec2LaunchError("InsufficientFreeAddressesInSubnet",
				"There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.id)
		}
		spec.ip = ip
	}
	switch {
	case data.profileARN != "":
		spec.profileARN = data.profileARN
	case data.profileName != "":
		spec.profileARN = "arn:aws:iam::" + s.account + ":instance-profile/" + data.profileName
	}
	spec.tags = map[string]string{}
	for _, t := range data.instanceTags() {
		spec.tags[t.key] = t.value
	}
	if srv.lc.CopyTags {
		for k, v := range srv.tags {
			spec.tags[k] = v
		}
	}
	for k, v := range jobTags {
		spec.tags[k] = v
	}
	return spec, nil
}

// ec2State strings of a DRS recovery instance state.
func ec2StateOf(drsState string) string {
	switch drsState {
	case "RUNNING":
		return "running"
	case "STOPPED":
		return "stopped"
	case "SHUTTING-DOWN":
		return "shutting-down"
	case "TERMINATED":
		return "terminated"
	}
	return "pending"
}

var stateCodes = map[string]int{
	"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80,
}

func sortedTags(m map[string]string) []tagKV {
	out := make([]tagKV, 0, len(m))
	for k, v := range m {
		out = append(out, tagKV{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}
