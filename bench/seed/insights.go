package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/bench/seed/insightseed"
	"github.com/amends/amends/store"
)

// seedInsights seeds the insights benchmark, then measures it.
func seedInsights(ctx context.Context, st *store.Store, o insightseed.Options, runs int) error {
	now := time.Now()
	if err := insightseed.Seed(ctx, st, o, now, os.Stdout); err != nil {
		return err
	}
	return measureInsights(ctx, st, runs, now)
}

// measureInsights times the insights, unfiltered and filtered, beside a bare count of the rows
// they read, and prints the plans of their queries.
func measureInsights(ctx context.Context, st *store.Store, runs int, now time.Time) error {
	// timeIt returns the median wall time of runs calls, and the median CPU time this process
	// spent in them (the Go side: scanning rows and computing; with SQLite that includes the
	// database engine, with PostgreSQL the server's own CPU is not in it).
	timeIt := func(fn func() error) (wall, cpu time.Duration, err error) {
		var ds, cs []time.Duration
		for range runs {
			c0, t0 := cpuTime(), time.Now()
			if err := fn(); err != nil {
				return 0, 0, err
			}
			ds, cs = append(ds, time.Since(t0)), append(cs, cpuTime()-c0)
		}
		slices.Sort(ds)
		slices.Sort(cs)
		return ds[len(ds)/2], cs[len(cs)/2], nil
	}
	peer, peerCPU, err := timeIt(func() error {
		var a, b, c int64
		return st.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM action_items),
			(SELECT count(*) FROM surveys)`).Scan(&a, &b, &c)
	})
	if err != nil {
		return err
	}
	fmt.Printf("peer: SELECT count(*) of incidents, action_items, surveys: median of %d: %s (cpu %s)\n", runs, peer.Round(time.Microsecond), peerCPU.Round(time.Microsecond))
	quarter := amends.InsightFilter{From: now.AddDate(0, -3, 0), To: now.Add(24 * time.Hour)}
	for _, c := range []struct {
		name string
		f    amends.InsightFilter
	}{
		{"all incidents", amends.InsightFilter{}},
		{"last 3 months", quarter},
		{"component 'Component 3'", amends.InsightFilter{Component: "Component 3"}},
		{"team 'payments', severity 1", amends.InsightFilter{Team: "payments", Severity: 1}},
	} {
		var in amends.Insights
		d, cpu, err := timeIt(func() error {
			var err error
			in, err = st.Insights(ctx, c.f)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("insights, %s: %d incidents, median of %d: %s (cpu %s)\n", c.name, in.Incidents, runs, d.Round(time.Microsecond), cpu.Round(time.Microsecond))
	}
	for _, c := range []struct {
		name string
		f    amends.InsightFilter
	}{{"all incidents", amends.InsightFilter{}}, {"last 3 months", quarter}, {"component", amends.InsightFilter{Component: "Component 3"}}} {
		plans, err := st.InsightsQueryPlans(ctx, c.f)
		if err != nil {
			return err
		}
		for _, q := range []string{"incidents", "actions", "preventions", "feedback", "components"} {
			fmt.Printf("plan, %s, %s:\n%s\n", c.name, q, plans[q])
		}
	}
	return nil
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
