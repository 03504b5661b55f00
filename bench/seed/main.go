// Command seed fills a database for the benchmarks in bench/run: one incident with a long
// timeline (through the store, so the hash chain is real) and many incidents for the list
// (bulk rows straight into the table, since only the list query is measured on them). It
// prints the references it made and the database's plan for a page of the list.
//
// With -insight-incidents N it seeds the insights benchmark instead (#7): N incidents spread
// over two years with -events-per-incident events each, -action-items action items and a
// survey for one incident in three, then times the insights (median of -runs) beside a bare
// count of the same rows and prints the plans of their queries:
//
//	go run ./bench/seed -db sqlite:/tmp/insights.db -insight-incidents 100000 -events-per-incident 20 -action-items 500000
//
// -insight-measure times the insights of a database seeded before, without seeding again.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/bench/seed/insightseed"
	"github.com/amends/amends/store"
)

func main() {
	db := flag.String("db", "", "database URL (sqlite:PATH or postgres://…)")
	events := flag.Int("events", 1000, "events on the long timeline")
	incidents := flag.Int("incidents", 100000, "incidents for the list")
	var is insightseed.Options
	flag.IntVar(&is.Incidents, "insight-incidents", 0, "seed and time the insights over this many incidents instead")
	flag.IntVar(&is.EventsPerIncident, "events-per-incident", 20, "timeline events per insight incident")
	flag.IntVar(&is.ActionItems, "action-items", 500000, "action items over the insight incidents")
	runs := flag.Int("runs", 5, "timed runs of each insight query (the median is printed)")
	measureOnly := flag.Bool("insight-measure", false, "only time the insights of a database seeded before")
	flag.Parse()
	if is.Incidents > 0 || *measureOnly {
		err := func() error {
			st, err := store.Open(context.Background(), *db, "", store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if *measureOnly {
				return measureInsights(context.Background(), st, *runs, time.Now())
			}
			return seedInsights(context.Background(), st, is, *runs)
		}()
		if err != nil {
			fmt.Fprintln(os.Stderr, "seed:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *db, *events, *incidents); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, db string, events, incidents int) error {
	st, err := store.Open(ctx, db, "", store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	actor := amends.Actor{Name: "bench", Role: amends.Responder}
	inc, err := st.CreateIncident(ctx, amends.NewIncident{Title: "Renewal reminder sent to renewed customers", Severity: 2,
		Summary: "A long-running incident with a long timeline.", Components: []string{"Email", "Billing"}}, actor)
	if err != nil {
		return err
	}
	for i := 1; i < events; i++ {
		if _, err := st.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: fmt.Sprintf("Update %d: still checking the send logs of the affected accounts.", i)}, actor); err != nil {
			return err
		}
	}
	start := time.Now()
	const perStatement = 500
	now := time.Now().UTC().UnixMicro()
	for first := 0; first < incidents; first += perStatement {
		var q strings.Builder
		q.WriteString(`INSERT INTO incidents (number, title, summary, severity, status, open_rank, owner, components,
			noticed_at, created_at, updated_at, created_by) VALUES `)
		for i := first; i < min(first+perStatement, incidents); i++ {
			if i > first {
				q.WriteString(",")
			}
			n := 1000000 + i
			status, rank := "resolved", 1
			if i%50 == 0 {
				status, rank = "investigating", 0
			}
			fmt.Fprintf(&q, "(%d, 'Seeded incident %d', '', %d, '%s', %d, 'bench', '[]', %d, %d, %d, 'bench')",
				n, n, i%4+1, status, rank, now, now, now)
		}
		if _, err := st.DB().ExecContext(ctx, q.String()); err != nil {
			return err
		}
	}
	if st.Dialect() == store.Postgres {
		st.DB().ExecContext(ctx, "ANALYZE incidents")
	} else {
		st.DB().ExecContext(ctx, "ANALYZE")
	}
	plan, err := st.IncidentsQueryPlan(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("timeline_ref=%s\n", inc.Ref)
	fmt.Printf("seeded %d incidents in %s\n", incidents, time.Since(start).Round(time.Millisecond))
	fmt.Printf("list plan:\n%s\n", plan)
	t0 := time.Now()
	page, err := st.Incidents(ctx, amends.IncidentFilter{Limit: 50, After: "1.1050000"})
	if err != nil {
		return err
	}
	fmt.Printf("deep page (after INC-1050000): %d incidents in %s\n", len(page.Incidents), time.Since(t0).Round(time.Microsecond))
	return nil
}
