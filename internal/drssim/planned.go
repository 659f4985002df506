package drssim

import "time"

// StablePending is how long every job stays PENDING with
// Options.StableDurations.
const StablePending = 15 * time.Second

// PlannedLaunch returns how long a launch of the source server takes from
// the moment its job starts (snapshot, conversion and launch; a launch
// from a given recovery snapshot is shorter), and whether that is known in
// advance: only with Options.StableDurations, and for a server of the
// inventory.
func (s *Sim) PlannedLaunch(sourceServerID string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := s.serverByID[sourceServerID]
	if !s.stable || srv == nil {
		return 0, false
	}
	p := s.phases(&job{typ: typeLaunch}, &jobServer{srv: srv}, 1)
	return p[0] + p[1] + p[2], true
}

// LaunchEnds returns, per source server, the emulated time its latest
// launch ended (LAUNCHED or FAILED). Servers with no ended launch are
// absent.
func (s *Sim) LaunchEnds() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	out := map[string]time.Time{}
	for _, srv := range s.servers {
		if !srv.launchEnded.IsZero() {
			out[srv.inv.ID] = srv.launchEnded
		}
	}
	return out
}
