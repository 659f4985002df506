package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
)

// world is one emulated DRS account and region, reached in process by the
// real DRS client, with every StartRecovery and DescribeJobs call
// recorded on its way.
type world struct {
	clock   *clock
	sim     *drssim.Sim
	rec     *recorder
	client  *drs.Client
	clients *drs.Clients
	servers []string // source server IDs in inventory order
	// os is each server's operating system as DRS reports it, which the
	// execution service copies into its launch.
	os map[string]string
}

const (
	benchAccount = "123456789012"
	benchRegion  = "us-east-1"
)

// newWorld builds an emulator of n servers with stable durations on the
// world's clock; change, when not nil, adjusts its options.
func newWorld(ctx context.Context, n int, seed int64, change func(*drssim.Options)) (*world, error) {
	useStaticKeys()
	c := newClock()
	opts := drssim.Options{
		Servers: n, Seed: seed, Account: benchAccount, Region: benchRegion,
		Clock: c.Now, StableDurations: true,
	}
	if change != nil {
		change(&opts)
	}
	sim := drssim.New(opts)
	rec := &recorder{next: sim.Transport(), now: c.Now}
	cfg := drs.Config{
		Region:   benchRegion,
		Endpoint: "http://drssim.local",
		// One attempt: every refusal is one counted call, and no SDK
		// backoff sleeps in real time.
		MaxAttempts: 1,
		HTTPClient:  &http.Client{Transport: rec},
	}
	client, err := drs.NewClient(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("drs client: %w", err)
	}
	w := &world{clock: c, sim: sim, rec: rec, client: client, clients: drs.NewClients(ctx, cfg),
		os: make(map[string]string)}
	for _, s := range sim.Servers() {
		w.servers = append(w.servers, s.ID)
		w.os[s.ID] = s.OSName
	}
	return w, nil
}

var keysOnce sync.Once

// useStaticKeys gives the SDK keys to sign with: the emulator checks no
// signature, and without them the SDK would search the credential chain,
// instance metadata included.
func useStaticKeys() {
	keysOnce.Do(func() {
		for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"} {
			if os.Getenv(k) == "" {
				os.Setenv(k, v)
			}
		}
	})
}

// call is one recorded DRS request.
type call struct {
	at      time.Time
	op      string
	servers []string // StartRecovery: the source servers asked for
	byIDs   bool     // DescribeJobs: a poll of named jobs, not a search
	status  int
}

// recorder is a RoundTripper that notes the time, operation and servers
// of StartRecovery and DescribeJobs requests before passing them on.
type recorder struct {
	next http.RoundTripper
	now  func() time.Time

	mu    sync.Mutex
	calls []call
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.URL.Path, "/")
	if op != "StartRecovery" && op != "DescribeJobs" {
		return r.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	c := call{at: r.now(), op: op}
	var in struct {
		SourceServers []struct {
			SourceServerID string `json:"sourceServerID"`
		} `json:"sourceServers"`
		Filters struct {
			JobIDs []string `json:"jobIDs"`
		} `json:"filters"`
	}
	if json.Unmarshal(body, &in) == nil {
		for _, s := range in.SourceServers {
			c.servers = append(c.servers, s.SourceServerID)
		}
		c.byIDs = len(in.Filters.JobIDs) > 0
	}
	resp, err := r.next.RoundTrip(req)
	if resp != nil {
		c.status = resp.StatusCode
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return resp, err
}

// recorded returns a copy of the calls so far.
func (r *recorder) recorded() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}
