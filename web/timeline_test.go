package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

// timelineOf returns the timeline list of an incident page, from <ol id="timeline"> to </ol>.
func timelineOf(t *testing.T, page string) string {
	t.Helper()
	start := strings.Index(page, `<ol class="timeline" id="timeline">`)
	end := strings.Index(page[max(start, 0):], "</ol>")
	if start < 0 || end < 0 {
		t.Fatalf("no timeline in the page:\n%s", page)
	}
	return page[start : start+end]
}

// TestCorrectionForm follows the correction flow: each entry links to the one correction form
// of the page, which names the entry it corrects; a refused correction comes back in that form
// with its input and the message beside the field; a recorded correction is a new entry and
// the original stays, marked corrected.
func TestCorrectionForm(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	inc := a.declare(t, "Wrong renewal email sent", at("14:39"))
	ctx := context.Background()
	ana := amends.Actor{Name: "ana", Role: amends.Responder}
	told, err := a.store.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindColleaguesTold,
		Body: "support, success and sales briefed", At: ptr(at("14:43"))}, ana)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(told.ID)
	link := `href="/incidents/INC-1?correct=` + id + `#correct"`

	_, page := a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Responder})
	if !strings.Contains(page, link) || !strings.Contains(page, `Correct<span class="visually-hidden"> this entry: Colleagues told, Tue 3 Nov 14:43 UTC</span>`) {
		t.Errorf("the entry has no named Correct link %s:\n%s", link, timelineOf(t, page))
	}
	if strings.Contains(page, `name="corrects"`) || strings.Contains(page, `id="correct"`) {
		t.Error("a correction form is shown before anyone asked for one")
	}
	_, page = a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Viewer})
	if strings.Contains(page, "?correct=") {
		t.Error("a viewer is offered Correct links")
	}

	// The link opens the form for that entry, and only that one.
	_, page = a.do(t, request{method: "GET", path: "/incidents/INC-1?correct=" + id, role: amends.Responder})
	for _, want := range []string{
		`<section aria-labelledby="correct-h" id="correct"`,
		`Correcting <a href="#e` + id + `">Colleagues told at <time datetime="2026-11-03T14:43:00Z">Tue 3 Nov 14:43 UTC</time></a>`,
		`<blockquote class="excerpt">support, success and sales briefed</blockquote>`,
		`<input type="hidden" name="corrects" value="` + id + `">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the correction form lacks %q", want)
		}
	}
	if n := strings.Count(page, `name="corrects"`); n != 1 {
		t.Errorf("%d correction forms, want 1", n)
	}
	_, page = a.do(t, request{method: "GET", path: "/incidents/INC-1?correct=" + id, role: amends.Viewer})
	if strings.Contains(page, `name="corrects"`) {
		t.Error("a viewer is shown the correction form")
	}
	for _, bad := range []string{"999", "x"} {
		resp, page := a.do(t, request{method: "GET", path: "/incidents/INC-1?correct=" + bad, role: amends.Responder})
		if resp.StatusCode != http.StatusOK || strings.Contains(page, `name="corrects"`) || !strings.Contains(page, "There is no such entry") {
			t.Errorf("?correct=%s: %d, form shown %v", bad, resp.StatusCode, strings.Contains(page, `name="corrects"`))
		}
	}

	// A refused correction keeps what was typed, in the form of the entry it was for.
	resp, page := a.do(t, request{method: "POST", path: "/incidents/INC-1/events", role: amends.Responder,
		form: url.Values{"kind": {"correction"}, "corrects": {id}, "body": {"support and success only"}, "at": {"yesterday"}}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("refused correction: %d", resp.StatusCode)
	}
	for _, want := range []string{`>support and success only</textarea>`, `value="yesterday"`,
		`<input type="hidden" name="corrects" value="` + id + `">`, `Correcting <a href="#e` + id + `">Colleagues told`} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused correction's form lacks %q", want)
		}
	}
	label, msg, field := strings.Index(page, `<label for="co-at">`), strings.Index(page, "must be a date and time"), strings.Index(page, `id="co-at"`)
	if !(label < msg && msg < field) {
		t.Errorf("the message is not beside its field (label %d, message %d, field %d)", label, msg, field)
	}

	// A recorded correction is a new entry; the original stays, shown as corrected.
	resp, _ = a.do(t, request{method: "POST", path: "/incidents/INC-1/events", role: amends.Responder,
		form: url.Values{"kind": {"correction"}, "corrects": {id}, "body": {"support and success only"}}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("correction: %d", resp.StatusCode)
	}
	events, err := a.store.Timeline(ctx, inc.Ref, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[1].ID != told.ID || events[1].Body != told.Body || events[2].Kind != amends.KindCorrection {
		t.Fatalf("timeline after the correction: %+v", events)
	}
	_, page = a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Viewer})
	list := timelineOf(t, page)
	for _, want := range []string{
		`<li id="e` + id + `" class="event kind-colleagues_told corrected backdated"`,
		`<s>support, success and sales briefed</s>`,
		`<strong>Corrected</strong> (<a href="#e` + fmt.Sprint(events[2].ID) + `">see the correction</a>): it happened at`,
		`Corrects <a href="#e` + id + `">Colleagues told at 14:43</a>`,
	} {
		if !strings.Contains(list, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, list)
		}
	}
}

// TestTimelineCache checks what the rendered timeline is kept by: it is the same for everyone
// with the same rights and holds nothing of a session, it follows every append, viewers never
// get the responders' links, and a new year rewrites its dates.
func TestTimelineCache(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	a.declare(t, "Wrong renewal email sent", at("14:39"))

	_, first := a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Responder})
	_, second := a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Admin})
	if a.web.timelines.Len() != 1 {
		t.Errorf("%d timelines kept after two views by people who may change it, want 1", a.web.timelines.Len())
	}
	list := timelineOf(t, first)
	if list != timelineOf(t, second) {
		t.Error("two responders see different timelines")
	}
	if token := csrfIn(t, first); strings.Contains(list, token) || strings.Contains(list, "<form") {
		t.Errorf("the kept timeline holds a form or the CSRF token:\n%s", list)
	}
	_, page := a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Viewer})
	if list := timelineOf(t, page); strings.Contains(list, "correct-link") || strings.Contains(list, "?correct=") {
		t.Errorf("the viewers' timeline has correction links:\n%s", list)
	}

	resp, _ := a.do(t, request{method: "POST", path: "/incidents/INC-1/events", role: amends.Responder,
		form: url.Values{"kind": {"note"}, "body": {"troubleshooting starts"}}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add event: %d", resp.StatusCode)
	}
	for _, role := range []amends.Role{amends.Viewer, amends.Responder} {
		_, page := a.do(t, request{method: "GET", path: "/incidents/INC-1", role: role})
		if !strings.Contains(timelineOf(t, page), "troubleshooting starts") {
			t.Errorf("%s: the timeline does not show the appended event", role)
		}
	}

	clock.Set(at("15:00").AddDate(0, 2, 0)) // 3 January 2027
	_, page = a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Viewer})
	if list := timelineOf(t, page); !strings.Contains(list, "Tue 3 Nov 2026 14:39 UTC") {
		t.Errorf("in the next year the timeline's dates lack their year:\n%s", list)
	}
}

// TestTimelineEntries checks what the timeline template is given for each kind of entry.
func TestTimelineEntries(t *testing.T) {
	corrects := int64(1)
	events := []amends.Event{
		{ID: 1, Seq: 1, Kind: amends.KindColleaguesTold, Body: "told", At: at("14:43"), RecordedAt: at("15:10"), Actor: "ana",
			Visibility: amends.Public},
		{ID: 2, Seq: 2, Kind: amends.KindCorrection, Body: "told sales too", At: at("14:45"), RecordedAt: at("15:20"), Actor: "ada",
			Corrects: &corrects, Visibility: amends.Internal},
	}
	got := timelineEntries("INC-7", events, true, 2026)
	want := []timelineEntry{
		{ID: "1", Class: "event kind-colleagues_told corrected backdated", Kind: "colleagues_told", KindLabel: "Colleagues told",
			AtISO: "2026-11-03T14:43:00Z", AtText: "Tue 3 Nov 14:43 UTC", Recorded: "15:10", Public: true, Actor: "ana", Body: "told",
			CorrectedBy: "2", EffAtISO: "2026-11-03T14:45:00Z", EffAtText: "Tue 3 Nov 14:45 UTC", EffBody: "told sales too",
			CorrectURL: "/incidents/INC-7?correct=1#correct", Name: "Colleagues told, Tue 3 Nov 14:43 UTC"},
		{ID: "2", Class: "event kind-correction backdated", Kind: "correction", KindLabel: "Correction",
			AtISO: "2026-11-03T14:45:00Z", AtText: "Tue 3 Nov 14:45 UTC", Recorded: "15:20", Actor: "ada", Body: "told sales too",
			CorrectsID: "1", CorrectsLabel: "Colleagues told at 14:43",
			CorrectURL: "/incidents/INC-7?correct=2#correct", Name: "Correction, Tue 3 Nov 14:45 UTC"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if got := timelineEntries("INC-7", events, false, 2027); got[0].CorrectURL != "" || got[0].AtText != "Tue 3 Nov 2026 14:43 UTC" {
		t.Errorf("for viewers, the next year: %+v", got[0])
	}

	long := amends.Event{ID: 9, Kind: amends.KindNote, At: at("14:50"), Body: strings.Repeat("word  \n", 100)}
	if c := newCorrectTarget(long, 2026); !strings.HasSuffix(c.Excerpt, "…") || len([]rune(c.Excerpt)) > excerptRunes+1 ||
		strings.Contains(c.Excerpt, "\n") || c.AtText != "Tue 3 Nov 14:50 UTC" || c.KindLabel != "Note" {
		t.Errorf("correction target of a long note: %+v", c)
	}
}

// TestTimelineOrderOfChunks checks that a timeline longer than one rendered piece keeps every
// entry once, in order.
func TestTimelineOrderOfChunks(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	inc := a.declare(t, "Wrong renewal email sent", at("10:00"))
	for i := range 2*timelineChunk + 3 {
		if _, err := a.store.AddEvent(context.Background(), inc.Ref, amends.NewEvent{Kind: amends.KindNote,
			Body: fmt.Sprintf("note %d", i), At: ptr(at("10:00").Add(time.Duration(i+1) * time.Minute))},
			amends.Actor{Name: "ana"}); err != nil {
			t.Fatal(err)
		}
	}
	_, page := a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Viewer})
	var got []string
	for _, m := range regexp.MustCompile(`<p class="prose body">note (\d+)</p>`).FindAllStringSubmatch(page, -1) {
		got = append(got, m[1])
	}
	if len(got) != 2*timelineChunk+3 {
		t.Fatalf("%d notes on the page, want %d", len(got), 2*timelineChunk+3)
	}
	for i, n := range got {
		if n != fmt.Sprint(i) {
			t.Fatalf("note %s in place %d", n, i)
		}
	}
}

func ptr[T any](v T) *T { return &v }
