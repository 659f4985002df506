package drssim

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Sim. The zero value is a valid configuration: no
// servers, seed 0, account 123456789012 in us-east-1, real time.
type Options struct {
	// Servers is how many source servers to generate when Inventory is
	// empty.
	Servers int
	// Seed drives every generated value and every fault decision.
	Seed int64
	// Account and Region appear in ARNs; defaults 123456789012, us-east-1.
	Account string
	Region  string
	// TimeScale is how many emulated seconds pass per second of Clock;
	// default 1.
	TimeScale float64
	// Clock is the real clock the emulated clock is derived from; default
	// time.Now. Inside a testing/synctest bubble time.Now is the bubble's.
	Clock func() time.Time
	// Quotas override the DRS quotas; zero fields take the defaults.
	Quotas Quotas
	// Faults are the initial faults; see ParseFaults.
	Faults Faults
	// Inventory, when not empty, replaces the generated servers.
	Inventory []Server
	// StalledCount and DisconnectedCount servers (chosen from the seed)
	// are not CONTINUOUS, unless the inventory sets states itself.
	StalledCount      int
	DisconnectedCount int
	// Uninitialized starts the account uninitialized: everything except
	// InitializeService and the tagging operations answers
	// UninitializedAccountException until InitializeService is called.
	Uninitialized bool
	// PageSize is the page length of Describe* when maxResults is absent
	// (default 100); MaxPageSize clamps maxResults (default 1000).
	PageSize    int
	MaxPageSize int
	// ReplaceDrillInstances makes a drill launch remove the server's
	// earlier drill instances when it launches a new one. Off by default:
	// instances stay until TerminateRecoveryInstances.
	ReplaceDrillInstances bool
	// Logger receives job lifecycle events at debug level; default: none.
	Logger *slog.Logger
	// StableDurations draws each server's launch phases from the seed and
	// the server alone, not from its job, and keeps every job PENDING for
	// exactly StablePending, so that any client of the same inventory meets
	// the same durations and PlannedLaunch can tell them in advance.
	// Benchmarks compare orchestrators with it; off by default.
	StableDurations bool
	// StatusCheckDelay is how long, in emulated time, a recovery
	// instance's EC2 status checks stay initializing after it was created
	// (default 2m).
	StatusCheckDelay time.Duration
}

// Quotas are the DRS service quotas the emulator enforces. Only active
// jobs (PENDING or STARTED) count.
type Quotas struct {
	// ServersPerJob caps one StartRecovery (L-B827C881, default 100).
	ServersPerJob int `json:"serversPerJob"`
	// APIMaxServersPerJob is the model's list cap of StartRecovery and
	// TerminateRecoveryInstances (default 200).
	APIMaxServersPerJob int `json:"apiMaxServersPerJob"`
	// ActiveJobs caps jobs active at once (L-D88FAC3A, default 20).
	ActiveJobs int `json:"activeJobs"`
	// ServersInActiveJobs caps servers across active jobs (L-05AFA8C6,
	// default 500).
	ServersInActiveJobs int `json:"serversInActiveJobs"`
	// JobsPerServer caps the active jobs one server is in (L-DD6D028C,
	// default 1); exceeding it is a ConflictException.
	JobsPerServer int `json:"jobsPerServer"`
}

func (q Quotas) withDefaults() Quotas {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&q.ServersPerJob, 100)
	def(&q.APIMaxServersPerJob, 200)
	def(&q.ActiveJobs, 20)
	def(&q.ServersInActiveJobs, 500)
	def(&q.JobsPerServer, 1)
	return q
}

// Sim is an in-memory DRS account in one region that speaks the DRS
// REST-JSON protocol. It is safe for concurrent use.
type Sim struct {
	mu sync.Mutex

	seed        int64
	account     string
	region      string
	clock       func() time.Time
	scale       float64
	quotas      Quotas
	pageSize    int
	maxPage     int
	replaceDril bool
	stable      bool
	log         *slog.Logger

	realStart time.Time
	simStart  time.Time
	offset    time.Duration
	last      time.Time // the latest emulated time handed out

	faults      Faults
	initialized bool

	servers      []*server
	serverByID   map[string]*server
	jobs         []*job // creation order, which is also time order
	jobByID      map[string]*job
	instances    []*instance // live, creation order
	instanceByID map[string]*instance

	events    eventHeap
	eventSeq  uint64
	jobSeq    uint64
	instSeq   uint64
	instOrder uint64
	reqSeq    uint64

	stats counters

	ec2s *ec2State
}

