package drs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"PT0S", 0},
		{"P0D", 0},
		{"PT12S", 12 * time.Second},
		{"PT0.5S", 500 * time.Millisecond},
		{"PT0,25S", 250 * time.Millisecond},
		{"PT.5S", 500 * time.Millisecond},
		{"PT1M", time.Minute},
		{"P1M", 30 * 24 * time.Hour},
		{"P152D", 152 * 24 * time.Hour},
		{"P1W", 7 * 24 * time.Hour},
		{"P1Y", 365 * 24 * time.Hour},
		{"PT2H", 2 * time.Hour},
		{"PT1.5H", 90 * time.Minute},
		{"P1DT2H3M4.5S", 24*time.Hour + 2*time.Hour + 3*time.Minute + 4500*time.Millisecond},
		{"P1Y2M3W4DT5H6M7S", (365+60+21+4)*24*time.Hour + 5*time.Hour + 6*time.Minute + 7*time.Second},
		{"PT0.000000001S", time.Nanosecond},
		{"-PT5S", -5 * time.Second},
		{"+PT5S", 5 * time.Second},
		{"PT9223372036S", 9223372036 * time.Second},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if err != nil {
			t.Errorf("parseDuration(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDurationRejects(t *testing.T) {
	for _, in := range []string{
		"", "P", "PT", "-", "-P", "T1S", "1S", "12", "p1d", "PT1s",
		"P1DT", "PT1S2", "PT1", "PTS", "P1H", "PT1D", "PT1S1M", "P1D1D",
		"PT1.2.3S", "PT.S", "PT-1S", "P 1D", "PT1 S", "PTS1",
		"PT9223372037S", "P99999999999999999999D", "P106752D", "P300Y",
		"P106751DT24H", "PT" + strings.Repeat("9", 40) + "S",
	} {
		if d, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, d)
		} else if !errors.Is(err, errDuration) {
			t.Errorf("parseDuration(%q) error %v is not errDuration", in, err)
		}
	}
}

// FuzzParseDuration holds the parser to never panicking and to answers that
// agree with themselves: a parsed value is non-negative unless negated, and
// negating the input negates the value.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{
		"PT0S", "P0D", "PT12S", "P1DT2H3M4.5S", "P152D", "-PT1S",
		"PT0,5S", "P1Y2M3W4DT5H6M7S", "PT9223372036.854775807S", "P1DT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			return
		}
		if strings.HasPrefix(s, "P") || strings.HasPrefix(s, "+") {
			if d < 0 {
				t.Fatalf("parseDuration(%q) = %v, negative", s, d)
			}
			if !strings.HasPrefix(s, "+") {
				neg, err := parseDuration("-" + s)
				if err != nil || neg != -d {
					t.Fatalf("parseDuration(-%q) = %v, %v; want %v", s, neg, err, -d)
				}
			}
		}
	})
}
