package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/server"
	"github.com/amends/amends/store"
)

func TestInsightMetricsAreCachedForThirtySeconds(t *testing.T) {
	ctx := context.Background()
	clock := amendstest.NewClock(time.Date(2026, 11, 3, 20, 0, 0, 0, time.UTC))
	s, err := store.Open(ctx, amendstest.DatabaseURL(t, "sqlite"), "", store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: s, Checker: checker, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		BaseURL: "http://127.0.0.1", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	who := amends.Actor{Name: "ana", Role: amends.Responder}
	noticed := time.Date(2026, 11, 3, 14, 39, 0, 0, time.UTC)
	inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Renewal reminder", Severity: 2, NoticedAt: &noticed}, who)
	if err != nil {
		t.Fatal(err)
	}
	told := noticed.Add(4 * time.Minute)
	if _, err := s.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindColleaguesTold, Body: "told", At: &told}, who); err != nil {
		t.Fatal(err)
	}
	scrape := func() string {
		_, body := get(t, hs.URL+"/metrics", "")
		return body
	}
	body := scrape()
	for _, want := range []string{
		`amends_insight_time_to_colleagues_told_seconds{quantile="0.5"} 240`,
		`amends_insight_time_to_colleagues_told_seconds{quantile="0.9"} 240`,
		`amends_insight_within_target_ratio{instant="colleagues_told"} 1`,
		"amends_insight_incidents 1",
		"amends_incidents_open 1",
		"amends_promises_overdue 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "amends_feedback_rating_average") || strings.Contains(body, "amends_promises_kept_ratio") {
		t.Error("a ratio with nothing to divide was exposed")
	}
	if _, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Second", Severity: 3}, who); err != nil {
		t.Fatal(err)
	}
	clock.Advance(29 * time.Second)
	if body := scrape(); !strings.Contains(body, "amends_insight_incidents 1\n") {
		t.Error("a scrape within 30 s recomputed the insights")
	}
	clock.Advance(2 * time.Second)
	if body := scrape(); !strings.Contains(body, "amends_insight_incidents 2\n") || !strings.Contains(body, "amends_incidents_open 2\n") {
		t.Error("a scrape after 30 s did not recompute the insights")
	}
}