// New returns an emulator with its inventory built and its clock started.
func New(opts Options) *Sim {
	s := &Sim{
		seed:         opts.Seed,
		account:      opts.Account,
		region:       opts.Region,
		clock:        opts.Clock,
		scale:        opts.TimeScale,
		quotas:       opts.Quotas.withDefaults(),
		pageSize:     opts.PageSize,
		maxPage:      opts.MaxPageSize,
		replaceDril:  opts.ReplaceDrillInstances,
		stable:       opts.StableDurations,
		log:          opts.Logger,
		faults:       opts.Faults.clone(),
		initialized:  !opts.Uninitialized,
		jobByID:      map[string]*job{},
		instanceByID: map[string]*instance{},
		stats:        newCounters(),
	}
	if s.account == "" {
		s.account = "123456789012"
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.scale <= 0 {
		s.scale = 1
	}
	if s.pageSize <= 0 {
		s.pageSize = 100
	}
	if s.maxPage <= 0 {
		s.maxPage = 1000
	}
	if s.maxPage < s.pageSize {
		s.maxPage = s.pageSize
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.realStart = s.clock()
	s.simStart = s.realStart.UTC().Truncate(time.Microsecond)
	s.last = s.simStart

	inv := opts.Inventory
	if len(inv) == 0 {
		inv = s.generateInventory(opts.Servers)
	}
	s.initEC2(opts.StatusCheckDelay, len(inv))
	s.buildServers(inv, opts.StalledCount, opts.DisconnectedCount)
	return s
}

func (s *Sim) arn(kind, id string) string {
	return "arn:aws:drs:" + s.region + ":" + s.account + ":" + kind + "/" + id
}

// now is the current emulated time, never earlier than one handed out
// before. Callers hold s.mu.
func (s *Sim) now() time.Time {
	elapsed := s.clock().Sub(s.realStart)
	t := s.simStart.Add(time.Duration(float64(elapsed)*s.scale) + s.offset)
	if t.Before(s.last) {
		t = s.last
	}
	s.last = t
	return t
}

// Now returns the emulated time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// Advance moves the emulated clock forward by d, on top of whatever the
// real clock does, and brings every job up to the new time.
func (s *Sim) Advance(d time.Duration) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.offset += d
	}
	now := s.now()
	s.advance(now)
	return now
}

// SetFaults replaces the injected faults.
func (s *Sim) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f.clone()
	return nil
}

// Faults returns the faults in force, with FailNext budgets as they stand.
func (s *Sim) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.clone()
}

// Servers returns the inventory, with current replication states.
func (s *Sim) Servers() []Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Server, len(s.servers))
	for i, srv := range s.servers {
		out[i] = srv.inv
	}
	return out
}

// Launches returns, per source server, how many accepted StartRecovery
// calls included it. Servers never launched are absent.
func (s *Sim) Launches() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, srv := range s.servers {
		if srv.launches > 0 {
			out[srv.inv.ID] = srv.launches
		}
	}
	return out
}

// operation is a routed DRS request.
type operation struct {
	name string
	// handle runs under s.mu with the state advanced to now. It returns
	// the success status and a value to encode (nil: no body).
	handle func(s *Sim, req *request) (int, any, error)
	// gated operations answer UninitializedAccountException until
	// InitializeService.
	gated bool
}

// request is what a handler sees.
type request struct {
	http  *http.Request
	body  []byte
	now   time.Time
	arn   string // tagging operations
	query url.Values
}

// decode unmarshals the JSON body into v; an empty body is {}.
func (r *request) decode(v any) error {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return validationError(reasonCannotParse, "", "cannot parse request body: %v", err)
	}
	return nil
}

