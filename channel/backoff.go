package channel

import (
	"errors"
	"math/rand/v2"
	"time"
)

// The retry schedule. A delivery is tried at most MaxAttempts times; after the last failed try
// it is dead, visible and re-drivable by a person.
//
// Before try n+1 the worker waits Backoff(n): "equal jitter" over an exponential ceiling of
// BackoffBase·2^(n-1) capped at BackoffMax, i.e. a uniform wait in [ceiling/2, ceiling):
//
//	after try   1     2     3     4      5      6      7       8       9       10…11
//	wait (s)   1–2   2–4   4–8   8–16  16–32  32–64  64–128  128–256 256–512  300–600
//
// With MaxAttempts = 12 the last try comes 18 to 37 minutes after the first. Half of each wait
// is fixed so a burst of failures never retries at once; the random half spreads a fan-out of
// thousands of deliveries so a receiver that comes back is not hit by all of them together.
const (
	BackoffBase   = 2 * time.Second  // the ceiling of the first wait
	BackoffMax    = 10 * time.Minute // no ceiling is higher
	MaxAttempts   = 12               // tries before a delivery is dead
	MaxRetryAfter = time.Hour        // a receiver's Retry-After is honoured up to this long
)

// Backoff returns how long to wait after the attempt-th failed try (1 for the first) before the
// next one: uniform in [c/2, c) where c = min(BackoffBase·2^(attempt-1), BackoffMax). rnd returns
// a number in [0, 1) (values outside are clamped); nil uses math/rand/v2. attempt < 1 counts as 1.
// The result is never below BackoffBase/2 and never above BackoffMax.
func Backoff(attempt int, rnd func() float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	ceiling := BackoffMax
	if attempt <= 30 { // 2^30 · 2 s overflows nothing but is far past the cap
		if c := BackoffBase << (attempt - 1); c < BackoffMax {
			ceiling = c
		}
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	f := rnd()
	if f < 0 || f != f {
		f = 0
	}
	if f >= 1 {
		f = 1
	}
	half := ceiling / 2
	return half + time.Duration(f*float64(ceiling-half))
}

// NextDelay tells the worker what to do after the attempt-th failed try (1 for the first) ended
// with err: retry is false when err is permanent or attempt has reached MaxAttempts (the delivery
// is dead); otherwise wait is the receiver's RetryAfter (capped at MaxRetryAfter) when it gave
// one and it is longer than the backoff, else Backoff(attempt, rnd).
func NextDelay(err error, attempt int, rnd func() float64) (wait time.Duration, retry bool) {
	if IsPermanent(err) || attempt >= MaxAttempts {
		return 0, false
	}
	wait = Backoff(attempt, rnd)
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > wait {
		wait = min(e.RetryAfter, MaxRetryAfter)
	}
	return wait, true
}
