package channel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// statusServer answers every request with code and the given headers.
func statusServer(t *testing.T, code int, header map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		fmt.Fprint(w, "receiver says\r\nhello")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// everySender is one sender per HTTP channel, with a destination on url.
func everySender(url string, client *http.Client) []struct {
	name string
	s    Sender
	d    Destination
} {
	return []struct {
		name string
		s    Sender
		d    Destination
	}{
		{"slack", NewSlack(client, WithClock(clock)), Destination{Kind: KindSlack, Address: url}},
		{"teams", NewTeams(client, WithClock(clock)), Destination{Kind: KindTeams, Address: url}},
		{"webhook", NewWebhook(client, WithClock(clock)), Destination{Kind: KindWebhook, Address: url, Secret: "s"}},
	}
}

func TestHTTPStatusDecidesRetry(t *testing.T) {
	date := testNow.Add(90 * time.Second).Format(http.TimeFormat)
	tests := []struct {
		code          int
		header        map[string]string
		wantErr       bool
		wantPermanent bool
		wantAfter     time.Duration
	}{
		{code: 200},
		{code: 201},
		{code: 202},
		{code: 204},
		{code: 400, wantErr: true, wantPermanent: true},
		{code: 401, wantErr: true, wantPermanent: true},
		{code: 403, wantErr: true, wantPermanent: true},
		{code: 404, wantErr: true, wantPermanent: true},
		{code: 410, wantErr: true, wantPermanent: true},
		{code: 413, wantErr: true, wantPermanent: true},
		{code: 422, wantErr: true, wantPermanent: true},
		{code: 408, wantErr: true},
		{code: 425, wantErr: true},
		{code: 429, wantErr: true},
		{code: 429, header: map[string]string{"Retry-After": "7"}, wantErr: true, wantAfter: 7 * time.Second},
		{code: 429, header: map[string]string{"Retry-After": date}, wantErr: true, wantAfter: 90 * time.Second},
		{code: 503, header: map[string]string{"Retry-After": "120"}, wantErr: true, wantAfter: 2 * time.Minute},
		{code: 503, header: map[string]string{"Retry-After": date}, wantErr: true, wantAfter: 90 * time.Second},
		{code: 500, wantErr: true},
		{code: 502, wantErr: true},
		{code: 504, wantErr: true},
		{code: 301, header: map[string]string{"Location": "/elsewhere"}, wantErr: true, wantPermanent: true},
		{code: 302, header: map[string]string{"Location": "/elsewhere"}, wantErr: true, wantPermanent: true},
		{code: 307, header: map[string]string{"Location": "/elsewhere"}, wantErr: true, wantPermanent: true},
		{code: 308, header: map[string]string{"Location": "/elsewhere"}, wantErr: true, wantPermanent: true},
	}
	for _, tt := range tests {
		srv := statusServer(t, tt.code, tt.header)
		for _, c := range everySender(srv.URL+"/hooks/T000/B000/SECRETTOKEN", nil) {
			t.Run(fmt.Sprintf("%d %v %s", tt.code, tt.header, c.name), func(t *testing.T) {
				err := c.s.Send(context.Background(), c.d, sampleMessage())
				if !tt.wantErr {
					if err != nil {
						t.Fatalf("Send = %v, want nil", err)
					}
					return
				}
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("Send = %v, want an *Error", err)
				}
				if ce.Permanent != tt.wantPermanent || ce.Status != tt.code || ce.RetryAfter != tt.wantAfter {
					t.Errorf("Permanent, Status, RetryAfter = %v, %d, %v; want %v, %d, %v (%v)",
						ce.Permanent, ce.Status, ce.RetryAfter, tt.wantPermanent, tt.code, tt.wantAfter, err)
				}
				if strings.Contains(err.Error(), "SECRETTOKEN") {
					t.Errorf("error %q reveals the webhook URL's path", err)
				}
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Errorf("error %q spans lines", err)
				}
			})
		}
	}
}

