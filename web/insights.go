package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// Charts are SVG drawn on the server in a fixed viewBox that scales to the page's width, so
// they need no script, no CDN and no sideways scroll. Colours come from the stylesheet
// (currentColor and its variables), so they follow light and dark.
const (
	chartW    = 320.0 // viewBox width
	barRow    = 34.0  // one horizontal bar: its label line and the bar under it
	barH      = 12.0
	columnTop = 8.0
	columnH   = 120.0 // plot height of a column chart; month labels go under it
)

// hbar is one horizontal bar: its label (figure included) above it, its length in viewBox units.
type hbar struct {
	Label      string
	Y, TextY   float64
	W          float64
	Class      string
	Title      string
	TableLabel string
	TableValue string
}

// hchart is a horizontal bar chart with an optional vertical reference line.
type hchart struct {
	ID, Title string
	Height    float64
	Bars      []hbar
	RefX      float64 // 0 for none
	RefTitle  string
	Empty     bool // no bar has a length: nothing to draw yet
}

// column is one vertical bar of a column chart, with its label under the plot (shown for
// every few columns only, so labels never overlap).
type column struct {
	X, Y, W, H float64
	LX         float64 // the middle, where its label goes
	Label      string
	ShowLabel  bool
	Title      string
	Value      string
}

// cchart is a column chart of months with an optional horizontal reference line.
type cchart struct {
	ID, Title string
	Columns   []column
	RefY      float64 // 0 for none
	RefTitle  string
	Unit      string
}

// insightForm is the filter form as it was filled in.
type insightForm struct {
	From, To, Severity, Component, Team string
	Err                                 *formError
}

type insightsPage struct {
	page
	Form       insightForm
	In         *amends.Insights
	Tell       hchart
	Resolve    hchart
	Monthly    cchart
	Feedback   cchart
	Components hchart
	Accounts   []accountLink
	Reference  string
	Targets    []targetRow
	Fig        figures
}

// accountLink is an account and the path of its ledger, with the name escaped as one segment.
type accountLink struct{ Name, Path string }

// figures are the page's headline numbers, written out.
type figures struct {
	ColleaguesWithin, CustomersWithin, PromisesKept, UpdatesKept, Rating string
	// VsReference compares the median time to tell customers with the published reference.
	VsReference string
}

// targetRow is one severity's time-to-own targets, as the page lists them beside the chart.
type targetRow struct {
	Severity                  amends.Severity
	ColleaguesTold, Customers string
}

// pct formats a ratio as a whole percentage, or "—" when there was nothing to divide.
func pct(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", math.Round(*r*100))
}

// durOr formats a duration figure that exists only when count > 0.
func durOr(d time.Duration, count int) string {
	if count == 0 {
		return "—"
	}
	return formatDuration(d)
}

// hbars lays out bars of values (seconds or counts) against max; a zero max draws nothing.
func hbars(id, title string, labels []string, values []float64, texts []string, classes []string, max float64) hchart {
	c := hchart{ID: id, Title: title, Height: barRow * float64(len(labels))}
	for i, l := range labels {
		w := 0.0
		if max > 0 {
			w = values[i] / max * (chartW - 2)
		}
		y := float64(i) * barRow
		c.Bars = append(c.Bars, hbar{Label: l + ": " + texts[i], TextY: y + 13, Y: y + 17, W: w, Class: classes[i],
			Title: l + ": " + texts[i], TableLabel: l, TableValue: texts[i]})
	}
	c.Empty = !slices.ContainsFunc(c.Bars, func(b hbar) bool { return b.W > 0 })
	return c
}

