package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/amends/amends"
)

// BenchmarkIncidentPage1000 measures one view of the page of an incident whose timeline holds
// 1,000 events, by a responder (the variant with a "Correct" link on every entry), through the
// real HTTP server on SQLite: session check, store reads, rendering, writing.
//
//   - unchanged: the same timeline viewed again and again, as during a quiet stretch.
//   - after-append: one event is appended before each view (outside the timer), so neither the
//     store's timeline cache nor the page's timeline fragment can be reused: every view reads
//     and renders the whole timeline.
func BenchmarkIncidentPage1000(b *testing.B) {
	a := newTestApp(b, nil)
	ctx := context.Background()
	noticed := time.Now().Add(-3 * time.Hour).Truncate(time.Minute)
	inc := a.declare(b, "Renewal emails sent to renewed customers", noticed)
	actor := amends.Actor{Name: "ana", Role: amends.Responder}
	events, err := a.store.Timeline(ctx, inc.Ref, false)
	if err != nil {
		b.Fatal(err)
	}
	// A mix like a long incident's: mostly notes, some public, some back-dated, a few
	// corrections of earlier entries.
	var last int64
	for i := len(events); i < 1000; i++ {
		n := amends.NewEvent{Kind: amends.KindNote, Body: fmt.Sprintf("Update %d: still checking the send logs of <the batch job> for renewed plans.", i)}
		switch {
		case i%50 == 0 && last != 0:
			n = amends.NewEvent{Kind: amends.KindCorrection, Body: fmt.Sprintf("Correction %d: it was the other batch.", i), Corrects: &last}
		case i%10 == 0:
			n.Visibility = amends.Public
		case i%7 == 0:
			at := noticed.Add(time.Duration(i) * time.Second)
			n.At = &at
		}
		e, err := a.store.AddEvent(ctx, inc.Ref, n, actor)
		if err != nil {
			b.Fatal(err)
		}
		last = e.ID
	}
	cookie, _ := a.session(b, amends.Responder)
	client := a.srv.Client()
	view := func(b *testing.B) {
		req, err := http.NewRequest(http.MethodGet, a.srv.URL+"/incidents/"+inc.Ref, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.AddCookie(cookie)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("incident page: %d, %d bytes, %v", resp.StatusCode, n, err)
		}
		b.ReportMetric(float64(n), "B/page")
	}
	b.Run("unchanged", func(b *testing.B) {
		view(b) // the first view fills the caches
		for b.Loop() {
			view(b)
		}
	})
	b.Run("after-append", func(b *testing.B) {
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			if _, err := a.store.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindNote,
				Body: fmt.Sprintf("Appended %d while the page is watched.", i)}, actor); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			view(b)
		}
	})
}
