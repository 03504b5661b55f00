package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// TestAfternoonInsights checks the insights of the sample afternoon, as the JSON API answers
// them, against DESIGN.md: colleagues told 4 minutes after it was noticed, customers told
// 4 hours after, the loop closed 4 hours 6 minutes after; on both databases.
func TestAfternoonInsights(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
			clock := amendstest.NewClock(day.Add(19 * time.Hour))
			st, err := store.Open(context.Background(), amendstest.DatabaseURL(t, engine), "", store.Options{Now: clock.Now, Location: time.UTC, Files: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if _, err := loadDemo(context.Background(), st, day); err != nil {
				t.Fatal(err)
			}
			in, err := st.Insights(context.Background(), amends.InsightFilter{From: day, To: day.AddDate(0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(in)
			var got struct {
				Incidents      int `json:"incidents"`
				ColleaguesTold struct {
					Count   int     `json:"count"`
					Median  float64 `json:"median_seconds"`
					P90     float64 `json:"p90_seconds"`
					Within  int     `json:"within_target"`
					Targets int     `json:"targets"`
				} `json:"colleagues_told"`
				CustomersTold struct {
					Median  float64 `json:"median_seconds"`
					Within  int     `json:"within_target"`
					Targets int     `json:"targets"`
				} `json:"customers_told"`
				Resolved struct {
					Median float64 `json:"median_seconds"`
				} `json:"resolved"`
				LoopClosed struct {
					Median float64 `json:"median_seconds"`
				} `json:"loop_closed"`
				Updates  struct{ Due, Late int } `json:"updates"`
				Promises struct {
					Open int `json:"open"`
				} `json:"promises"`
				Components []amends.ComponentCount `json:"components"`
				Reference  float64                 `json:"public_first_update_reference_seconds"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Incidents != 1 || got.ColleaguesTold.Count != 1 {
				t.Fatalf("insights %s", b)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"colleagues told (median)", got.ColleaguesTold.Median, (4 * time.Minute).Seconds()},
				{"colleagues told (p90)", got.ColleaguesTold.P90, (4 * time.Minute).Seconds()},
				{"customers told", got.CustomersTold.Median, (4 * time.Hour).Seconds()},
				{"resolved", got.Resolved.Median, (4 * time.Hour).Seconds()},
				{"loop closed", got.LoopClosed.Median, (4*time.Hour + 6*time.Minute).Seconds()},
				{"published reference", got.Reference, (30 * time.Minute).Seconds()},
			} {
				if c.got != c.want {
					t.Errorf("%s: %v s, want %v s", c.name, c.got, c.want)
				}
			}
			// SEV2: colleagues within 15 minutes (kept), customers within 2 hours (missed).
			if got.ColleaguesTold.Within != 1 || got.ColleaguesTold.Targets != 1 || got.CustomersTold.Within != 0 || got.CustomersTold.Targets != 1 {
				t.Errorf("targets: %s", b)
			}
			// The 15:03 update promised the next by 16:03; the 18:39 email broke it; the 18:39
			// resolution kept the one the email made.
			if got.Updates.Due != 2 || got.Updates.Late != 1 {
				t.Errorf("updates %+v, want 2 due, 1 late", got.Updates)
			}
			if got.Promises.Open != 1 || len(got.Components) != 2 {
				t.Errorf("promises %+v components %+v", got.Promises, got.Components)
			}
		})
	}
}