func (w *Web) insights(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	q := r.URL.Query()
	p := &insightsPage{Form: insightForm{From: q.Get("from"), To: q.Get("to"), Severity: q.Get("severity"),
		Component: q.Get("component"), Team: q.Get("team")}, Reference: formatDuration(amends.PublicFirstUpdateReference)}
	p.Title, p.Nav = "Insights", "insights"
	f, err := amends.ParseInsightFilter(q.Get, w.store.Location())
	if err != nil {
		if fe, status := asFormError(err, "from", "to", "severity", "component", "team"); fe != nil {
			p.Form.Err = fe
			w.render(rw, r, status, "insights", p)
			return
		}
		w.fail(rw, r, err)
		return
	}
	in, err := w.store.Insights(r.Context(), f)
	if err != nil {
		if fe, status := asFormError(err, "from", "to", "severity", "component", "team"); fe != nil {
			p.Form.Err = fe
			w.render(rw, r, status, "insights", p)
			return
		}
		w.fail(rw, r, err)
		return
	}
	accounts, err := w.store.Accounts(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	for _, a := range accounts {
		p.Accounts = append(p.Accounts, accountLink{Name: a, Path: "/accounts/" + url.PathEscape(a)})
	}
	p.In = &in
	w.charts(p)
	w.render(rw, r, http.StatusOK, "insights", p)
}

// charts lays out every chart of the page from its insights.
func (w *Web) charts(p *insightsPage) {
	in := p.In
	ct, cu := in.ColleaguesTold, in.CustomersTold
	ref := amends.PublicFirstUpdateReference
	p.Fig = figures{ColleaguesWithin: pct(ct.WithinRatio), CustomersWithin: pct(cu.WithinRatio),
		PromisesKept: pct(in.Promises.KeptRatio), UpdatesKept: pct(in.Updates.KeptRatio)}
	if in.RatingAverage != nil {
		p.Fig.Rating = fmt.Sprintf("%.1f", *in.RatingAverage)
	}
	if cu.Count > 0 {
		switch d := cu.Median; {
		case d < ref:
			p.Fig.VsReference = fmt.Sprintf("%s, %s below it", formatDuration(d), formatDuration(ref-d))
		case d == ref:
			p.Fig.VsReference = formatDuration(d) + ", the same"
		default:
			p.Fig.VsReference = fmt.Sprintf("%s, %s above it", formatDuration(d), formatDuration(d-ref))
		}
	}
	vals := []float64{ct.Median.Seconds(), ct.P90.Seconds(), cu.Median.Seconds(), cu.P90.Seconds()}
	max := ref.Seconds()
	for _, v := range vals {
		max = math.Max(max, v)
	}
	max *= 1.05
	p.Tell = hbars("chart-tell", "Time from noticed to told", []string{"Colleagues told, median", "Colleagues told, p90",
		"Customers told, median", "Customers told, p90"}, vals,
		[]string{durOr(ct.Median, ct.Count), durOr(ct.P90, ct.Count), durOr(cu.Median, cu.Count), durOr(cu.P90, cu.Count)},
		[]string{"bar-a", "bar-a bar-light", "bar-b", "bar-b bar-light"}, max)
	p.Tell.RefX = ref.Seconds() / max * (chartW - 2)
	p.Tell.RefTitle = fmt.Sprintf("%s: the published average delay of a first public update", formatDuration(ref))

	rs, lc := in.Resolved, in.LoopClosed
	vals = []float64{rs.Median.Seconds(), rs.P90.Seconds(), lc.Median.Seconds(), lc.P90.Seconds()}
	max = 0
	for _, v := range vals {
		max = math.Max(max, v)
	}
	p.Resolve = hbars("chart-resolve", "Time from noticed to resolved and to the loop closed", []string{"Resolved, median", "Resolved, p90",
		"Loop closed, median", "Loop closed, p90"}, vals,
		[]string{durOr(rs.Median, rs.Count), durOr(rs.P90, rs.Count), durOr(lc.Median, lc.Count), durOr(lc.P90, lc.Count)},
		[]string{"bar-a", "bar-a bar-light", "bar-b", "bar-b bar-light"}, max)

	// Customers told, median per month, against the reference.
	maxM := ref.Seconds()
	for _, m := range in.Months {
		maxM = math.Max(maxM, m.CustomersTold.Median.Seconds())
	}
	maxM *= 1.05
	p.Monthly = columns("chart-monthly", "Time from noticed to customers told, median per month", in.Months, func(m amends.MonthInsight) (float64, string, bool) {
		return m.CustomersTold.Median.Seconds(), durOr(m.CustomersTold.Median, m.CustomersTold.Count), m.CustomersTold.Count > 0
	}, maxM)
	p.Monthly.RefY = columnTop + columnH - ref.Seconds()/maxM*columnH
	p.Monthly.RefTitle = p.Tell.RefTitle
	p.Feedback = columns("chart-feedback", "Customer feedback, average rating per month (1 to 5)", in.Months, func(m amends.MonthInsight) (float64, string, bool) {
		if m.RatingAverage == nil {
			return 0, "no answers", false
		}
		return *m.RatingAverage, fmt.Sprintf("%.1f of 5 (%d answers)", *m.RatingAverage, m.Ratings), true
	}, 5)

	comps := in.Components
	if len(comps) > 12 {
		comps = comps[:12]
	}
	var labels, texts, classes []string
	var counts []float64
	maxC := 0.0
	for _, c := range comps {
		labels = append(labels, c.Component)
		counts = append(counts, float64(c.Incidents))
		texts = append(texts, formatCount(c.Incidents))
		classes = append(classes, "bar-a")
		maxC = math.Max(maxC, float64(c.Incidents))
	}
	p.Components = hbars("chart-components", "Incidents per component", labels, counts, texts, classes, maxC)
	for _, s := range []amends.Severity{1, 2, 3, 4} {
		t := in.Targets[s]
		row := targetRow{Severity: s, ColleaguesTold: "none", Customers: "none"}
		if t.ColleaguesTold > 0 {
			row.ColleaguesTold = formatDuration(t.ColleaguesTold)
		}
		if t.CustomersTold > 0 {
			row.Customers = formatDuration(t.CustomersTold)
		}
		p.Targets = append(p.Targets, row)
	}
}

// columns lays out one column per month; value returns the height's figure, its text and
// whether there is one.
func columns(id, title string, months []amends.MonthInsight, value func(amends.MonthInsight) (float64, string, bool), max float64) cchart {
	c := cchart{ID: id, Title: title}
	n := len(months)
	if n == 0 {
		return c
	}
	slot := (chartW - 2) / float64(n)
	every := (n + 7) / 8 // at most 8 labels
	some := false
	for i, m := range months {
		v, text, ok := value(m)
		some = some || ok
		h := 0.0
		if ok && max > 0 {
			h = math.Max(v/max*columnH, 1)
		}
		x := 1 + float64(i)*slot + slot*0.15
		c.Columns = append(c.Columns, column{X: x, W: slot * 0.7, LX: x + slot*0.35, Y: columnTop + columnH - h, H: h,
			Label: m.Month, ShowLabel: i%every == 0, Title: m.Month + ": " + text, Value: text})
	}
	if !some {
		c.Columns = nil // nothing to draw: no month has a figure
	}
	return c
}

// Causes lists the root-cause categories the incident's details form offers.
func (detailsForm) Causes() []amends.Cause { return amends.Causes }
