package statuspage

import "testing"

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"deflate, gzip;q=1.0, *;q=0.5", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000, *", false},
		{"*", true},
		{"*;q=0", false},
		{"identity", false},
		{"br", false},
		{"x-gzip", true},
	} {
		var values []string
		if tc.header != "" {
			values = []string{tc.header}
		}
		if got := acceptsGzip(values); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestFeedIDIsAUUID(t *testing.T) {
	id := feedID("key", "feed")
	if len(id) != len("urn:uuid:")+36 || id[len("urn:uuid:")+14] != '8' || feedID("key", "feed") != id || feedID("other", "feed") == id {
		t.Errorf("feedID = %q", id)
	}
}
