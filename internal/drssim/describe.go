package drssim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// page holds the pagination members common to the Describe* inputs.
type page struct {
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

// limit is maxResults clamped to [1, MaxPageSize], or PageSize when absent.
func (s *Sim) limit(p page) (int, error) {
	if p.MaxResults == nil {
		return s.pageSize, nil
	}
	if *p.MaxResults < 1 {
		return 0, invalidField("maxResults", "maxResults must be at least 1, got %d", *p.MaxResults)
	}
	return min(*p.MaxResults, s.maxPage), nil
}

// cursor decodes nextToken; has is false when there is none.
func cursor(op string, p page) (c int64, has bool, err error) {
	if p.NextToken == nil || *p.NextToken == "" {
		return 0, false, nil
	}
	c, ok := decodeToken(op, *p.NextToken)
	if !ok {
		return 0, false, validationError(reasonOther, "nextToken", "invalid nextToken")
	}
	return c, true, nil
}

type listOutput[T any] struct {
	Items     []T    `json:"items"`
	NextToken string `json:"nextToken,omitempty"`
}

type describeJobsInput struct {
	Filters *struct {
		JobIDs   []string `json:"jobIDs"`
		FromDate string   `json:"fromDate"`
		ToDate   string   `json:"toDate"`
	} `json:"filters"`
	page
}

// describeJobs lists jobs newest first. fromDate and toDate bound
// creationDateTime inclusively. The page token is the sequence number of
// the next job, so jobs created between pages neither repeat nor shift.
func (s *Sim) describeJobs(req *request) (int, any, error) {
	var in describeJobsInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	limit, err := s.limit(in.page)
	if err != nil {
		return 0, nil, err
	}
	next, hasNext, err := cursor("DescribeJobs", in.page)
	if err != nil {
		return 0, nil, err
	}
	from, to := time.Time{}, time.Time{}
	var ids []string
	if f := in.Filters; f != nil {
		if len(f.JobIDs) > 1000 {
			return 0, nil, invalidField("filters.jobIDs", "at most 1000 job IDs, got %d", len(f.JobIDs))
		}
		for _, id := range f.JobIDs {
			if !validJobID(id) {
				return 0, nil, invalidField("filters.jobIDs", "invalid job ID %q", id)
			}
		}
		ids = f.JobIDs
		if from, err = filterTime("filters.fromDate", f.FromDate); err != nil {
			return 0, nil, err
		}
		if to, err = filterTime("filters.toDate", f.ToDate); err != nil {
			return 0, nil, err
		}
	}
	inRange := func(j *job) bool {
		return (from.IsZero() || !j.created.Before(from)) && (to.IsZero() || !j.created.After(to))
	}
	if !hasNext {
		next = int64(len(s.jobs))
	}

	var found []*job
	if len(ids) > 0 {
		seen := map[*job]bool{}
		for _, id := range ids {
			if j := s.jobByID[id]; j != nil && !seen[j] && int64(j.seq) <= next && inRange(j) {
				seen[j] = true
				found = append(found, j)
			}
		}
		sort.Slice(found, func(a, b int) bool { return found[a].seq > found[b].seq })
	} else {
		// s.jobs is ordered by creation time and seq == index+1, so the
		// date range is a slice of it.
		lo := 0
		if !from.IsZero() {
			lo = sort.Search(len(s.jobs), func(i int) bool { return !s.jobs[i].created.Before(from) })
		}
		hi := len(s.jobs)
		if !to.IsZero() {
			hi = sort.Search(len(s.jobs), func(i int) bool { return s.jobs[i].created.After(to) })
		}
		hi = min(hi, int(next))
		for i := hi - 1; i >= lo && len(found) <= limit; i-- {
			found = append(found, s.jobs[i])
		}
	}
	out := listOutput[wireJob]{Items: []wireJob{}}
	for i, j := range found {
		if i == limit {
			out.NextToken = encodeToken("DescribeJobs", int64(j.seq))
			break
		}
		out.Items = append(out.Items, s.wireJob(j))
	}
	return http.StatusOK, out, nil
}

func filterTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, invalidField(field, "%v", err)
	}
	return t, nil
}

type describeJobLogInput struct {
	JobID string `json:"jobID"`
	page
}