var operations = map[string]operation{
	"StartRecovery":              {name: "StartRecovery", handle: (*Sim).startRecovery, gated: true},
	"DescribeJobs":               {name: "DescribeJobs", handle: (*Sim).describeJobs, gated: true},
	"DescribeJobLogItems":        {name: "DescribeJobLogItems", handle: (*Sim).describeJobLogItems, gated: true},
	"DescribeSourceServers":      {name: "DescribeSourceServers", handle: (*Sim).describeSourceServers, gated: true},
	"DescribeRecoveryInstances":  {name: "DescribeRecoveryInstances", handle: (*Sim).describeRecoveryInstances, gated: true},
	"DescribeRecoverySnapshots":  {name: "DescribeRecoverySnapshots", handle: (*Sim).describeRecoverySnapshots, gated: true},
	"TerminateRecoveryInstances": {name: "TerminateRecoveryInstances", handle: (*Sim).terminateRecoveryInstances, gated: true},
	"DisconnectRecoveryInstance": {name: "DisconnectRecoveryInstance", handle: (*Sim).disconnectRecoveryInstance, gated: true},
	"GetLaunchConfiguration":     {name: "GetLaunchConfiguration", handle: (*Sim).getLaunchConfiguration, gated: true},
	"UpdateLaunchConfiguration":  {name: "UpdateLaunchConfiguration", handle: (*Sim).updateLaunchConfiguration, gated: true},
	"InitializeService":          {name: "InitializeService", handle: (*Sim).initializeService},
}

var tagOperations = map[string]operation{
	http.MethodGet:    {name: "ListTagsForResource", handle: (*Sim).listTags},
	http.MethodPost:   {name: "TagResource", handle: (*Sim).tagResource},
	http.MethodDelete: {name: "UntagResource", handle: (*Sim).untagResource},
}

// notEmulated lists the modeled operations the emulator does not
// implement; they answer ValidationException with reason unknownOperation.
var notEmulated = []string{
	"AssociateSourceNetworkStack", "CreateExtendedSourceServer",
	"CreateLaunchConfigurationTemplate", "CreateReplicationConfigurationTemplate",
	"CreateSourceNetwork", "DeleteJob", "DeleteLaunchAction",
	"DeleteLaunchConfigurationTemplate", "DeleteRecoveryInstance",
	"DeleteReplicationConfigurationTemplate", "DeleteSourceNetwork",
	"DeleteSourceServer", "DescribeLaunchConfigurationTemplates",
	"DescribeReplicationConfigurationTemplates", "DescribeSourceNetworks",
	"DisconnectSourceServer", "ExportSourceNetworkCfnTemplate",
	"GetFailbackReplicationConfiguration", "GetReplicationConfiguration",
	"ListExtensibleSourceServers", "ListLaunchActions", "ListStagingAccounts",
	"PutLaunchAction", "RetryDataReplication", "ReverseReplication",
	"StartFailbackLaunch", "StartReplication", "StartSourceNetworkRecovery",
	"StartSourceNetworkReplication", "StopFailback", "StopReplication",
	"StopSourceNetworkReplication", "UpdateFailbackReplicationConfiguration",
	"UpdateLaunchConfigurationTemplate", "UpdateReplicationConfiguration",
	"UpdateReplicationConfigurationTemplate",
}

func init() {
	for _, name := range notEmulated {
		operations[name] = operation{name: name, handle: notImplemented(name), gated: true}
	}
}

func notImplemented(name string) func(*Sim, *request) (int, any, error) {
	return func(*Sim, *request) (int, any, error) {
		return 0, nil, validationError(reasonUnknownOperation, "",
			"operation %s is not implemented by the DRS emulator", name)
	}
}

// route finds the operation for a request; nil means unknown.
func route(r *http.Request) (*operation, *request) {
	req := &request{http: r, query: r.URL.Query()}
	path := r.URL.Path
	if arn, ok := strings.CutPrefix(path, "/tags/"); ok {
		op, found := tagOperations[r.Method]
		if !found || arn == "" {
			return nil, req
		}
		// r.URL.Path has %3A and %2F decoded already: the rest of the
		// path is the ARN.
		req.arn = arn
		return &op, req
	}
	name := strings.TrimPrefix(path, "/")
	op, found := operations[name]
	want := http.MethodPost
	if name == "ListStagingAccounts" {
		want = http.MethodGet
	}
	if !found || r.Method != want {
		return nil, req
	}
	return &op, req
}

