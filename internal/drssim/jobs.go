package drssim

import (
	"container/heap"
	"net/http"
	"strconv"
	"time"
)

// Job statuses, types, initiators and launch statuses on the wire.
const (
	jobPending   = "PENDING"
	jobStarted   = "STARTED"
	jobCompleted = "COMPLETED"

	typeLaunch    = "LAUNCH"
	typeTerminate = "TERMINATE"

	byRecovery  = "START_RECOVERY"
	byDrill     = "START_DRILL"
	byTerminate = "TERMINATE_RECOVERY_INSTANCES"

	launchPending    = "PENDING"
	launchInProgress = "IN_PROGRESS"
	launchLaunched   = "LAUNCHED"
	launchFailed     = "FAILED"
	launchTerminated = "TERMINATED"
)

// job is a DRS job with the timeline it will follow.
type job struct {
	seq         uint64
	id          string
	arn         string
	typ         string
	initiatedBy string
	isDrill     bool
	created     time.Time
	ended       time.Time
	status      string
	servers     []*jobServer
	tags        map[string]string
	log         []logItem
	remaining   int
	distinct    []*server // each source server once, for the active counts
	stuck       bool
}

func (j *job) active() bool { return j.status != jobCompleted }

// jobServer is one participating server (or, in a terminate job, one
// recovery instance).
type jobServer struct {
	srv          *server
	snapshotID   string
	snapTime     time.Time
	launchStatus string
	instanceID   string // published recoveryInstanceID
	targetID     string // the instance ID chosen at LAUNCH_START
	conversionID string
	inst         *instance // terminate jobs
	phases       [3]time.Duration
}

type logItem struct {
	at    time.Time
	event string
	data  logData
}

type logData struct {
	SourceServerID     string `json:"sourceServerID,omitempty"`
	ConversionServerID string `json:"conversionServerID,omitempty"`
	TargetInstanceID   string `json:"targetInstanceID,omitempty"`
	RawError           string `json:"rawError,omitempty"`
}

// instance is a recovery instance.
type instance struct {
	seq          uint64
	id           string
	arn          string
	srv          *server
	jobID        string
	isDrill      bool
	pit          time.Time
	created      time.Time
	state        string
	tags         map[string]string
	disconnected bool
	busy         *job // the terminate job working on it
	ec2          *ec2Instance
}

// Steps of a job's timeline.
const (
	stepJobStart = iota
	stepSnapshotEnd
	stepConversionEnd
	stepLaunchEnd
	stepTerminateEnd
)

type event struct {
	at   time.Time
	seq  uint64
	job  *job
	i    int
	step int
}

// eventHeap orders events by time, then by scheduling order, so that
// simultaneous events apply in a fixed order.
type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

func (s *Sim) schedule(at time.Time, j *job, i, step int) {
	s.eventSeq++
	heap.Push(&s.events, &event{at: at, seq: s.eventSeq, job: j, i: i, step: step})
}

// advance applies every event due at or before now. This is the whole of
// the emulator's notion of time passing: nothing runs between requests.
func (s *Sim) advance(now time.Time) {
	for len(s.events) > 0 && !s.events[0].at.After(now) {
		e := heap.Pop(&s.events).(*event)
		s.apply(e)
	}
}

func (s *Sim) apply(e *event) {
	j, t := e.job, e.at
	switch e.step {
	case stepJobStart:
		j.status = jobStarted
		if j.typ == typeTerminate {
			s.startTerminate(j, t)
		} else {
			s.startLaunch(j, t)
		}
	case stepSnapshotEnd:
		js := j.servers[e.i]
		if js.snapshotID == "" {
			js.snapTime = t
			j.addLog(t, "SNAPSHOT_END", logData{SourceServerID: js.srv.inv.ID})
		}
		js.conversionID = s.newID("i-", "conversion", s.nextInstanceSeq(), s.instanceTaken)
		j.addLog(t, "CONVERSION_START", logData{SourceServerID: js.srv.inv.ID, ConversionServerID: js.conversionID})
		if j.stuck {
			return
		}
		s.schedule(t.Add(js.phases[1]), j, e.i, stepConversionEnd)
	case stepConversionEnd:
		js := j.servers[e.i]
		j.addLog(t, "CONVERSION_END", logData{SourceServerID: js.srv.inv.ID, ConversionServerID: js.conversionID})
		js.targetID = s.newID("i-", "instance", s.nextInstanceSeq(), s.instanceTaken)
		j.addLog(t, "LAUNCH_START", logData{SourceServerID: js.srv.inv.ID, TargetInstanceID: js.targetID})
		s.schedule(t.Add(js.phases[2]), j, e.i, stepLaunchEnd)
	case stepLaunchEnd:
		s.endLaunch(j, j.servers[e.i], t)
	case stepTerminateEnd:
		js := j.servers[e.i]
		js.launchStatus = launchTerminated
		s.removeInstance(js.inst)
		s.serverDone(j, t)
	}
}

