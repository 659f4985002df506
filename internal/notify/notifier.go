package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/store"
)

// Options configure a Notifier. Store is required.
type Options struct {
	Store   store.Store
	Targets []Target
	// Poll is the wait between two reads of the events (default 5s).
	Poll time.Duration
	// Retries is how many times a failed send is tried again (default 3;
	// negative: none); the first retry waits Backoff (default 2s), each
	// next one twice as long.
	Retries int
	Backoff time.Duration
	// ReplayWindow bounds how long ago an execution may have ended for a
	// restarted notifier to replay its events (default 1h); only with a
	// store.DeliveryStore, which prevents sending twice.
	ReplayWindow time.Duration
	// Watch is how many of the newest executions each poll looks at
	// (default 100).
	Watch  int
	Clock  func() time.Time // time.Now when nil
	Logger *slog.Logger     // discard when nil
}

// memoryDeliveries is how many deliveries are kept without a
// DeliveryStore.
const memoryDeliveries = 200

// Notifier follows execution events and readiness results and sends
// notifications.
type Notifier struct {
	opts       Options
	log        *slog.Logger
	deliveries store.DeliveryStore // nil: memory only
	started    time.Time

	mu      sync.Mutex
	memory  []store.Delivery // newest last
	cursors map[string]*cursor
	ready   chan *readiness.Result
	lastSig string // the readiness problems last notified

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// cursor is how far the events of one execution were read.
type cursor struct {
	seq  int64
	done bool // final, every event read
}

// New returns a Notifier; Start runs it.
func New(opts Options) *Notifier {
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.Retries == 0 {
		opts.Retries = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 2 * time.Second
	}
	if opts.ReplayWindow <= 0 {
		opts.ReplayWindow = time.Hour
	}
	if opts.Watch <= 0 {
		opts.Watch = 100
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{opts: opts, log: opts.Logger.With("component", "notify"),
		cursors: map[string]*cursor{}, ready: make(chan *readiness.Result, 1)}
	n.deliveries, _ = opts.Store.(store.DeliveryStore)
	n.started = opts.Clock()
	return n
}

// Start polls every Poll until Stop.
func (n *Notifier) Start(ctx context.Context) {
	ctx, n.cancel = context.WithCancel(ctx)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.loop(ctx)
	}()
}

// Stop ends the loop and waits for the sends in flight.
func (n *Notifier) Stop() {
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
}

// Readiness hands a readiness result over, for readiness.Options.OnResult.
// It never blocks: a result not yet taken is replaced by the newer one.
func (n *Notifier) Readiness(r *readiness.Result) {
	for {
		select {
		case n.ready <- r:
			return
		default:
		}
		select {
		case <-n.ready:
		default:
		}
	}
}

func (n *Notifier) loop(ctx context.Context) {
	var lastErr string
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-n.ready:
			n.readiness(ctx, r)
			continue
		case <-timer.C:
		}
		err := n.Poll(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && err.Error() != lastErr:
			n.log.Warn("read execution events", "error", err)
		case err == nil && lastErr != "":
			n.log.Info("reading execution events again")
		}
		lastErr = ""
		if err != nil {
			lastErr = err.Error()
		}
		timer.Reset(n.opts.Poll)
	}
}

// Poll reads the new events of the newest executions once and sends
// their notifications.
func (n *Notifier) Poll(ctx context.Context) error {
	page, err := n.opts.Store.ListExecutions(ctx, store.ExecutionFilter{},
		store.ListOptions{Limit: n.opts.Watch})
	if err != nil {
		return fmt.Errorf("list executions: %w", err)
	}
	seen := map[string]bool{}
	// Oldest first, so that notifications go out in order.
	for _, e := range slices.Backward(page.Items) {
		seen[e.ID] = true
		if err := n.follow(ctx, &e); err != nil {
			return err
		}
	}
	n.mu.Lock()
	for id, c := range n.cursors {
		if !seen[id] && c.done {
			delete(n.cursors, id)
		}
	}
	n.mu.Unlock()
	return nil
}

// follow reads one execution's new events.
func (n *Notifier) follow(ctx context.Context, e *plan.Execution) error {
	n.mu.Lock()
	c, ok := n.cursors[e.ID]
	n.mu.Unlock()
	if !ok {
		var err error
		if c, err = n.firstSight(ctx, e); err != nil {
			return err
		}
		n.mu.Lock()
		n.cursors[e.ID] = c
		n.mu.Unlock()
	}
	final := !plan.Active(e.Status)
	if c.done && final {
		return nil
	}
	c.done = false // a retried execution is active again
	if c.seq < 0 {
		last, err := n.lastSeq(ctx, e.ID)
		if err != nil {
			return err
		}
		c.seq = last
	}
	const batch = 500
	for {
		evs, err := n.opts.Store.ListEvents(ctx, e.ID, c.seq, batch)
		if err != nil {
			return fmt.Errorf("list events of %s: %w", e.ID, err)
		}
		for _, ev := range evs {
			if typ := typeOf(ev.Type); typ != "" {
				n.send(ctx, fromEvent(e, ev, typ))
			}
			c.seq = ev.Seq
		}
		if len(evs) < batch {
			break
		}
	}
	c.done = final
	return nil
}