// maxBody bounds a request body; the largest legitimate one (1,000 job IDs)
// is about 30 KB.
const maxBody = 4 << 20

// ServeHTTP serves the DRS API and, under /_sim/, the control API.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	if isEC2(r) {
		s.serveEC2(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		body = nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advance(now)
	s.reqSeq++
	reqID := uuid(s.hash("request", strconv.FormatUint(s.reqSeq, 10)), s.reqSeq)

	op, req := route(r)
	if op == nil {
		s.stats.record("Unknown", errUnknownOp)
		writeError(w, reqID, &apiError{
			status: http.StatusNotFound, name: errUnknownOp,
			message: "no DRS operation at " + r.Method + " " + r.URL.Path,
		})
		return
	}
	req.body, req.now = body, now
	status, out, err := s.serve(op, req)
	if err != nil {
		ae, ok := err.(*apiError)
		if !ok {
			ae = &apiError{status: http.StatusInternalServerError, name: errInternal, message: err.Error()}
		}
		s.stats.record(op.name, ae.name)
		writeError(w, reqID, ae)
		return
	}
	s.stats.record(op.name, "")
	w.Header().Set("x-amzn-RequestId", reqID)
	if out == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.log.Error("encode response", "operation", op.name, "error", err)
		writeError(w, reqID, &apiError{status: http.StatusInternalServerError, name: errInternal, message: "encode response"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// serve applies faults and the initialization gate, then the handler.
func (s *Sim) serve(op *operation, req *request) (int, any, error) {
	if e := s.requestFault(op.name, s.reqSeq); e != nil {
		return 0, nil, e
	}
	if op.gated && !s.initialized {
		return 0, nil, uninitialized()
	}
	if len(req.body) > maxBody {
		return 0, nil, validationError(reasonOther, "", "request body larger than %d bytes", maxBody)
	}
	return op.handle(s, req)
}

func (s *Sim) initializeService(req *request) (int, any, error) {
	s.initialized = true
	return http.StatusNoContent, nil, nil
}

// Transport returns a RoundTripper that hands requests straight to the
// handler, with no network: usable as the HTTP client of the SDK, also
// inside a testing/synctest bubble.
func (s *Sim) Transport() http.RoundTripper { return transport{s} }

type transport struct{ s *Sim }

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		defer r.Body.Close()
	} else {
		// A server request always has a body; a client one may have none
		// (the SDK's DELETE of UntagResource), which the handlers read.
		r = r.Clone(r.Context())
		r.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	t.s.ServeHTTP(rec, r)
	return &http.Response{
		Status:        strconv.Itoa(rec.status) + " " + http.StatusText(rec.status),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       r,
	}, nil
}

// recorder is a minimal ResponseWriter; net/http/httptest is avoided in
// non-test code because it registers a command-line flag.
type recorder struct {
	header      http.Header
	body        bytes.Buffer
	status      int
	wroteHeader bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// sortBy sorts list in place by less; a small helper for the few places
// that need a custom order.
func sortBy[T any](list []T, less func(a, b T) bool) {
	sort.SliceStable(list, func(i, j int) bool { return less(list[i], list[j]) })
}

// BufferedBodies wraps base (nil: http.DefaultTransport) so that every
// request body is read into memory before it is sent. Use it for SDK
// clients that reach the emulator over loopback: smithy-go closes a
// request body as soon as the response headers arrive, and its closed
// body reports io.EOF from WriteTo, which net/http's final end-of-body
// check takes as a write error and closes the connection in the middle of
// a large response ("use of closed network connection"). Over a real
// network the request is long written by then.
func BufferedBodies(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return bufferedBodies{base}
}

type bufferedBodies struct{ base http.RoundTripper }

func (b bufferedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.base.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r2.ContentLength = int64(len(body))
	return b.base.RoundTrip(r2)
}