func (j *job) addLog(t time.Time, ev string, d logData) {
	j.log = append(j.log, logItem{at: t, event: ev, data: d})
}

func (s *Sim) nextInstanceSeq() uint64 {
	s.instSeq++
	return s.instSeq
}

func (s *Sim) instanceTaken(id string) bool {
	return s.instanceByID[id] != nil || s.ec2().instByID[id] != nil
}

func (s *Sim) startLaunch(j *job, t time.Time) {
	for i, js := range j.servers {
		js.launchStatus = launchInProgress
		if ll := js.srv.lastLaunch; ll != nil && ll.jobID == j.id {
			ll.status = launchInProgress
		}
		if js.snapshotID != "" {
			j.addLog(t, "USING_PREVIOUS_SNAPSHOT", logData{SourceServerID: js.srv.inv.ID})
		} else {
			j.addLog(t, "SNAPSHOT_START", logData{SourceServerID: js.srv.inv.ID})
		}
		s.schedule(t.Add(js.phases[0]), j, i, stepSnapshotEnd)
	}
}

var launchErrors = []string{
	"An error occurred (InsufficientInstanceCapacity) when calling the RunInstances operation: " +
		"We currently do not have sufficient capacity in the Availability Zone you requested.",
	"An error occurred (InvalidSubnetID.NotFound) when calling the RunInstances operation: " +
		"The subnet ID 'subnet-0a1b2c3d4e5f60718' does not exist",
	"An error occurred (UnauthorizedOperation) when calling the RunInstances operation: " +
		"You are not authorized to perform this operation.",
	"An error occurred (InstanceLimitExceeded) when calling the RunInstances operation: " +
		"You have requested more vCPU capacity than your current vCPU limit allows.",
}

func (s *Sim) endLaunch(j *job, js *jobServer, t time.Time) {
	srv := js.srv
	srv.launchEnded = t
	raw := ""
	if s.launchFails(j.id, srv.inv.ID) {
		raw = launchErrors[s.hash("launch-error", j.id, srv.inv.ID)%uint64(len(launchErrors))]
	}
	var spec launchSpec
	if raw == "" {
		s.replaceDrills(j, srv)
		var err error
		if spec, err = s.resolveLaunch(srv, j.tags); err != nil {
			raw = err.Error()
		}
	}
	if raw != "" {
		j.addLog(t, "LAUNCH_FAILED", logData{SourceServerID: srv.inv.ID, TargetInstanceID: js.targetID, RawError: raw})
		js.launchStatus = launchFailed
		s.stats.launchFailed++
	} else {
		inst := s.createInstance(j, js, spec, t)
		js.instanceID = inst.id
		js.launchStatus = launchLaunched
		s.stats.launched++
	}
	if ll := srv.lastLaunch; ll != nil && ll.jobID == j.id {
		ll.status = js.launchStatus
		srv.lastResult = "SUCCEEDED"
		if js.launchStatus == launchFailed {
			srv.lastResult = "FAILED"
		}
	}
	s.serverDone(j, t)
}

// replaceDrills removes srv's earlier drill instances before a drill
// launches a new one, when Options.ReplaceDrillInstances asks for it.
func (s *Sim) replaceDrills(j *job, srv *server) {
	if !s.replaceDril || !j.isDrill {
		return
	}
	for _, old := range append([]*instance(nil), srv.instances...) {
		if old.isDrill && old.busy == nil {
			s.removeInstance(old)
		}
	}
}