func (s *Sim) describeJobLogItems(req *request) (int, any, error) {
	var in describeJobLogInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	if !validJobID(in.JobID) {
		return 0, nil, invalidField("jobID", "invalid job ID %q", in.JobID)
	}
	limit, err := s.limit(in.page)
	if err != nil {
		return 0, nil, err
	}
	start, _, err := cursor("DescribeJobLogItems", in.page)
	if err != nil {
		return 0, nil, err
	}
	j := s.jobByID[in.JobID]
	if j == nil {
		return 0, nil, notFound(in.JobID, resJob)
	}
	out := listOutput[wireJobLog]{Items: []wireJobLog{}}
	end := min(int(start)+limit, len(j.log))
	for i := int(start); i < end; i++ {
		out.Items = append(out.Items, wireLog(j.log[i]))
	}
	if end < len(j.log) {
		out.NextToken = encodeToken("DescribeJobLogItems", int64(end))
	}
	return http.StatusOK, out, nil
}

type describeSourceServersInput struct {
	Filters *struct {
		SourceServerIDs   []string `json:"sourceServerIDs"`
		HardwareID        string   `json:"hardwareId"`
		StagingAccountIDs []string `json:"stagingAccountIDs"`
	} `json:"filters"`
	page
}

// describeSourceServers lists servers in inventory order. hardwareId
// matches a server's VMware UUID or MAC address; stagingAccountIDs matches
// every server when it names the emulator's account, none otherwise.
func (s *Sim) describeSourceServers(req *request) (int, any, error) {
	var in describeSourceServersInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	limit, err := s.limit(in.page)
	if err != nil {
		return 0, nil, err
	}
	start, _, err := cursor("DescribeSourceServers", in.page)
	if err != nil {
		return 0, nil, err
	}
	list := s.servers
	if f := in.Filters; f != nil {
		if len(f.SourceServerIDs) > 200 {
			return 0, nil, invalidField("filters.sourceServerIDs", "at most 200 source server IDs, got %d", len(f.SourceServerIDs))
		}
		if len(f.StagingAccountIDs) > 200 {
			return 0, nil, invalidField("filters.stagingAccountIDs", "at most 200 account IDs, got %d", len(f.StagingAccountIDs))
		}
		if len(f.HardwareID) > 256 {
			return 0, nil, invalidField("filters.hardwareId", "hardwareId is longer than 256 characters")
		}
		for _, id := range f.SourceServerIDs {
			if !validServerID(id) {
				return 0, nil, invalidField("filters.sourceServerIDs", "invalid source server ID %q", id)
			}
		}
		if len(f.SourceServerIDs) > 0 {
			list = s.serversByIDs(f.SourceServerIDs)
		}
		if f.HardwareID != "" {
			var match []*server
			for _, srv := range list {
				if strings.EqualFold(f.HardwareID, srv.vmUUID) || strings.EqualFold(f.HardwareID, srv.mac) {
					match = append(match, srv)
				}
			}
			list = match
		}
		if len(f.StagingAccountIDs) > 0 && !slices.Contains(f.StagingAccountIDs, s.account) {
			list = nil
		}
	}
	// The cursor is the inventory index of the next server.
	i := sort.Search(len(list), func(i int) bool { return int64(list[i].idx) >= start })
	out := listOutput[wireSourceServer]{Items: []wireSourceServer{}}
	for ; i < len(list); i++ {
		if len(out.Items) == limit {
			out.NextToken = encodeToken("DescribeSourceServers", int64(list[i].idx))
			break
		}
		out.Items = append(out.Items, s.wireSourceServer(list[i], req.now))
	}
	return http.StatusOK, out, nil
}

// serversByIDs returns the known servers among ids, once each, in
// inventory order.
func (s *Sim) serversByIDs(ids []string) []*server {
	seen := map[*server]bool{}
	var list []*server
	for _, id := range ids {
		if srv := s.serverByID[id]; srv != nil && !seen[srv] {
			seen[srv] = true
			list = append(list, srv)
		}
	}
	sort.Slice(list, func(a, b int) bool { return list[a].idx < list[b].idx })
	return list
}

