package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/amends/amends"
)

// BenchmarkPostmortem2000 measures one view of a postmortem whose incident's timeline holds
// 2,000 events, through the real HTTP server on SQLite (session check, store reads, prefill,
// timeline and durations, Markdown rendering and sanitizing of every section, the ownership
// checks, writing): the document page with its edit forms, the print view, and the Markdown
// download. The target is under 50 ms per view.
func BenchmarkPostmortem2000(b *testing.B) {
	a := newTestApp(b, nil)
	ctx := context.Background()
	noticed := time.Now().Add(-5 * time.Hour).Truncate(time.Minute)
	inc := a.declare(b, "Renewal emails sent to renewed customers", noticed)
	actor := amends.Actor{Name: "ana", Role: amends.Responder}
	for i := 1; i < 2000; i++ {
		n := amends.NewEvent{Kind: amends.KindNote, Body: fmt.Sprintf("Update %d: still checking the send logs of <the batch job> for *renewed* plans.", i)}
		if i%10 == 0 {
			n.Visibility = amends.Public
		}
		if _, err := a.store.AddEvent(ctx, inc.Ref, n, actor); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range []amends.SectionName{amends.SectionSolution, amends.SectionLearned, amends.SectionPrevention, amends.SectionApology} {
		md := "We corrected the **segment filter**.\n\n- [x] a test for renewed accounts (owner: dana, due Friday)\n\n| what | when |\n|---|---|\n| fix | 14:55 |\n"
		if _, err := a.store.SaveSection(ctx, inc.Ref, s, md, true, 0, actor); err != nil {
			b.Fatal(err)
		}
	}
	// 50 attachments: screenshots (small PNGs) and supporting data, as the target says.
	for i := 0; i < 50; i++ {
		var buf bytes.Buffer
		if i%2 == 0 {
			img := image.NewRGBA(image.Rect(0, 0, 64, 32))
			for p := range img.Pix {
				img.Pix[p] = byte(i * p)
			}
			png.Encode(&buf, img)
			if _, err := a.store.Attach(ctx, inc.Ref, fmt.Sprintf("screenshot-%d.png", i), &buf, actor); err != nil {
				b.Fatal(err)
			}
			continue
		}
		fmt.Fprintf(&buf, "account,orders\nacme-%d,3\nglobex,1\n", i)
		if _, err := a.store.Attach(ctx, inc.Ref, fmt.Sprintf("affected-%d.csv", i), &buf, actor); err != nil {
			b.Fatal(err)
		}
	}
	cookie, _ := a.session(b, amends.Responder)
	client := a.srv.Client()
	for _, v := range []struct{ name, path string }{
		{"page", "/incidents/" + inc.Ref + "/postmortem"},
		{"print", "/incidents/" + inc.Ref + "/postmortem/print"},
		{"markdown", "/incidents/" + inc.Ref + "/postmortem.md"},
	} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, a.srv.URL+v.path, nil)
				req.AddCookie(cookie)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d, %v", v.path, resp.StatusCode, err)
				}
				b.ReportMetric(float64(n), "B/page")
			}
		})
	}
}