func (s *Sim) createInstance(j *job, js *jobServer, spec launchSpec, t time.Time) *instance {
	srv := js.srv
	state := "RUNNING"
	if srv.lc.LaunchDisposition == "STOPPED" {
		state = "STOPPED"
	}
	tags := map[string]string{}
	if srv.lc.CopyTags {
		for k, v := range srv.tags {
			tags[k] = v
		}
	}
	for k, v := range j.tags {
		tags[k] = v
	}
	s.instOrder++
	inst := &instance{
		seq:     s.instOrder,
		id:      js.targetID,
		arn:     s.arn("recovery-instance", js.targetID),
		srv:     srv,
		jobID:   j.id,
		isDrill: j.isDrill,
		pit:     js.snapTime,
		created: t,
		state:   state,
		tags:    tags,
	}
	s.instances = append(s.instances, inst)
	s.instanceByID[inst.id] = inst
	srv.instances = append(srv.instances, inst)
	inst.ec2 = &ec2Instance{
		id:         inst.id,
		typ:        spec.typ,
		subnet:     spec.subnet,
		ip:         spec.ip,
		sgs:        spec.sgs,
		profileARN: spec.profileARN,
		tags:       spec.tags,
		state:      ec2StateOf(state),
		launched:   t,
		readyAt:    t.Add(s.ec2().statusDelay),
		srv:        srv,
		recovery:   inst,
	}
	s.addEC2Instance(inst.ec2)
	return inst
}

func (s *Sim) removeInstance(inst *instance) {
	delete(s.instanceByID, inst.id)
	s.instances = removeFrom(s.instances, inst)
	inst.srv.instances = removeFrom(inst.srv.instances, inst)
	inst.state = "TERMINATED"
	if e := inst.ec2; e != nil {
		e.state = "terminated"
		s.releaseENI(e)
	}
}

