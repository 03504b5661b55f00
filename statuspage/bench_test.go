package statuspage_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures the handler.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkServeStatus is the hot path of GET /status without the network: pick the snapshot,
// negotiate gzip, check the ETag, set headers, write the prepared bytes.
func BenchmarkServeStatus(b *testing.B) {
	f := newFixture(b, "sqlite")
	h := f.pub.Routes()[0].Handler
	for _, tc := range []struct{ name, enc string }{{"identity", ""}, {"gzip", "gzip, deflate, br"}} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/status", nil)
			if tc.enc != "" {
				req.Header.Set("Accept-Encoding", tc.enc)
			}
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}