type describeInstancesInput struct {
	Filters *struct {
		RecoveryInstanceIDs []string `json:"recoveryInstanceIDs"`
		SourceServerIDs     []string `json:"sourceServerIDs"`
	} `json:"filters"`
	page
}

// describeRecoveryInstances lists live instances oldest first. Both filters
// given means instances matching both.
func (s *Sim) describeRecoveryInstances(req *request) (int, any, error) {
	var in describeInstancesInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	limit, err := s.limit(in.page)
	if err != nil {
		return 0, nil, err
	}
	start, _, err := cursor("DescribeRecoveryInstances", in.page)
	if err != nil {
		return 0, nil, err
	}
	list := s.instances
	if f := in.Filters; f != nil {
		if len(f.RecoveryInstanceIDs) > 200 {
			return 0, nil, invalidField("filters.recoveryInstanceIDs", "at most 200 recovery instance IDs, got %d", len(f.RecoveryInstanceIDs))
		}
		for _, id := range f.RecoveryInstanceIDs {
			if !validInstanceID(id) {
				return 0, nil, invalidField("filters.recoveryInstanceIDs", "invalid recovery instance ID %q", id)
			}
		}
		for _, id := range f.SourceServerIDs {
			if !validServerID(id) {
				return 0, nil, invalidField("filters.sourceServerIDs", "invalid source server ID %q", id)
			}
		}
		if len(f.RecoveryInstanceIDs) > 0 || len(f.SourceServerIDs) > 0 {
			list = s.filterInstances(f.RecoveryInstanceIDs, f.SourceServerIDs)
		}
	}
	i := sort.Search(len(list), func(i int) bool { return int64(list[i].seq) >= start })
	out := listOutput[wireRecoveryInstance]{Items: []wireRecoveryInstance{}}
	for ; i < len(list); i++ {
		if len(out.Items) == limit {
			out.NextToken = encodeToken("DescribeRecoveryInstances", int64(list[i].seq))
			break
		}
		out.Items = append(out.Items, s.wireInstance(list[i]))
	}
	return http.StatusOK, out, nil
}

func (s *Sim) filterInstances(ids, serverIDs []string) []*instance {
	set := map[*instance]bool{}
	var list []*instance
	if len(serverIDs) > 0 {
		for _, srv := range s.serversByIDs(serverIDs) {
			for _, inst := range srv.instances {
				set[inst] = true
			}
		}
	}
	if len(ids) > 0 {
		want := map[*instance]bool{}
		for _, id := range ids {
			if inst := s.instanceByID[id]; inst != nil && (len(serverIDs) == 0 || set[inst]) {
				want[inst] = true
			}
		}
		set = want
	}
	for inst := range set {
		list = append(list, inst)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].seq < list[b].seq })
	return list
}

// Snapshots: every server has one every snapshotInterval on a grid
// shifted by its snapOffset, from its first byte until it stopped
// replicating (now for a CONTINUOUS server), and the newest
// snapshotsKept of them are retained. They are computed, never stored.
const (
	snapshotInterval = 10 * time.Minute
	snapshotsKept    = 144
)

type snapshot struct {
	k        int64
	expected time.Time
	taken    time.Time
}

func (s *Sim) snapshotAt(srv *server, k int64) snapshot {
	exp := time.Unix(0, 0).UTC().Add(time.Duration(k)*snapshotInterval + srv.snapOffset)
	delay := time.Duration(2+s.hash("snapshot-delay", srv.inv.ID, strconv.FormatInt(k, 10))%20) * time.Second
	return snapshot{k: k, expected: exp, taken: exp.Add(delay)}
}

// snapshotRange returns the grid indexes of the oldest and newest retained
// snapshots; lo > hi when there are none.
func (s *Sim) snapshotRange(srv *server, now time.Time) (lo, hi int64) {
	limit := srv.replicatingUntil(now)
	base := time.Unix(0, 0).UTC().Add(srv.snapOffset)
	hi = int64(limit.Sub(base) / snapshotInterval)
	for hi >= 0 && s.snapshotAt(srv, hi).taken.After(limit) {
		hi--
	}
	first := int64((srv.firstByte.Sub(base) + snapshotInterval - 1) / snapshotInterval)
	lo = max(hi-snapshotsKept+1, first)
	return lo, hi
}

