package drssim

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// hash derives a 64-bit value from the seed and the given parts. Every
// random-looking choice the emulator makes goes through it, keyed on stable
// names (a server ID, a job ID, a request number) rather than on a shared
// random stream, so that a choice does not depend on the order in which
// unrelated requests happened to arrive.
func (s *Sim) hash(parts ...string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037) ^ uint64(s.seed)
	h *= prime
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= prime
		}
		h ^= 0xff
		h *= prime
	}
	return mix(h)
}

// mix is the splitmix64 finalizer; it spreads FNV's weak low bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unit maps hash(parts) to [0, 1).
func (s *Sim) unit(parts ...string) float64 {
	return float64(s.hash(parts...)>>11) / (1 << 53)
}

// spread returns base scaled by a factor drawn from [1-frac, 1+frac].
func (s *Sim) spread(base time.Duration, frac float64, parts ...string) time.Duration {
	f := 1 - frac + 2*frac*s.unit(parts...)
	return time.Duration(float64(base) * f)
}

const hexDigits = "0123456789abcdef"

// hex17 formats 17 lower-case hex digits, the suffix length of DRS IDs.
func hex17(h uint64) string {
	var b [17]byte
	b[0] = hexDigits[mix(h)&0xf]
	for i := 16; i >= 1; i-- {
		b[i] = hexDigits[h&0xf]
		h >>= 4
	}
	return string(b[:])
}

// newID returns prefix followed by 17 hex digits derived from the seed, kind
// and n, skipping any value already taken.
func (s *Sim) newID(prefix, kind string, n uint64, taken func(string) bool) string {
	for try := 0; ; try++ {
		id := prefix + hex17(s.hash(kind, strconv.FormatUint(n, 10), strconv.Itoa(try)))
		if taken == nil || !taken(id) {
			return id
		}
	}
}

// validID reports whether id is prefix followed by exactly n characters
// from [0-9a-zA-Z] (or only hex digits when hexOnly is set).
func validID(id, prefix string, n int, hexOnly bool) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) != n {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case !hexOnly && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
		default:
			return false
		}
	}
	return true
}

func validServerID(id string) bool   { return validID(id, "s-", 17, false) }
func validJobID(id string) bool      { return validID(id, "drsjob-", 17, false) }
func validSnapshotID(id string) bool { return validID(id, "pit-", 17, false) }

// validInstanceID accepts the RecoveryInstanceID pattern i-[0-9a-fA-F]{8,}
// within its length bounds 10..19.
func validInstanceID(id string) bool {
	n := len(id) - 2
	return n >= 8 && n <= 17 && validID(id, "i-", n, true)
}

// timeLayout emits RFC 3339 UTC with microseconds and a Z suffix: 27
// characters, inside the model's 19..32 and matching its pattern.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime accepts the date-time forms clients send in filters: RFC 3339
// with or without fraction and with Z or an offset, the same without a
// zone (taken as UTC), and a bare date.
func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02",
	} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 date-time: %q", v)
}

// formatDuration renders d as an ISO 8601 duration in whole seconds, for
// example PT12S, PT3H2M or P152DT4H; zero is PT0S.
func formatDuration(d time.Duration) string {
	secs := int64(d / time.Second)
	if secs <= 0 {
		return "PT0S"
	}
	days, secs := secs/86400, secs%86400
	h, secs := secs/3600, secs%3600
	m, secs := secs/60, secs%60
	var b strings.Builder
	b.WriteByte('P')
	if days > 0 {
		fmt.Fprintf(&b, "%dD", days)
	}
	if h > 0 || m > 0 || secs > 0 {
		b.WriteByte('T')
		if h > 0 {
			fmt.Fprintf(&b, "%dH", h)
		}
		if m > 0 {
			fmt.Fprintf(&b, "%dM", m)
		}
		if secs > 0 {
			fmt.Fprintf(&b, "%dS", secs)
		}
	}
	return b.String()
}

// encodeToken makes an opaque page token: the operation it belongs to and
// a cursor whose meaning depends on the operation.
func encodeToken(op string, cursor int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(op + "/" + strconv.FormatInt(cursor, 10)))
}

// decodeToken reverses encodeToken; ok is false for a token of another
// operation or one that is not ours at all.
func decodeToken(op, tok string) (cursor int64, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, found := strings.CutPrefix(string(b), op+"/")
	if !found {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// uuid formats h1 and h2 as a version-4-shaped UUID, for request IDs and
// VMware UUIDs.
func uuid(h1, h2 uint64) string {
	h1 = h1&^0xf000 | 0x4000
	h2 = h2&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		h1>>32, (h1>>16)&0xffff, h1&0xffff, h2>>48, h2&0xffffffffffff)
}
