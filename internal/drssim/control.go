package drssim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// counters are the live numbers behind Stats. Callers hold s.mu.
type counters struct {
	requests map[string]int
	errors   map[string]int
	byOp     map[string]map[string]int

	jobs                   int
	activeJobs             int
	serversInActiveJobs    int
	maxActiveJobs          int
	maxServersInActiveJobs int
	maxServersInJob        int
	maxJobsPerServer       int
	launched               int
	launchFailed           int
}

func newCounters() counters {
	return counters{requests: map[string]int{}, errors: map[string]int{}, byOp: map[string]map[string]int{}}
}

// record counts one request of op and, when errName is not empty, its
// error.
func (c *counters) record(op, errName string) {
	c.requests[op]++
	if errName == "" {
		return
	}
	c.errors[errName]++
	if c.byOp[op] == nil {
		c.byOp[op] = map[string]int{}
	}
	c.byOp[op][errName]++
}

// Stats is a snapshot of the emulator's counters. The Max fields are high
// water marks, so a test can assert that a client never pushed the
// emulator past a quota.
type Stats struct {
	Now                    time.Time                 `json:"now"`
	Requests               map[string]int            `json:"requests"`
	Errors                 map[string]int            `json:"errors"`
	ErrorsByOperation      map[string]map[string]int `json:"errorsByOperation"`
	Jobs                   int                       `json:"jobs"`
	ActiveJobs             int                       `json:"activeJobs"`
	ServersInActiveJobs    int                       `json:"serversInActiveJobs"`
	MaxActiveJobs          int                       `json:"maxActiveJobs"`
	MaxServersInActiveJobs int                       `json:"maxServersInActiveJobs"`
	MaxServersInJob        int                       `json:"maxServersInJob"`
	MaxJobsPerServer       int                       `json:"maxJobsPerServer"`
	RecoveryInstances      int                       `json:"recoveryInstances"`
	Launched               int                       `json:"launched"`
	LaunchFailed           int                       `json:"launchFailed"`
	Quotas                 Quotas                    `json:"quotas"`
}

// Stats returns the counters, with jobs advanced to the current time.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advance(now)
	c := &s.stats
	st := Stats{
		Now:                    now,
		Requests:               map[string]int{},
		Errors:                 map[string]int{},
		ErrorsByOperation:      map[string]map[string]int{},
		Jobs:                   c.jobs,
		ActiveJobs:             c.activeJobs,
		ServersInActiveJobs:    c.serversInActiveJobs,
		MaxActiveJobs:          c.maxActiveJobs,
		MaxServersInActiveJobs: c.maxServersInActiveJobs,
		MaxServersInJob:        c.maxServersInJob,
		MaxJobsPerServer:       c.maxJobsPerServer,
		RecoveryInstances:      len(s.instances),
		Launched:               c.launched,
		LaunchFailed:           c.launchFailed,
		Quotas:                 s.quotas,
	}
	for k, v := range c.requests {
		st.Requests[k] = v
	}
	for k, v := range c.errors {
		st.Errors[k] = v
	}
	for op, m := range c.byOp {
		st.ErrorsByOperation[op] = map[string]int{}
		for k, v := range m {
			st.ErrorsByOperation[op][k] = v
		}
	}
	return st
}

// clockState is the body of the /_sim/clock endpoints.
type clockState struct {
	Now       string  `json:"now"`
	TimeScale float64 `json:"timeScale"`
	Offset    string  `json:"offset"`
}

func (s *Sim) clockState() clockState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clockState{Now: formatTime(s.now()), TimeScale: s.scale, Offset: s.offset.String()}
}

// serveControl serves the inspection and control API:
//
//	GET  /_sim/stats          Stats
//	GET  /_sim/launches       accepted launches per source server
//	GET  /_sim/servers        the inventory (the LoadInventory format)
//	GET  /_sim/faults         Faults
//	PUT  /_sim/faults         replace Faults: JSON, or the --faults form
//	GET  /_sim/ec2            the fixed network and the launch templates
//	PUT  /_sim/ec2/impaired   {instanceIds, impaired}: status checks impaired or not
//	GET  /_sim/clock          emulated time, scale and offset
//	POST /_sim/clock/advance?by=10m   move the emulated clock forward
func (s *Sim) serveControl(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimSuffix(r.URL.Path, "/")
	switch route {
	case "GET /_sim/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case "GET /_sim/launches":
		writeJSON(w, http.StatusOK, s.Launches())
	case "GET /_sim/servers":
		writeJSON(w, http.StatusOK, s.Servers())
	case "GET /_sim/faults":
		writeJSON(w, http.StatusOK, s.Faults())
	case "PUT /_sim/faults":
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			controlError(w, http.StatusBadRequest, "read body: "+err.Error())
			return
		}
		var f Faults
		if text := strings.TrimSpace(string(body)); strings.HasPrefix(text, "{") {
			err = json.Unmarshal(body, &f)
		} else {
			f, err = ParseFaults(text)
		}
		if err == nil {
			err = s.SetFaults(f)
		}
		if err != nil {
			controlError(w, http.StatusBadRequest, "faults: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, s.Faults())
	case "GET /_sim/ec2":
		writeJSON(w, http.StatusOK, s.ec2View())
	case "PUT /_sim/ec2/impaired":
		var in struct {
			InstanceIDs []string `json:"instanceIds"`
			Impaired    bool     `json:"impaired"`
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			err = json.Unmarshal(body, &in)
		}
		if err != nil || len(in.InstanceIDs) == 0 {
			controlError(w, http.StatusBadRequest, "want {\"instanceIds\": [...], \"impaired\": true|false}")
			return
		}
		var unknown []string
		for _, id := range in.InstanceIDs {
			if _, ok := s.Instance(id); !ok {
				unknown = append(unknown, id)
			}
		}
		if len(unknown) > 0 {
			controlError(w, http.StatusNotFound, "unknown instances: "+strings.Join(unknown, ", "))
			return
		}
		for _, id := range in.InstanceIDs {
			s.SetInstanceImpaired(id, in.Impaired)
		}
		writeJSON(w, http.StatusOK, in)
	case "GET /_sim/clock":
		writeJSON(w, http.StatusOK, s.clockState())
	case "POST /_sim/clock/advance":
		d, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil || d < 0 {
			controlError(w, http.StatusBadRequest, "by: want a non-negative Go duration such as 10m")
			return
		}
		s.Advance(d)
		writeJSON(w, http.StatusOK, s.clockState())
	default:
		controlError(w, http.StatusNotFound, "no control endpoint "+route)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		controlError(w, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func controlError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
