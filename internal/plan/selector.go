package plan

// Matches reports whether a DRS source server, known by its ID and tags,
// belongs to the group: it is listed in SourceServerIDs, or the group's
// selector matches its tags. It is the one place that resolves a group, so
// that the API's annotations and the engine's launches always agree.
func (g ProtectionGroup) Matches(serverID string, tags map[string]string) bool {
	for _, id := range g.SourceServerIDs {
		if id == serverID {
			return true
		}
	}
	return g.ServerSelector.Matches(tags)
}

// Matches reports whether tags carry every tag of the selector with exactly
// its value. Keys and values compare case-sensitively, as DRS stores them.
// A nil selector, or one without tags, matches nothing: an empty selector
// choosing every server of a region would be a dangerous default.
func (s *Selector) Matches(tags map[string]string) bool {
	if s == nil || len(s.Tags) == 0 {
		return false
	}
	for k, want := range s.Tags {
		got, ok := tags[k]
		if !ok || got != want {
			return false
		}
	}
	return true
}
