package statuspage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/statuspage"
	"github.com/amends/amends/store"
)

// TestPromisesAreShown checks that an incident's public promises are on the page and in the
// JSON document with their due dates, and a done one with when it was done.
func TestPromisesAreShown(t *testing.T) {
	r, err := statuspage.NewRenderer("Acme", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	done := at.Add(48 * time.Hour)
	inc := amends.PublicIncident{Ref: "INC-1", Title: "Wrong invoices", Severity: 2, Status: amends.Resolved, ResolvedAt: &at,
		Updates: []amends.PublicUpdate{{N: 1, At: at, RecordedAt: at, Status: amends.Investigating, Body: "We sent wrong invoices."}},
		Promises: []amends.PublicPromise{{Title: "Refund <every> customer", DueDate: "2026-11-05", DoneAt: &done},
			{Title: "Check every invoice run", DueDate: "2026-11-20"}}}
	f, err := r.Render(store.PublicState{Version: 1, PublishedAt: at, History: []amends.PublicIncident{inc}}, statuspage.Links{Page: "https://x/status"}, "k")
	if err != nil {
		t.Fatal(err)
	}
	page := string(f.HTML)
	if !strings.Contains(page, "What we promised") || !strings.Contains(page, "Refund &lt;every&gt; customer") ||
		!strings.Contains(page, "by <time datetime=\"2026-11-20\">2026-11-20</time>") || !strings.Contains(page, "<strong>done</strong>") {
		t.Errorf("page does not show the promises:\n%s", page)
	}
	js := string(f.JSON)
	if !strings.Contains(js, `"promises"`) || !strings.Contains(js, "2026-11-20") || !strings.Contains(js, "2026-11-05T15:00:00Z") {
		t.Errorf("JSON does not carry the promises:\n%s", js)
	}
}