func snapshotID(srv *server, k int64) string {
	return fmt.Sprintf("pit-%s%09x", srv.snapTag, k)
}

func (s *Sim) findSnapshot(srv *server, id string, now time.Time) (snapshot, bool) {
	rest, ok := strings.CutPrefix(id, "pit-"+srv.snapTag)
	if !ok {
		return snapshot{}, false
	}
	k, err := strconv.ParseInt(rest, 16, 64)
	if err != nil {
		return snapshot{}, false
	}
	lo, hi := s.snapshotRange(srv, now)
	if k < lo || k > hi {
		return snapshot{}, false
	}
	return s.snapshotAt(srv, k), true
}

func (s *Sim) wireSnapshot(srv *server, snap snapshot) wireSnapshot {
	w := wireSnapshot{
		SnapshotID:        snapshotID(srv, snap.k),
		SourceServerID:    srv.inv.ID,
		ExpectedTimestamp: formatTime(snap.expected),
		Timestamp:         formatTime(snap.taken),
	}
	for i := range srv.inv.Disks {
		key := strconv.FormatInt(snap.k, 10) + "/" + strconv.Itoa(i)
		w.EBSSnapshots = append(w.EBSSnapshots, "snap-"+hex17(s.hash("ebs-snapshot", srv.inv.ID, key)))
	}
	return w
}

type describeSnapshotsInput struct {
	SourceServerID string `json:"sourceServerID"`
	Filters        *struct {
		FromDateTime string `json:"fromDateTime"`
		ToDateTime   string `json:"toDateTime"`
	} `json:"filters"`
	Order string `json:"order"`
	page
}

// describeRecoverySnapshots lists a server's snapshots, oldest first unless
// order is DESC; the date filters bound timestamp inclusively.
func (s *Sim) describeRecoverySnapshots(req *request) (int, any, error) {
	var in describeSnapshotsInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	if !validServerID(in.SourceServerID) {
		return 0, nil, invalidField("sourceServerID", "invalid source server ID %q", in.SourceServerID)
	}
	if in.Order != "" && in.Order != "ASC" && in.Order != "DESC" {
		return 0, nil, invalidField("order", "order must be ASC or DESC, got %q", in.Order)
	}
	limit, err := s.limit(in.page)
	if err != nil {
		return 0, nil, err
	}
	next, hasNext, err := cursor("DescribeRecoverySnapshots", in.page)
	if err != nil {
		return 0, nil, err
	}
	var from, to time.Time
	if f := in.Filters; f != nil {
		if from, err = filterTime("filters.fromDateTime", f.FromDateTime); err != nil {
			return 0, nil, err
		}
		if to, err = filterTime("filters.toDateTime", f.ToDateTime); err != nil {
			return 0, nil, err
		}
	}
	srv := s.serverByID[in.SourceServerID]
	if srv == nil {
		return 0, nil, notFound(in.SourceServerID, resSourceServer)
	}
	lo, hi := s.snapshotRange(srv, req.now)
	for lo <= hi && !from.IsZero() && s.snapshotAt(srv, lo).taken.Before(from) {
		// Jump close to the bound, then step onto it.
		skip := int64(from.Sub(s.snapshotAt(srv, lo).taken)/snapshotInterval) - 1
		lo += max(skip, 1)
	}
	for lo <= hi && !to.IsZero() && s.snapshotAt(srv, hi).taken.After(to) {
		skip := int64(s.snapshotAt(srv, hi).taken.Sub(to)/snapshotInterval) - 1
		hi -= max(skip, 1)
	}
	desc := in.Order == "DESC"
	k, step := lo, int64(1)
	if desc {
		k, step = hi, -1
	}
	if hasNext && desc {
		k = min(next, hi)
	} else if hasNext {
		k = max(next, lo)
	}
	out := listOutput[wireSnapshot]{Items: []wireSnapshot{}}
	for ; k >= lo && k <= hi; k += step {
		if len(out.Items) == limit {
			out.NextToken = encodeToken("DescribeRecoverySnapshots", k)
			break
		}
		out.Items = append(out.Items, s.wireSnapshot(srv, s.snapshotAt(srv, k)))
	}
	return http.StatusOK, out, nil
}