func TestHTTPRedirectIsNotFollowed(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer target.Close()
	redirect := statusServer(t, http.StatusTemporaryRedirect, map[string]string{"Location": target.URL})
	// Even a client that follows redirects does not, once handed to a sender.
	following := &http.Client{Timeout: time.Second}
	for _, c := range everySender(redirect.URL, following) {
		err := c.s.Send(context.Background(), c.d, sampleMessage())
		if !IsPermanent(err) || !strings.Contains(err.Error(), "redirects are not followed") {
			t.Errorf("%s: Send = %v, want a permanent redirect error", c.name, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want 0", n)
	}
}

// TestSlowReceiverTimesOutWithoutHoldingUpOthers sends to a receiver that never answers and,
// at the same time, to one that answers at once: the fast one is done long before the slow one
// times out, and the slow one's error is temporary and says it timed out.
func TestSlowReceiverTimesOutWithoutHoldingUpOthers(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	fast := statusServer(t, http.StatusOK, nil)

	const timeout = time.Second
	w := NewWebhook(NewHTTPClient(timeout))
	var wg sync.WaitGroup
	var slowErr error
	var slowDone, fastDone time.Time
	start := time.Now()
	wg.Add(2)
	go func() {
		defer wg.Done()
		slowErr = w.Send(context.Background(), Destination{Kind: KindWebhook, Address: slow.URL, Secret: "s"}, sampleMessage())
		slowDone = time.Now()
	}()
	go func() {
		defer wg.Done()
		if err := w.Send(context.Background(), Destination{Kind: KindWebhook, Address: fast.URL, Secret: "s"}, sampleMessage()); err != nil {
			t.Errorf("fast receiver: %v", err)
		}
		fastDone = time.Now()
	}()
	wg.Wait()

	if d := slowDone.Sub(start); d < timeout || d > timeout+2*time.Second {
		t.Errorf("slow receiver took %v, want about the %v timeout", d, timeout)
	}
	if !fastDone.Before(slowDone) || fastDone.Sub(start) > timeout/2 {
		t.Errorf("fast receiver finished after %v (slow after %v): it was held up", fastDone.Sub(start), slowDone.Sub(start))
	}
	var ne net.Error
	if slowErr == nil || IsPermanent(slowErr) || !errors.As(slowErr, &ne) || !ne.Timeout() || !strings.Contains(slowErr.Error(), "timed out") {
		t.Errorf("slow receiver: %v, want a temporary timeout", slowErr)
	}
}

func TestHTTPNetworkErrorIsTemporary(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/hooks/SECRETTOKEN"
	l.Close()
	for _, c := range everySender(url, nil) {
		err := c.s.Send(context.Background(), c.d, sampleMessage())
		var ce *Error
		if !errors.As(err, &ce) || ce.Permanent || ce.Status != 0 {
			t.Errorf("%s: Send = %v, want a temporary error without status", c.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "SECRETTOKEN") {
			t.Errorf("%s: error %q reveals the webhook URL's path", c.name, err)
		}
	}
}

func TestHTTPFanOutToOneHost(t *testing.T) {
	var inflight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inflight.Add(-1)
	}))
	defer srv.Close()
	w := NewWebhook(NewHTTPClient(5 * time.Second))
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := sampleMessage()
			m.DeliveryID = fmt.Sprintf("del-%d", i)
			if err := w.Send(context.Background(), Destination{Kind: KindWebhook, Address: srv.URL, Secret: "s"}, m); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Send: %v", err)
	}
	if p := peak.Load(); p < 20 {
		t.Errorf("at most %d requests were in flight at once, want a real fan-out", p)
	}
}

func TestNewHTTPClient(t *testing.T) {
	c := NewHTTPClient(0)
	if c.Timeout != DefaultTimeout {
		t.Errorf("Timeout = %v, want %v", c.Timeout, DefaultTimeout)
	}
	tr, ok := c.Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost < 256 {
		t.Errorf("transport %T keeps too few idle connections per host", c.Transport)
	}
	if c.CheckRedirect == nil {
		t.Error("CheckRedirect is nil: redirects would be followed")
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"30", 30 * time.Second},
		{" 30 ", 30 * time.Second},
		{"-5", 0},
		{"1.5", 0},
		{"soon", 0},
		{"99999999999999999999", MaxRetryAfter},
		{"86400", MaxRetryAfter},
		{testNow.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
		{testNow.Add(-time.Minute).Format(http.TimeFormat), 0},
		{testNow.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
		{testNow.Add(45 * time.Second).Format(time.RFC850), 45 * time.Second},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, testNow); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
