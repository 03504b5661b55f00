package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestForwardedClient(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies trusted: the header is ignored", nil, "127.0.0.1:5000", []string{"203.0.113.9"}, "127.0.0.1:5000"},
		{"a client that is not a proxy cannot name another", trusted, "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7:5000"},
		{"through one trusted proxy", trusted, "127.0.0.1:5000", []string{"203.0.113.9"}, "203.0.113.9:0"},
		{"a spoofed hop left of the real one is ignored", trusted, "127.0.0.1:5000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9:0"},
		{"through two trusted proxies", trusted, "127.0.0.1:5000", []string{"203.0.113.9, 10.1.2.3"}, "203.0.113.9:0"},
		{"hops in several headers", trusted, "127.0.0.1:5000", []string{"1.1.1.1", "203.0.113.9, 10.1.2.3"}, "203.0.113.9:0"},
		{"a client inside the proxies' network", trusted, "127.0.0.1:5000", []string{"10.9.9.9"}, "10.9.9.9:0"},
		{"a malformed hop stops belief", trusted, "127.0.0.1:5000", []string{"203.0.113.9, not-an-ip"}, "127.0.0.1:5000"},
		{"no header from a proxy", trusted, "127.0.0.1:5000", nil, "127.0.0.1:5000"},
		{"IPv6 client through an IPv6 proxy", trusted, "[::1]:5000", []string{"2001:db8::7"}, "[2001:db8::7]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := forwardedClient(tt.trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.want {
				t.Errorf("client = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8 ,192.168.1.7,, fd00::/8 ")
	if err != nil || len(got) != 3 || got[1].String() != "192.168.1.7/32" {
		t.Errorf("ParseTrustedProxies = %v, %v", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