// firstSight decides where to start reading an execution seen for the
// first time: from the start when it was created after the notifier
// started, or, with a delivery record, when it is active or ended within
// the replay window; else after its last event.
func (n *Notifier) firstSight(ctx context.Context, e *plan.Execution) (*cursor, error) {
	if !e.CreatedAt.Before(n.started) {
		return &cursor{}, nil
	}
	recent := plan.Active(e.Status) ||
		(e.EndTime != nil && e.EndTime.After(n.started.Add(-n.opts.ReplayWindow)))
	if n.deliveries != nil && recent {
		return &cursor{}, nil
	}
	if !plan.Active(e.Status) {
		// Its events are not worth reading now; should a retry make it
		// active again, follow skips to its end then.
		return &cursor{done: true, seq: -1}, nil
	}
	last, err := n.lastSeq(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	return &cursor{seq: last}, nil
}

// lastSeq is the Seq of an execution's newest event.
func (n *Notifier) lastSeq(ctx context.Context, id string) (int64, error) {
	// TODO: a store method for the newest Seq; this reads every event.
	evs, err := n.opts.Store.ListEvents(ctx, id, 0, 0)
	if err != nil {
		return 0, fmt.Errorf("list events of %s: %w", id, err)
	}
	if len(evs) == 0 {
		return 0, nil
	}
	return evs[len(evs)-1].Seq, nil
}

// readiness notifies a result with problems unless the same problems were
// the last notified.
func (n *Notifier) readiness(ctx context.Context, r *readiness.Result) {
	if r.Ready {
		n.lastSig = ""
		return
	}
	sig := signature(r)
	if sig == n.lastSig {
		return
	}
	n.lastSig = sig
	n.send(ctx, fromReadiness(r))
}

// signature names a result's problems independently of when it ran.
func signature(r *readiness.Result) string {
	var keys []string
	for _, p := range r.Plans {
		for _, pr := range p.Problems {
			keys = append(keys, p.PlanID+"|"+pr.Code+"|"+pr.GroupID+"|"+pr.SourceServerID)
		}
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n")
}

// send delivers a notification to every target that wants it.
//
// TODO: send to targets concurrently; a target that is down holds the
// others up by its retries (2s, 4s and 8s by default).
func (n *Notifier) send(ctx context.Context, no *Notification) {
	for _, t := range n.opts.Targets {
		if !t.Wants(no.Type) {
			continue
		}
		key := no.ID + "@" + t.Name()
		if n.deliveries != nil {
			done, err := n.deliveries.Delivered(ctx, key)
			if err != nil {
				n.log.Warn("look up delivery", "key", key, "error", err)
			}
			if done {
				continue
			}
		}
		d := n.deliver(ctx, t, no)
		d.Key = key
		n.record(ctx, d)
	}
}

// deliver makes up to 1+Retries attempts.
func (n *Notifier) deliver(ctx context.Context, t Target, no *Notification) store.Delivery {
	d := store.Delivery{Target: t.Name(), Type: no.Type, ExecutionID: no.ExecutionID}
	wait := n.opts.Backoff
	for attempt := 0; attempt <= max(0, n.opts.Retries); attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				d.Error = ctx.Err().Error()
				d.Time = n.opts.Clock().UTC()
				return d
			case <-time.After(wait):
			}
			wait *= 2
		}
		d.Attempts++
		status, err := t.Send(ctx, no)
		d.StatusCode = status
		if err == nil {
			d.OK, d.Error = true, ""
			break
		}
		d.Error = err.Error()
	}
	d.Time = n.opts.Clock().UTC()
	if !d.OK {
		n.log.Warn("notification not delivered", "target", d.Target, "type", d.Type,
			"attempts", d.Attempts, "error", d.Error)
	}
	return d
}

// record keeps a delivery in the store when it can, and in memory.
func (n *Notifier) record(ctx context.Context, d store.Delivery) {
	n.mu.Lock()
	n.memory = append(n.memory, d)
	if len(n.memory) > memoryDeliveries {
		n.memory = n.memory[len(n.memory)-memoryDeliveries:]
	}
	n.mu.Unlock()
	if n.deliveries == nil {
		return
	}
	// The record must outlive a shutdown that interrupted the send.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := n.deliveries.RecordDelivery(rctx, &d); err != nil && !errors.Is(err, store.ErrExists) {
		n.log.Warn("record delivery", "key", d.Key, "error", err)
	}
}

// Deliveries returns up to limit recorded deliveries, newest first: from
// the store when it keeps them, else those of this process.
func (n *Notifier) Deliveries(ctx context.Context, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		limit = 50
	}
	if n.deliveries != nil {
		return n.deliveries.ListDeliveries(ctx, limit)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]store.Delivery, 0, min(limit, len(n.memory)))
	for i := len(n.memory) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, n.memory[i])
	}
	return out, nil
}
