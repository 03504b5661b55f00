package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// insightTTL is how long one computation of the insights serves scrapes: a scrape every few
// seconds costs one set of insight queries per insightTTL, not one per scrape.
const insightTTL = 30 * time.Second

// insightCollector exposes the all-time insights (amends.Insights over every incident) as
// gauges, computed at scrape time and kept for insightTTL.
type insightCollector struct {
	store *store.Store
	now   func() time.Time
	log   *slog.Logger

	mu     sync.Mutex
	at     time.Time
	cached *amends.Insights

	quantiles                              map[string]*prometheus.Desc
	within, incidents, open, promisesKept  *prometheus.Desc
	promisesOverdue, updatesKept, feedback *prometheus.Desc
	repeats                                *prometheus.Desc
}

func newInsightCollector(st *store.Store, now func() time.Time, log *slog.Logger) *insightCollector {
	if now == nil {
		now = time.Now
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &insightCollector{store: st, now: now, log: log,
		quantiles: map[string]*prometheus.Desc{
			"colleagues_told": d("amends_insight_time_to_colleagues_told_seconds", "Time from noticed to colleagues told, nearest-rank quantile over all incidents told.", "quantile"),
			"customers_told":  d("amends_insight_time_to_customers_told_seconds", "Time from noticed to customers told, nearest-rank quantile over all incidents told.", "quantile"),
			"resolved":        d("amends_insight_time_to_resolve_seconds", "Time from noticed to resolved, nearest-rank quantile over resolved incidents.", "quantile"),
			"loop_closed":     d("amends_insight_time_to_close_loop_seconds", "Time from noticed to the loop closed, nearest-rank quantile over closed incidents.", "quantile"),
		},
		within:          d("amends_insight_within_target_ratio", "Share of incidents judged against a time-to-own target that met it.", "instant"),
		incidents:       d("amends_insight_incidents", "Incidents recorded."),
		open:            d("amends_incidents_open", "Incidents open now."),
		promisesKept:    d("amends_promises_kept_ratio", "Public promises kept on time over those kept, kept late, dropped or overdue."),
		promisesOverdue: d("amends_promises_overdue", "Public promises open past their due date."),
		updatesKept:     d("amends_update_promises_kept_ratio", "\"Next update by\" promises of public updates that were kept."),
		feedback:        d("amends_feedback_rating_average", "Average customer feedback rating, 1 to 5."),
		repeats:         d("amends_insight_repeat_causes", "Incidents whose root-cause category had been promised away by an earlier incident's prevention."),
	}
}

// Describe sends every descriptor.
func (c *insightCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.quantiles {
		ch <- d
	}
	for _, d := range []*prometheus.Desc{c.within, c.incidents, c.open, c.promisesKept, c.promisesOverdue, c.updatesKept, c.feedback, c.repeats} {
		ch <- d
	}
}

// insights returns the cached insights, computing them when older than insightTTL. A failure
// is logged and yields nothing, so a database hiccup leaves the gauges out of one scrape
// instead of failing the whole scrape.
func (c *insightCollector) insights() *amends.Insights {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.cached != nil && now.Sub(c.at) < insightTTL && !now.Before(c.at) {
		return c.cached
	}
	if c.store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in, err := c.store.Insights(ctx, amends.InsightFilter{})
	if err != nil {
		c.log.Warn("insight metrics", "err", err)
		return nil
	}
	c.cached, c.at = &in, now
	return c.cached
}

// Collect sends the gauges; ratios and averages with nothing to divide are left out.
func (c *insightCollector) Collect(ch chan<- prometheus.Metric) {
	in := c.insights()
	if in == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	ratio := func(d *prometheus.Desc, v *float64, labels ...string) {
		if v != nil {
			gauge(d, *v, labels...)
		}
	}
	for name, st := range map[string]amends.DurationStats{"colleagues_told": in.ColleaguesTold, "customers_told": in.CustomersTold,
		"resolved": in.Resolved, "loop_closed": in.LoopClosed} {
		if st.Count > 0 {
			gauge(c.quantiles[name], st.Median.Seconds(), "0.5")
			gauge(c.quantiles[name], st.P90.Seconds(), "0.9")
		}
	}
	ratio(c.within, in.ColleaguesTold.WithinRatio, "colleagues_told")
	ratio(c.within, in.CustomersTold.WithinRatio, "customers_told")
	gauge(c.incidents, float64(in.Incidents))
	gauge(c.open, float64(in.Open))
	ratio(c.promisesKept, in.Promises.KeptRatio)
	gauge(c.promisesOverdue, float64(in.Promises.OpenOverdue))
	ratio(c.updatesKept, in.Updates.KeptRatio)
	ratio(c.feedback, in.RatingAverage)
	gauge(c.repeats, float64(in.RepeatsTotal))
}