func removeFrom(list []*instance, inst *instance) []*instance {
	for i, x := range list {
		if x == inst {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// serverDone counts one participating server finished and completes the
// job with the last one, whatever their outcome.
func (s *Sim) serverDone(j *job, t time.Time) {
	j.remaining--
	if j.remaining > 0 {
		return
	}
	j.addLog(t, "JOB_END", logData{})
	j.status = jobCompleted
	j.ended = t
	s.stats.activeJobs--
	s.stats.serversInActiveJobs -= len(j.servers)
	for _, srv := range j.distinct {
		srv.activeJobs--
	}
	s.log.Debug("job completed", "job_id", j.id, "type", j.typ, "at", t)
}

func (s *Sim) startTerminate(j *job, t time.Time) {
	for i, js := range j.servers {
		js.launchStatus = launchInProgress
		js.inst.state = "SHUTTING-DOWN"
		if e := js.inst.ec2; e != nil {
			e.state = "shutting-down"
		}
		if j.stuck {
			continue
		}
		s.schedule(t.Add(js.phases[0]), j, i, stepTerminateEnd)
	}
}

// newJob registers a job and its first event. Quotas were checked by the
// caller.
func (s *Sim) newJob(typ, initiatedBy string, isDrill bool, servers []*jobServer, tags map[string]string, now time.Time) *job {
	s.jobSeq++
	id := s.newID("drsjob-", "job", s.jobSeq, func(id string) bool { return s.jobByID[id] != nil })
	j := &job{
		seq: s.jobSeq, id: id, arn: s.arn("job", id),
		typ: typ, initiatedBy: initiatedBy, isDrill: isDrill,
		created: now, status: jobPending, servers: servers,
		tags: tags, remaining: len(servers),
	}
	seen := map[*server]bool{}
	for _, js := range servers {
		if !seen[js.srv] {
			seen[js.srv] = true
			j.distinct = append(j.distinct, js.srv)
		}
	}
	j.stuck = s.faults.Stuck > 0 && s.unit("fault-stuck", id) < s.faults.Stuck
	slow := 1.0
	if s.faults.Slow > 0 && s.unit("fault-slow", id) < s.faults.Slow {
		slow = s.faults.slowFactor()
	}
	for _, js := range servers {
		js.phases = s.phases(j, js, slow)
	}

	s.jobs = append(s.jobs, j)
	s.jobByID[id] = j
	j.addLog(now, "JOB_START", logData{})
	pending := s.spread(15*time.Second, 0.65, "pending", id)
	if s.stable {
		pending = StablePending
	}
	s.schedule(now.Add(pending), j, -1, stepJobStart)

	st := &s.stats
	st.jobs++
	st.activeJobs++
	st.serversInActiveJobs += len(servers)
	st.maxActiveJobs = max(st.maxActiveJobs, st.activeJobs)
	st.maxServersInActiveJobs = max(st.maxServersInActiveJobs, st.serversInActiveJobs)
	st.maxServersInJob = max(st.maxServersInJob, len(servers))
	for _, srv := range j.distinct {
		srv.activeJobs++
		st.maxJobsPerServer = max(st.maxJobsPerServer, srv.activeJobs)
	}
	s.log.Debug("job created", "job_id", id, "type", typ, "servers", len(servers), "at", now)
	return j
}

// phases draws a server's snapshot, conversion and launch durations. A
// Linux server takes about 5 emulated minutes in all, a Windows server
// about 20, each ±30%; a terminate takes 1 to 5 minutes.
func (s *Sim) phases(j *job, js *jobServer, slow float64) [3]time.Duration {
	key := js.srv.inv.ID
	if js.inst != nil {
		key = js.inst.id
	}
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * slow) }
	if j.typ == typeTerminate {
		return [3]time.Duration{scale(s.spread(3*time.Minute, 0.66, "terminate", j.id, key))}
	}
	total := 5 * time.Minute
	if js.srv.inv.OS == "windows" {
		total = 20 * time.Minute
	}
	jobKey := j.id
	if s.stable {
		jobKey = "stable"
	}
	total = s.spread(total, 0.3, "total", jobKey, key)
	snap := total * 12 / 100
	if js.snapshotID != "" {
		snap = 3 * time.Second
	}
	conv := s.spread(total*55/100, 0.1, "conversion", jobKey, key)
	launch := total - total*12/100 - conv
	return [3]time.Duration{scale(snap), scale(conv), scale(launch)}
}

type startRecoverySource struct {
	SourceServerID     string `json:"sourceServerID"`
	RecoverySnapshotID string `json:"recoverySnapshotID"`
}

type startRecoveryInput struct {
	SourceServers []startRecoverySource `json:"sourceServers"`
	IsDrill       *bool                 `json:"isDrill"`
	Tags          map[string]string     `json:"tags"`
}

type jobOutput struct {
	Job wireJob `json:"job"`
}

// startRecovery checks, in order: the request's shape (ValidationException),
// that every server and snapshot exists (ResourceNotFoundException), the
// per-job quota, that no server is busy (ConflictException), the
// active-jobs quota and the servers-in-active-jobs quota.
func (s *Sim) startRecovery(req *request) (int, any, error) {
	var in startRecoveryInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	n := len(in.SourceServers)
	if n < 1 || n > s.quotas.APIMaxServersPerJob {
		return 0, nil, invalidField("sourceServers",
			"sourceServers must have between 1 and %d items, got %d", s.quotas.APIMaxServersPerJob, n)
	}
	seen := map[string]bool{}
	for i, src := range in.SourceServers {
		field := "sourceServers[" + strconv.Itoa(i) + "]"
		if !validServerID(src.SourceServerID) {
			return 0, nil, invalidField(field+".sourceServerID", "invalid source server ID %q", src.SourceServerID)
		}
		if src.RecoverySnapshotID != "" && !validSnapshotID(src.RecoverySnapshotID) {
			return 0, nil, invalidField(field+".recoverySnapshotID", "invalid recovery snapshot ID %q", src.RecoverySnapshotID)
		}
		if seen[src.SourceServerID] {
			return 0, nil, invalidField(field+".sourceServerID", "source server %s appears twice", src.SourceServerID)
		}
		seen[src.SourceServerID] = true
	}
	if err := validateTags(in.Tags, "tags"); err != nil {
		return 0, nil, err
	}

	servers := make([]*jobServer, n)
	for i, src := range in.SourceServers {
		srv := s.serverByID[src.SourceServerID]
		if srv == nil {
			return 0, nil, notFound(src.SourceServerID, resSourceServer)
		}
		js := &jobServer{srv: srv, snapshotID: src.RecoverySnapshotID, launchStatus: launchPending}
		if js.snapshotID != "" {
			snap, ok := s.findSnapshot(srv, js.snapshotID, req.now)
			if !ok {
				return 0, nil, notFound(js.snapshotID, resSnapshot)
			}
			js.snapTime = snap.taken
		}
		servers[i] = js
	}
	q := s.quotas
	if n > q.ServersPerJob {
		return 0, nil, quotaExceeded(quotaServersPerJob,
			"a job can include at most %d source servers, got %d", q.ServersPerJob, n)
	}
	for _, js := range servers {
		if js.srv.activeJobs >= q.JobsPerServer {
			return 0, nil, conflict(js.srv.inv.ID, resSourceServer,
				"source server %s is already in an active job", js.srv.inv.ID)
		}
	}
	if err := s.checkActiveQuotas(n); err != nil {
		return 0, nil, err
	}

	isDrill := in.IsDrill != nil && *in.IsDrill
	by := byRecovery
	if isDrill {
		by = byDrill
	}
	j := s.newJob(typeLaunch, by, isDrill, servers, cloneTags(in.Tags), req.now)
	for _, js := range servers {
		js.srv.launches++
		js.srv.lastLaunch = &lastLaunch{jobID: j.id, isDrill: isDrill, apiCall: req.now, status: launchPending}
		js.srv.lastResult = "PENDING"
	}
	return http.StatusAccepted, jobOutput{Job: s.wireJob(j)}, nil
}

func (s *Sim) checkActiveQuotas(n int) error {
	q, st := s.quotas, &s.stats
	if st.activeJobs >= q.ActiveJobs {
		return quotaExceeded(quotaActiveJobs,
			"at most %d jobs can be active at once; %d are", q.ActiveJobs, st.activeJobs)
	}
	if st.serversInActiveJobs+n > q.ServersInActiveJobs {
		return quotaExceeded(quotaServersInActiveJobs,
			"at most %d source servers can be in active jobs; %d are and %d more were requested",
			q.ServersInActiveJobs, st.serversInActiveJobs, n)
	}
	return nil
}

type terminateInput struct {
	RecoveryInstanceIDs []string `json:"recoveryInstanceIDs"`
}

// terminateRecoveryInstances checks the shape, that every instance exists,
// that none is in an active job (its own terminate, or a job of its source
// server), and the active-job quotas. The per-job quota of StartRecovery
// does not apply: the model allows 200 instances.
func (s *Sim) terminateRecoveryInstances(req *request) (int, any, error) {
	var in terminateInput
	if err := req.decode(&in); err != nil {
		return 0, nil, err
	}
	n := len(in.RecoveryInstanceIDs)
	if n < 1 || n > s.quotas.APIMaxServersPerJob {
		return 0, nil, invalidField("recoveryInstanceIDs",
			"recoveryInstanceIDs must have between 1 and %d items, got %d", s.quotas.APIMaxServersPerJob, n)
	}
	seen := map[string]bool{}
	for i, id := range in.RecoveryInstanceIDs {
		field := "recoveryInstanceIDs[" + strconv.Itoa(i) + "]"
		if !validInstanceID(id) {
			return 0, nil, invalidField(field, "invalid recovery instance ID %q", id)
		}
		if seen[id] {
			return 0, nil, invalidField(field, "recovery instance %s appears twice", id)
		}
		seen[id] = true
	}
	servers := make([]*jobServer, n)
	for i, id := range in.RecoveryInstanceIDs {
		inst := s.instanceByID[id]
		if inst == nil {
			return 0, nil, notFound(id, resRecoveryInstance)
		}
		servers[i] = &jobServer{srv: inst.srv, inst: inst, instanceID: id, launchStatus: launchPending}
	}
	for _, js := range servers {
		if js.inst.busy != nil {
			return 0, nil, conflict(js.inst.id, resRecoveryInstance,
				"recovery instance %s is already being terminated by %s", js.inst.id, js.inst.busy.id)
		}
		if js.srv.activeJobs >= s.quotas.JobsPerServer {
			return 0, nil, conflict(js.inst.id, resRecoveryInstance,
				"recovery instance %s: its source server %s is in an active job", js.inst.id, js.srv.inv.ID)
		}
	}
	if err := s.checkActiveQuotas(n); err != nil {
		return 0, nil, err
	}
	j := s.newJob(typeTerminate, byTerminate, false, servers, nil, req.now)
	for _, js := range servers {
		js.inst.busy = j
	}
	return http.StatusOK, jobOutput{Job: s.wireJob(j)}, nil
}

func cloneTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// maxTags is the DRS limit of tags per resource.
const maxTags = 50

func validateTags(tags map[string]string, field string) error {
	if len(tags) > maxTags {
		return invalidField(field, "at most %d tags are allowed, got %d", maxTags, len(tags))
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 256 {
			return invalidField(field, "tag key %q must be 1 to 256 characters", k)
		}
		if len(v) > 256 {
			return invalidField(field, "value of tag %q is longer than 256 characters", k)
		}
	}
	return nil
}
