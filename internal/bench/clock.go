package bench

import (
	"sync"
	"time"
)

// clock is the fake clock shared by an orchestrator and the emulator, so
// that hours of emulated recovery take seconds: nothing waits, the
// scenario moves the clock to the next moment it would have woken up.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// epoch is where every scenario's clock starts; on a whole microsecond, so
// that the emulator's time (truncated to microseconds) equals the clock's.
var epoch = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func newClock() *clock { return &clock{t: epoch} }

// Now returns the fake time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// frozen is a clock that never moves.
func frozen(t time.Time) func() time.Time { return func() time.Time { return t } }
