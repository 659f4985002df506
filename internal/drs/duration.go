package drs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Nominal lengths of the calendar designators. A lag of a month has no exact
// length without a start date; DRS reports lags in seconds or days, so the
// nominal values only matter for answers we never expect to see.
const (
	day   = 24 * time.Hour
	week  = 7 * day
	month = 30 * day
	year  = 365 * day
)

var errDuration = errors.New("not an ISO 8601 duration")

// parseDuration parses an ISO 8601 duration such as PT12S, P0D, P152D or
// P1DT2H3M4.5S, the format DRS uses for replication lag. Every component may
// carry a fraction (with '.' or ','); a leading '-' negates. Years, months
// and weeks count as 365, 30 and 7 days. Values that overflow time.Duration
// are errors, never wrapped-around numbers.
func parseDuration(s string) (time.Duration, error) {
	in := s
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") {
		return 0, fmt.Errorf("parse duration %q: %w", in, errDuration)
	}
	s = s[1:]

	// Designators must appear in this order, each at most once; 'M' means
	// months before the 'T' and minutes after it.
	dateUnits := []unit{{'Y', year}, {'M', month}, {'W', week}, {'D', day}}
	timeUnits := []unit{{'H', time.Hour}, {'M', time.Minute}, {'S', time.Second}}

	datePart, timePart, hasT := strings.Cut(s, "T")
	if hasT && timePart == "" {
		return 0, fmt.Errorf("parse duration %q: %w: empty time part", in, errDuration)
	}
	if datePart == "" && !hasT {
		return 0, fmt.Errorf("parse duration %q: %w: no components", in, errDuration)
	}
	total, err := sumComponents(datePart, dateUnits)
	if err != nil {
		return 0, fmt.Errorf("parse duration %q: %w", in, err)
	}
	t, err := sumComponents(timePart, timeUnits)
	if err != nil {
		return 0, fmt.Errorf("parse duration %q: %w", in, err)
	}
	if total > math.MaxInt64-t {
		return 0, fmt.Errorf("parse duration %q: %w: overflow", in, errDuration)
	}
	total += t
	if neg {
		total = -total
	}
	return total, nil
}

type unit struct {
	designator byte
	length     time.Duration
}

// sumComponents adds up the components of one part of a duration ("1D" or
// "2H3M4.5S"), whose designators must follow the order in units.
func sumComponents(s string, units []unit) (time.Duration, error) {
	var total time.Duration
	next := 0 // index in units of the first designator still allowed
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("%w: expected a number and a designator", errDuration)
		}
		number, designator := s[:i], s[i]
		s = s[i+1:]

		k := next
		for k < len(units) && units[k].designator != designator {
			k++
		}
		if k == len(units) {
			return 0, fmt.Errorf("%w: unexpected designator %q", errDuration, designator)
		}
		next = k + 1

		d, err := component(number, units[k].length)
		if err != nil {
			return 0, err
		}
		if total > math.MaxInt64-d {
			return 0, fmt.Errorf("%w: overflow", errDuration)
		}
		total += d
	}
	return total, nil
}

// component converts "4.5" of a unit into a duration.
func component(number string, length time.Duration) (time.Duration, error) {
	whole, frac, hasFrac := strings.Cut(strings.ReplaceAll(number, ",", "."), ".")
	if whole == "" && frac == "" || strings.ContainsAny(frac, ".") {
		return 0, fmt.Errorf("%w: bad number %q", errDuration, number)
	}
	var d time.Duration
	if whole != "" {
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || n > int64(math.MaxInt64/length) {
			return 0, fmt.Errorf("%w: number %q out of range", errDuration, number)
		}
		d = time.Duration(n) * length
	}
	if hasFrac && frac != "" {
		// The fraction is below one unit, so its share cannot overflow on
		// its own; only the sum is checked.
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: bad fraction %q", errDuration, number)
		}
		share := time.Duration(math.Round(f * float64(length)))
		if d > math.MaxInt64-share {
			return 0, fmt.Errorf("%w: overflow", errDuration)
		}
		d += share
	}
	return d, nil
}
