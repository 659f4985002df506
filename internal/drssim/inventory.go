package drssim

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Server is one source server of the inventory, in the emulator's own
// compact JSON form (the format LoadInventory reads and GET /_sim/servers
// writes). Empty fields are filled in deterministically from the seed.
type Server struct {
	ID               string            `json:"id"`
	Hostname         string            `json:"hostname,omitempty"`
	OS               string            `json:"os,omitempty"` // "linux" or "windows"
	OSName           string            `json:"osName,omitempty"`
	InstanceType     string            `json:"instanceType,omitempty"`
	Cores            int64             `json:"cores,omitempty"`
	RAMBytes         int64             `json:"ramBytes,omitempty"`
	Disks            []Disk            `json:"disks,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	ReplicationState string            `json:"replicationState,omitempty"` // CONTINUOUS, STALLED or DISCONNECTED
}

// Disk is one disk of a source server.
type Disk struct {
	DeviceName string `json:"deviceName"`
	Bytes      int64  `json:"bytes"`
}

// LoadInventory reads servers from JSON: either an array of Server or an
// object {"servers": [...]}.
func LoadInventory(r io.Reader) ([]Server, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	var list []Server
	if trimmed := strings.TrimSpace(string(data)); strings.HasPrefix(trimmed, "{") {
		var wrapped struct {
			Servers []Server `json:"servers"`
		}
		err = json.Unmarshal(data, &wrapped)
		list = wrapped.Servers
	} else {
		err = json.Unmarshal(data, &list)
	}
	if err != nil {
		return nil, fmt.Errorf("decode inventory: %w", err)
	}
	seen := map[string]bool{}
	for i, srv := range list {
		if srv.ID != "" && !validServerID(srv.ID) {
			return nil, fmt.Errorf("inventory server %d: id %q does not match s-[0-9a-zA-Z]{17}", i, srv.ID)
		}
		if srv.ID != "" && seen[srv.ID] {
			return nil, fmt.Errorf("inventory server %d: duplicate id %q", i, srv.ID)
		}
		seen[srv.ID] = true
		switch srv.OS {
		case "", "linux", "windows":
		default:
			return nil, fmt.Errorf("inventory server %d: os %q is neither linux nor windows", i, srv.OS)
		}
		switch srv.ReplicationState {
		case "", stateContinuous, stateStalled, stateDisconnected:
		default:
			return nil, fmt.Errorf("inventory server %d: unsupported replication state %q", i, srv.ReplicationState)
		}
	}
	return list, nil
}

// Replication states the inventory uses.
const (
	stateContinuous   = "CONTINUOUS"
	stateStalled      = "STALLED"
	stateDisconnected = "DISCONNECTED"
)

// server is the emulator's state of one source server.
type server struct {
	idx  int
	inv  Server
	arn  string
	tags map[string]string

	// since is when a STALLED or DISCONNECTED server stopped replicating;
	// snapshots and lastSeen stop there.
	since     time.Time
	added     time.Time
	firstByte time.Time
	// snapOffset shifts this server's 10-minute snapshot grid; snapTag is
	// the fixed prefix of its snapshot IDs.
	snapOffset time.Duration
	snapTag    string
	vmUUID     string
	mac        string
	ip         string
	launchTmpl string
	// sourceInstance is the server's own EC2 machine at the source site,
	// made with the rest of the EC2 state on first use; sourceID and
	// srcIP are known from the start.
	sourceInstance *ec2Instance
	sourceID       string
	srcIP          uint32

	lc launchConfig

	activeJobs int
	launches   int
	lastLaunch *lastLaunch
	lastResult string
	instances  []*instance // live recovery instances, oldest first
	// launchEnded is when the latest launch of the server ended.
	launchEnded time.Time
}

type lastLaunch struct {
	jobID   string
	isDrill bool
	apiCall time.Time
	status  string
}

type launchConfig struct {
	Name               string `json:"name"`
	LaunchDisposition  string `json:"launchDisposition"`
	RightSizing        string `json:"targetInstanceTypeRightSizingMethod"`
	CopyPrivateIP      bool   `json:"copyPrivateIp"`
	CopyTags           bool   `json:"copyTags"`
	OSByol             bool   `json:"osByol"`
	PostLaunchEnabled  bool   `json:"postLaunchEnabled"`
	LaunchIntoInstance string `json:"launchIntoInstance"`
}

var applications = []string{
	"shop", "crm", "billing", "payroll", "erp", "inventory", "hr", "analytics",
	"mail", "wiki", "search", "ledger", "portal", "tickets", "auth", "reports",
}

// tierShape is how many servers of each tier one application has, in the
// order they are generated.
var tierShape = []string{"db", "db", "app", "app", "app", "web", "web", "web"}

var linuxNames = []string{
	"Ubuntu 22.04.4 LTS (Linux 5.15.0-1051-aws x86_64)",
	"Red Hat Enterprise Linux 8.9 (Ootpa) (Linux 4.18.0-513.el8.x86_64)",
	"Amazon Linux 2023 (Linux 6.1.72-96.166.amzn2023.x86_64)",
	"Rocky Linux 9.3 (Blue Onyx) (Linux 5.14.0-362.8.1.el9_3.x86_64)",
	"SUSE Linux Enterprise Server 15 SP5 (Linux 5.14.21-150500.55.39-default)",
}

var windowsNames = []string{
	"Microsoft Windows Server 2019 Datacenter 10.0.17763 Build 17763",
	"Microsoft Windows Server 2022 Standard 10.0.20348 Build 20348",
}

var tierTypes = map[string]struct {
	instanceType string
	cores        int64
	ramGiB       int64
	dataGiB      int64
}{
	"db":  {"r6i.xlarge", 4, 32, 500},
	"app": {"m6i.large", 2, 8, 100},
	"web": {"t3.medium", 2, 4, 0},
}

// generateInventory makes n servers grouped into applications of eight
// (two db, three app, three web); application names repeat with a numeric
// suffix once the list runs out.
func (s *Sim) generateInventory(n int) []Server {
	list := make([]Server, n)
	for i := range list {
		appN, pos := i/len(tierShape), i%len(tierShape)
		app := applications[appN%len(applications)]
		if k := appN / len(applications); k > 0 {
			app += strconv.Itoa(k + 1)
		}
		tier := tierShape[pos]
		seq := 0
		for j := 0; j <= pos; j++ {
			if tierShape[j] == tier {
				seq++
			}
		}
		list[i] = Server{
			Hostname: fmt.Sprintf("%s-%s-%02d", app, tier, seq),
			Tags: map[string]string{
				"app": app, "tier": tier, "env": "prod",
				"owner": "team-" + app,
			},
		}
		// Windows is rare, and more likely on application servers.
		p := 0.08
		if tier == "app" {
			p = 0.3
		}
		if s.unit("windows", strconv.Itoa(i)) < p {
			list[i].OS = "windows"
		}
	}
	return list
}

// buildServers normalizes the inventory into server state. States given in
// the inventory win; otherwise stalled and disconnected servers are chosen
// from the seed.
func (s *Sim) buildServers(list []Server, stalled, disconnected int) {
	taken := map[string]bool{}
	for _, srv := range list {
		if srv.ID != "" {
			taken[srv.ID] = true
		}
	}
	explicit := false
	for _, srv := range list {
		if srv.ReplicationState != "" {
			explicit = true
		}
	}
	tierCount := map[int]int{}
	s.servers = make([]*server, len(list))
	s.serverByID = make(map[string]*server, len(list))
	for i, inv := range list {
		key := strconv.Itoa(i)
		if inv.ID == "" {
			inv.ID = s.newID("s-", "server", uint64(i), func(id string) bool { return taken[id] })
			taken[inv.ID] = true
		}
		if inv.OS == "" {
			inv.OS = "linux"
		}
		if inv.Hostname == "" {
			inv.Hostname = "host-" + inv.ID[len(inv.ID)-6:]
		}
		tier := tierTypes[inv.Tags["tier"]]
		if tier.instanceType == "" {
			tier = tierTypes["app"]
		}
		if inv.OSName == "" {
			names := linuxNames
			if inv.OS == "windows" {
				names = windowsNames
			}
			inv.OSName = names[s.hash("osname", key)%uint64(len(names))]
		}
		if inv.InstanceType == "" {
			inv.InstanceType = tier.instanceType
		}
		if inv.Cores == 0 {
			inv.Cores = tier.cores
		}
		if inv.RAMBytes == 0 {
			inv.RAMBytes = tier.ramGiB << 30
		}
		if len(inv.Disks) == 0 {
			root := "/dev/sda"
			if inv.OS == "windows" {
				root = "Disk 0"
			}
			inv.Disks = []Disk{{DeviceName: root, Bytes: 50 << 30}}
			if tier.dataGiB > 0 {
				data := "/dev/sdb"
				if inv.OS == "windows" {
					data = "Disk 1"
				}
				inv.Disks = append(inv.Disks, Disk{DeviceName: data, Bytes: tier.dataGiB << 30})
			}
		}
		tags := make(map[string]string, len(inv.Tags)+1)
		for k, v := range inv.Tags {
			tags[k] = v
		}
		if _, ok := tags["Name"]; !ok {
			tags["Name"] = inv.Hostname
		}
		h := s.hash("server-detail", inv.ID)
		srv := &server{
			idx:        i,
			arn:        s.arn("source-server", inv.ID),
			tags:       tags,
			added:      s.simStart.Add(-time.Duration(30+h%400) * 24 * time.Hour),
			snapOffset: time.Duration(h%600) * time.Second,
			snapTag:    hex17(h)[:8],
			vmUUID:     uuid(s.hash("vmuuid", inv.ID), s.hash("vmuuid2", inv.ID)),
			mac:        macAddress(s.hash("mac", inv.ID)),
			launchTmpl: "lt-" + hex17(s.hash("lt", inv.ID)),
			lastResult: "NOT_STARTED",
		}
		srv.firstByte = srv.added.Add(time.Duration(5+h%50) * time.Minute)
		srv.inv = inv
		srv.lc = launchConfig{
			Name:              inv.Hostname,
			LaunchDisposition: "STARTED",
			RightSizing:       "BASIC",
			CopyTags:          true,
		}
		t := tierIndex(inv.Tags["tier"], i)
		ip := sourceIP(t, tierCount[t])
		tierCount[t]++
		srv.ip, srv.srcIP = ipv4(ip), ip
		srv.sourceID = s.newID("i-", "source-instance", uint64(i), nil)
		s.servers[i] = srv
		s.serverByID[inv.ID] = srv
	}

	if !explicit {
		s.pickDegraded(stalled, disconnected)
	}
	for _, srv := range s.servers {
		switch srv.inv.ReplicationState {
		case "":
			srv.inv.ReplicationState = stateContinuous
		case stateStalled:
			srv.since = s.simStart.Add(-s.spread(3*time.Hour, 0.6, "stalled", srv.inv.ID))
		case stateDisconnected:
			srv.since = s.simStart.Add(-s.spread(4*24*time.Hour, 0.6, "disconnected", srv.inv.ID))
		}
	}
}

// pickDegraded marks the servers with the smallest hashes as stalled, then
// the next ones as disconnected: a stable choice that does not depend on
// the inventory's order.
func (s *Sim) pickDegraded(stalled, disconnected int) {
	if stalled+disconnected <= 0 {
		return
	}
	order := make([]*server, len(s.servers))
	copy(order, s.servers)
	key := func(srv *server) uint64 { return s.hash("degraded", srv.inv.ID) }
	sortBy(order, func(a, b *server) bool { return key(a) < key(b) })
	for i, srv := range order {
		switch {
		case i < stalled:
			srv.inv.ReplicationState = stateStalled
		case i < stalled+disconnected:
			srv.inv.ReplicationState = stateDisconnected
		}
	}
}

func macAddress(h uint64) string {
	// 02: a locally administered unicast address.
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x",
		byte(h>>32), byte(h>>24), byte(h>>16), byte(h>>8), byte(h))
}

// lag is the server's replication lag at now: a few seconds that wander
// minute by minute for a replicating server, the time since it stalled for
// a stalled one.
func (s *Sim) lag(srv *server, now time.Time) (time.Duration, bool) {
	switch srv.inv.ReplicationState {
	case stateStalled:
		return now.Sub(srv.since), true
	case stateDisconnected:
		return 0, false
	}
	minute := strconv.FormatInt(now.Unix()/60, 10)
	return time.Duration(1+s.hash("lag", srv.inv.ID, minute)%30) * time.Second, true
}

// replicatingUntil is the last moment the server replicated.
func (srv *server) replicatingUntil(now time.Time) time.Time {
	if srv.inv.ReplicationState == stateContinuous {
		return now
	}
	return srv.since
}
