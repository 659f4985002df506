package engine

import (
	"fmt"
	"sync"
	"time"
)

// failingRounds is how many rounds in a row must fail before Health
// reports it: one failed round is an incident the next one retries.
const failingRounds = 3

// health remembers whether recent rounds failed. It has its own lock so
// that a probe does not wait for a round in progress.
type health struct {
	mu       sync.Mutex
	failures int       // rounds in a row that returned an error
	since    time.Time // when the first of them ended
	last     error
}

func (h *health) record(now time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.failures, h.since, h.last = 0, time.Time{}, nil
		return
	}
	if h.failures == 0 {
		h.since = now
	}
	h.failures++
	h.last = err
}

// Health returns nil while the engine's rounds work, and otherwise the
// error of the latest round once failingRounds rounds in a row have
// failed: DRS unreachable, the store refusing writes. An engine with no
// work makes no calls, so it reports only what its work meets.
func (e *Engine) Health() error {
	h := &e.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures < failingRounds {
		return nil
	}
	return fmt.Errorf("%d engine rounds in a row failed since %s: %w",
		h.failures, h.since.UTC().Format(time.RFC3339), h.last)
}
