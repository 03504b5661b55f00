package channel

import (
	"errors"
	"testing"
	"time"
)

func TestBackoffSchedule(t *testing.T) {
	tests := []struct {
		attempt  int
		low, top time.Duration
	}{
		{-3, time.Second, 2 * time.Second},
		{0, time.Second, 2 * time.Second},
		{1, time.Second, 2 * time.Second},
		{2, 2 * time.Second, 4 * time.Second},
		{3, 4 * time.Second, 8 * time.Second},
		{9, 256 * time.Second, 512 * time.Second},
		{10, 5 * time.Minute, 10 * time.Minute},
		{11, 5 * time.Minute, 10 * time.Minute},
		{64, 5 * time.Minute, 10 * time.Minute},
		{1 << 30, 5 * time.Minute, 10 * time.Minute},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt, func() float64 { return 0 }); got != tt.low {
			t.Errorf("Backoff(%d, 0) = %v, want %v", tt.attempt, got, tt.low)
		}
		if got := Backoff(tt.attempt, func() float64 { return 0.5 }); got != tt.low+(tt.top-tt.low)/2 {
			t.Errorf("Backoff(%d, 0.5) = %v, want %v", tt.attempt, got, tt.low+(tt.top-tt.low)/2)
		}
		if got := Backoff(tt.attempt, func() float64 { return 0.999999 }); got < tt.top-time.Millisecond || got > tt.top {
			t.Errorf("Backoff(%d, ~1) = %v, want just under %v", tt.attempt, got, tt.top)
		}
	}
}

func TestBackoffUpperBoundIsMonotoneAndCapped(t *testing.T) {
	top := func() float64 { return 0.999999999 }
	prev := time.Duration(0)
	for a := 1; a <= 100; a++ {
		got := Backoff(a, top)
		if got < prev {
			t.Errorf("Backoff(%d) = %v < Backoff(%d) = %v", a, got, a-1, prev)
		}
		if got > BackoffMax {
			t.Errorf("Backoff(%d) = %v > cap %v", a, got, BackoffMax)
		}
		prev = got
	}
}

func TestBackoffJitterStaysInBounds(t *testing.T) {
	for _, f := range []float64{-1, -0.0001, 0, 0.25, 0.75, 1, 2} {
		got := Backoff(4, func() float64 { return f })
		if got < 8*time.Second || got > 16*time.Second {
			t.Errorf("Backoff(4, %v) = %v, want within [8s, 16s]", f, got)
		}
	}
	for range 1000 { // the default source
		if got := Backoff(4, nil); got < 8*time.Second || got >= 16*time.Second {
			t.Fatalf("Backoff(4, nil) = %v, want within [8s, 16s)", got)
		}
	}
}

func TestNextDelay(t *testing.T) {
	half := func() float64 { return 0.5 }
	tests := []struct {
		name      string
		err       error
		attempt   int
		wantWait  time.Duration
		wantRetry bool
	}{
		{"temporary: backoff", &Error{Status: 503, Err: errors.New("x")}, 3, 6 * time.Second, true},
		{"permanent: dead", &Error{Permanent: true, Status: 404, Err: errors.New("x")}, 1, 0, false},
		{"last attempt: dead", &Error{Status: 503, Err: errors.New("x")}, MaxAttempts, 0, false},
		{"Retry-After longer than backoff wins", &Error{Status: 429, RetryAfter: time.Minute, Err: errors.New("x")}, 1, time.Minute, true},
		{"Retry-After shorter than backoff loses", &Error{Status: 429, RetryAfter: time.Second, Err: errors.New("x")}, 5, 24 * time.Second, true},
		{"Retry-After capped", &Error{Status: 429, RetryAfter: 5 * time.Hour, Err: errors.New("x")}, 1, MaxRetryAfter, true},
		{"foreign error: retried", errors.New("surprise"), 2, 3 * time.Second, true},
	}
	for _, tt := range tests {
		wait, retry := NextDelay(tt.err, tt.attempt, half)
		if wait != tt.wantWait || retry != tt.wantRetry {
			t.Errorf("%s: NextDelay = %v, %v; want %v, %v", tt.name, wait, retry, tt.wantWait, tt.wantRetry)
		}
	}
	// The whole schedule: the last try comes 18.5 to 37 minutes after the first.
	var low, high time.Duration
	for a := 1; a < MaxAttempts; a++ {
		low += Backoff(a, func() float64 { return 0 })
		high += Backoff(a, func() float64 { return 1 })
	}
	if low != 1111*time.Second || high != 2222*time.Second {
		t.Errorf("schedule spans %v to %v, want 18m31s to 37m2s", low, high)
	}
}
