package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// APIResult is GET /api/v1/executions/{id} of a large execution under
// concurrent readers, next to the same bytes served from memory by the
// same server process: the ceiling.
type APIResult struct {
	Launches int     `json:"launches"`
	Bytes    int     `json:"bytes"`
	Readers  int     `json:"readers"`
	API      APILoad `json:"api"`
	Ceiling  APILoad `json:"ceiling"`
	// Where one request's time goes, measured alone, one at a time: the
	// store reads and the view (execution.Service.Get), and the JSON
	// encoding of the view.
	Read   time.Duration `json:"read"`
	Encode time.Duration `json:"encode"`
}

// APILoad is one load run.
type APILoad struct {
	Requests int           `json:"requests"`
	Elapsed  time.Duration `json:"elapsed"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	// PerSecond is completed requests per second of the run.
	PerSecond float64 `json:"perSecond"`
}

// Ratio is the API's throughput over the ceiling's.
func (a *APIResult) Ratio() float64 {
	if a.Ceiling.PerSecond == 0 {
		return 0
	}
	return a.API.PerSecond / a.Ceiling.PerSecond
}

const apiReaders = 64

func (b *runner) api(ctx context.Context, er *engineRun) (*APIResult, error) {
	count, budget := 1280, 20*time.Second
	switch {
	case b.cfg.tiny:
		count, budget = apiReaders, 5*time.Second
	case b.cfg.Quick:
		count, budget = 320, 5*time.Second
	}
	dir, err := os.MkdirTemp("", "drsorch-bench-")
	if err != nil {
		return nil, fmt.Errorf("temporary folder: %w", err)
	}
	defer os.RemoveAll(dir)
	st, err := copyToFile(ctx, er.store, er.ids[0], filepath.Join(dir, "drsorch.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	id := er.ids[0]
	discard := slog.New(slog.DiscardHandler)
	svc := execution.New(execution.Options{Store: st, Logger: discard})
	// The API authenticates every caller: the readers share one viewer
	// token, with a rate limit that does not hold them back.
	authn := auth.ForStore(st)
	token, _, err := authn.CreateToken(ctx, "bench", auth.RoleViewer, time.Hour, "bench")
	if err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	srv := api.New(api.Options{
		Store:         st,
		DefaultRegion: benchRegion,
		Logger:        discard,
		Executions:    svc,
		Auth:          authn,
		Limiter:       auth.NewLimiter(1e9, 1e9, nil),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	var ceiling struct {
		sync.RWMutex
		body   []byte
		header http.Header
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", srv.Handler())
	mux.HandleFunc("GET /ceiling", func(w http.ResponseWriter, r *http.Request) {
		ceiling.RLock()
		defer ceiling.RUnlock()
		for k, v := range ceiling.header {
			w.Header()[k] = v
		}
		w.Write(ceiling.body)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	client := &http.Client{Transport: bearer{token, &http.Transport{
		MaxIdleConns: apiReaders, MaxIdleConnsPerHost: apiReaders, DisableCompression: true,
	}}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	base := "http://" + ln.Addr().String()
	apiURL := base + "/api/v1/executions/" + id

	// The ceiling serves exactly what the API answers.
	resp, err := client.Get(apiURL)
	if err != nil {
		return nil, fmt.Errorf("get execution: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get execution: status %d: %v", resp.StatusCode, err)
	}
	ceiling.Lock()
	ceiling.body = body
	ceiling.header = http.Header{}
	for _, k := range []string{"Content-Type", "Etag"} {
		ceiling.header.Set(k, resp.Header.Get(k))
	}
	ceiling.Unlock()

	res := &APIResult{Launches: len(body), Bytes: len(body), Readers: apiReaders}
	if ls, err := st.ListLaunches(ctx, id); err == nil {
		res.Launches = len(ls)
	}
	if res.Read, res.Encode, err = breakdown(ctx, svc, id); err != nil {
		return nil, err
	}
	// Warm up: connections, the store's connection pool, the page cache.
	for _, u := range []string{base + "/ceiling", apiURL} {
		if _, err := load(ctx, client, u, len(body), min(count, 2*apiReaders), budget); err != nil {
			return nil, fmt.Errorf("warm up: %w", err)
		}
	}
	if res.Ceiling, err = load(ctx, client, base+"/ceiling", len(body), count, budget); err != nil {
		return nil, fmt.Errorf("ceiling: %w", err)
	}
	if res.API, err = load(ctx, client, apiURL, len(body), count, budget); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	b.progress("api: %.0f/s (p50 %s, p99 %s), ceiling %.0f/s, ratio %.2f",
		res.API.PerSecond, res.API.P50, res.API.P99, res.Ceiling.PerSecond, res.Ratio())
	return res, nil
}

// copyToFile copies an execution (header, waves, launches) from the
// in-memory store of a run into a SQLite file, which is what drsorch serve
// reads from: in WAL mode, with concurrent readers, where the in-memory
// store has one connection.
func copyToFile(ctx context.Context, from store.Store, id, path string) (*sqlitestore.Store, error) {
	ex, err := from.GetExecution(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("copy execution: %w", err)
	}
	waves, err := from.ListWaves(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("copy waves: %w", err)
	}
	launches, err := from.ListLaunches(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("copy launches: %w", err)
	}
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	ex.LeaseOwner, ex.LeaseExpiry = "", time.Time{}
	if err := st.CreateExecution(ctx, ex, waves, launches, nil); err != nil {
		st.Close()
		return nil, fmt.Errorf("copy execution: %w", err)
	}
	return st, nil
}

// breakdown times the two halves of the handler, alone.
func breakdown(ctx context.Context, svc *execution.Service, id string) (read, encode time.Duration, err error) {
	const n = 10
	for range n {
		t := time.Now()
		v, err := svc.Get(ctx, id)
		if err != nil {
			return 0, 0, fmt.Errorf("get execution: %w", err)
		}
		read += time.Since(t)
		t = time.Now()
		if _, err := json.Marshal(v); err != nil {
			return 0, 0, fmt.Errorf("encode execution: %w", err)
		}
		encode += time.Since(t)
	}
	return read / n, encode / n, nil
}

// load sends GET url from apiReaders goroutines until count requests have
// been sent or budget has passed, and checks each answer: 200 and size
// bytes.
func load(ctx context.Context, client *http.Client, url string, size, count int, budget time.Duration) (APILoad, error) {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var (
		mu   sync.Mutex
		next int
		lat  []time.Duration
		errs []error
		wg   sync.WaitGroup
	)
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if next >= count || ctx.Err() != nil {
			return false
		}
		next++
		return true
	}
	start := time.Now()
	for range apiReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for take() {
				t := time.Now()
				err := get(ctx, client, url, size)
				d := time.Since(t)
				mu.Lock()
				switch {
				case err == nil:
					lat = append(lat, d)
				case ctx.Err() == nil:
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(errs) > 0 {
		return APILoad{}, fmt.Errorf("%d requests failed, the first: %w", len(errs), errs[0])
	}
	if len(lat) == 0 {
		return APILoad{}, errors.New("no request completed")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return APILoad{
		Requests:  len(lat),
		Elapsed:   elapsed,
		P50:       lat[len(lat)/2],
		P99:       lat[min(len(lat)-1, len(lat)*99/100)],
		PerSecond: float64(len(lat)) / elapsed.Seconds(),
	}, nil
}

func get(ctx context.Context, client *http.Client, url string, size int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || int(n) != size {
		return fmt.Errorf("status %d, %d bytes, want 200 and %d", resp.StatusCode, n, size)
	}
	return nil
}

// bearer sends a token with every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func (b bearer) CloseIdleConnections() {
	if t, ok := b.next.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}
