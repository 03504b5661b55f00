package main

import (
	"time"

	"github.com/amends/amends"
)

// parseWhen reads a time a person types: RFC 3339, "2006-01-02 15:04", or "15:04" meaning the
// most recent such moment (today, or yesterday when today's is still to come). Times without
// a zone are in loc.
func parseWhen(field, s string, now time.Time, loc *time.Location) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return &t, nil
		}
	}
	for _, layout := range []string{"15:04", "15:04:05"} {
		clock, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			continue
		}
		n := now.In(loc)
		t := time.Date(n.Year(), n.Month(), n.Day(), clock.Hour(), clock.Minute(), clock.Second(), 0, loc)
		if t.After(n) {
			t = t.AddDate(0, 0, -1)
		}
		return &t, nil
	}
	return nil, amends.Errorf(amends.EInvalid, field, "give a time as 14:39, 2026-11-03 14:39 or RFC 3339; got %q", s)
}
