package app

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxDuration is the longest duration an app accepts: every duration is a
// wait or a bound on one, and a day is longer than any of them sensibly is.
const MaxDuration = 24 * time.Hour

var durationShape = regexp.MustCompile(`^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`)

// ParseDuration parses a duration such as "10s", "5m", "1h30m" or "250ms".
// Negative durations are rejected, and so are those longer than
// MaxDuration.
func ParseDuration(s string) (time.Duration, error) {
	return ParseDurationShown(s, strconv.Quote(s))
}

// ParseDurationShown is ParseDuration with shown standing for s in its
// messages (a redacted form, for a sensitive value).
func ParseDurationShown(s, shown string) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, errors.New("a duration is required, such as \"10s\", \"5m\" or \"1h30m\"")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if durationShape.MatchString(strings.TrimPrefix(s, "+")) {
			// Well-formed but beyond time.Duration's range.
			return 0, fmt.Errorf("duration %s is too long; the maximum is %s", shown, FormatDuration(MaxDuration))
		}
		if strings.HasPrefix(s, "-") && durationShape.MatchString(s[1:]) {
			return 0, fmt.Errorf("duration %s must not be negative", shown)
		}
		return 0, fmt.Errorf("%s is not a duration; use a number with a unit (ms, s, m, h), such as \"10s\", \"5m\" or \"1h30m\"", shown)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %s must not be negative", shown)
	}
	if d > MaxDuration {
		return 0, fmt.Errorf("duration %s is too long; the maximum is %s", shown, FormatDuration(MaxDuration))
	}
	return d, nil
}

// FormatDuration writes d as the language does, without zero components:
// 24h, 1h30m, 10s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
