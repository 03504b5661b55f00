package channel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// userAgent is sent with every webhook request.
const userAgent = "amends"

// Response bodies are drained up to drainLimit so the connection can be reused; the first
// snippetLen bytes of an error answer go into the error message.
const (
	drainLimit = 64 << 10
	snippetLen = 200
)

// NewHTTPClient returns the client the webhook channels share: every request is bounded by
// timeout (DefaultTimeout when ≤ 0) from dial to the last byte of the answer, redirects are not
// followed, and the transport keeps up to 256 idle connections per host, so a fan-out to a
// thousand receivers on one chat service is not throttled to http.DefaultTransport's two.
func NewHTTPClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = timeout
	t.TLSHandshakeTimeout = min(timeout, 10*time.Second)
	return &http.Client{Timeout: timeout, Transport: t, CheckRedirect: noRedirect}
}

// noRedirect hands the 3xx answer back to post, which makes it a permanent failure: a webhook
// that redirects is misconfigured, and following it would re-send the body somewhere unchecked.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// poster is what the three webhook channels share: one client, one clock, one classification.
type poster struct {
	client *http.Client
	now    func() time.Time
}

func newPoster(client *http.Client, opts []Option) poster {
	if client == nil {
		client = NewHTTPClient(DefaultTimeout)
	}
	c := *client // a copy, so redirects are refused whatever client the caller passed
	c.CheckRedirect = noRedirect
	return poster{client: &c, now: buildOptions(opts).now}
}

// post sends body as JSON to rawURL with the extra headers and classifies the outcome: nil for
// 2xx; temporary for network errors, timeouts, 408, 425, 429 and 5xx (with Retry-After when
// given); permanent for redirects and every other 4xx. Error messages name only the receiver's
// host: a webhook URL is a credential and must not reach the logs.
func (p poster) post(ctx context.Context, rawURL string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return invalid(fmt.Errorf("address: cannot build a request: %w", unwrapURLError(err)))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	host := req.URL.Host

	resp, err := p.client.Do(req)
	if err != nil {
		return temporary(0, 0, fmt.Errorf("POST to %s: %w", host, describeNetError(unwrapURLError(err))))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, snippetLen))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	return classify(host, resp, snippet, p.now())
}

func classify(host string, resp *http.Response, snippet []byte, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	msg := fmt.Sprintf("%s answered %s", host, resp.Status)
	if s := oneLine(string(snippet)); s != "" {
		msg += ": " + truncate(s, snippetLen)
	}
	switch {
	case code >= 300 && code < 400:
		return permanent(code, fmt.Errorf("%s; redirects are not followed: save the final URL of the webhook", msg))
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		return temporary(code, parseRetryAfter(resp.Header.Get("Retry-After"), now), errors.New(msg))
	case code >= 400:
		return permanent(code, errors.New(msg))
	}
	return temporary(code, 0, errors.New(msg))
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP-date measured from now.
// It returns 0 when the value is absent, unreadable or in the past, and at most MaxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || n > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, MaxRetryAfter))
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// describeNetError keeps err (for errors.As) but says plainly when it was a timeout.
func describeNetError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}
