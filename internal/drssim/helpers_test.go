package drssim_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/drs"

	"github.com/drsorch/drsorch/internal/drssim"
)

// fakeClock is a settable real clock for the emulator.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start runs sim behind an httptest server on 127.0.0.1 and returns an SDK
// client for it that does not retry.
func start(t testing.TB, sim *drssim.Sim) (*drs.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: drssim.BufferedBodies(&http.Transport{})}
	t.Cleanup(hc.CloseIdleConnections)
	return sdkClient(srv.URL, hc), srv
}

func sdkClient(endpoint string, hc *http.Client) *drs.Client {
	opts := drs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secretlocal", ""),
		RetryMaxAttempts: 1,
	}
	if hc != nil {
		opts.HTTPClient = hc
	}
	return drs.New(opts)
}

// inProcess returns an SDK client that reaches sim through its Transport.
func inProcess(sim *drssim.Sim) *drs.Client {
	return sdkClient("http://drs.local", &http.Client{Transport: sim.Transport()})
}

func newSim(t *testing.T, opts drssim.Options) (*drssim.Sim, *fakeClock, *drs.Client) {
	t.Helper()
	clock := newFakeClock()
	opts.Clock = clock.Now
	sim := drssim.New(opts)
	client, _ := start(t, sim)
	return sim, clock, client
}

func serverIDs(t *testing.T, sim *drssim.Sim, n int) []string {
	t.Helper()
	all := sim.Servers()
	if len(all) < n {
		t.Fatalf("inventory has %d servers, want at least %d", len(all), n)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = all[i].ID
	}
	return ids
}

func newPost(tb testing.TB, path, body string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest("POST", "http://drs.local"+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}
