package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// The customers page lists the people a mistake may reach, filtered by account or segment, a
// page at a time, and takes a CSV file of them (responders). An import refused for bad rows
// shows every bad row by line, column and problem, and nothing of the file is kept.

// customerPageSize is how many customers one page of the list shows.
const customerPageSize = 50

// importForm is the upload form's options as ticked.
type importForm struct {
	SkipBad, Update bool
	Err             *formError
}

type customersPage struct {
	page
	Customers []*amends.Customer
	Total     int
	Account   string
	Segment   string
	FilterErr *formError
	Next      string // the URL of the next page, "" on the last
	Import    importForm
	Report    *amends.ImportReport // of the import just made, when it had problems
	Done      string
}

// CountText says how many customers the list holds, or match its filters.
func (p *customersPage) CountText() string {
	noun := "customers"
	if p.Total == 1 {
		noun = "customer"
	}
	if p.Account != "" || p.Segment != "" {
		return formatCount(p.Total) + " " + noun + " match"
	}
	return formatCount(p.Total) + " " + noun
}

func (w *Web) customers(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	w.showCustomers(rw, r, http.StatusOK, &customersPage{Done: importDone(r.URL.Query())})
}

// showCustomers renders the list as the query asks for, with the upload form and report in p.
func (w *Web) showCustomers(rw http.ResponseWriter, r *http.Request, status int, p *customersPage) {
	q := r.URL.Query()
	p.Title, p.Nav = "Customers", "customers"
	p.Account, p.Segment = strings.TrimSpace(q.Get("account")), strings.TrimSpace(q.Get("segment"))
	f := amends.CustomerFilter{Account: p.Account, Segment: p.Segment, After: q.Get("after"), Limit: customerPageSize}
	res, err := w.store.Customers(r.Context(), f)
	if err == nil {
		p.Total, err = w.store.CountCustomers(r.Context(), f)
	}
	if fe, st := asFormError(err, "account", "segment", "after"); fe != nil {
		p.FilterErr = fe
		if status == http.StatusOK {
			status = st
		}
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Customers = res.Customers
	if res.Next != "" {
		v := url.Values{"after": {res.Next}}
		if p.Account != "" {
			v.Set("account", p.Account)
		}
		if p.Segment != "" {
			v.Set("segment", p.Segment)
		}
		p.Next = "/customers?" + v.Encode()
	}
	w.render(rw, r, status, "customers", p)
}

// importCustomers streams the uploaded file into the store. A clean import goes back to the
// list, saying what it did; one with bad rows shows them on the page at once, since a list of
// up to a thousand problems cannot travel in a redirect.
func (w *Web) importCustomers(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	p := &customersPage{}
	if u := uploadOf(r); u != nil {
		p.Import.SkipBad, p.Import.Update = u.fields.Get("skip_bad") != "", u.fields.Get("update") != ""
	}
	file, err := uploadedFile(rw, r)
	var rep amends.ImportReport
	if err == nil {
		rep, err = w.store.ImportCustomers(r.Context(), file, store.ImportOptions{SkipBad: p.Import.SkipBad, Update: p.Import.Update}, actorOf(sess))
		if err != nil && r.Context().Err() != nil {
			return // the person has gone; nobody reads an answer
		}
		err = uploadError(err)
	}
	if err == nil && rep.Rows == 0 && rep.ProblemCount() == 0 {
		err = amends.Errorf(amends.EInvalid, fileField, "has a header but no rows: nobody to import")
	}
	if fe, status := asFormError(err, fileField); fe != nil {
		p.Import.Err = fe
		w.showCustomers(rw, r, status, p)
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	if rep.ProblemCount() == 0 {
		v := url.Values{"imported": {strconv.Itoa(rep.Imported)}, "updated": {strconv.Itoa(rep.Updated)},
			"unchanged": {strconv.Itoa(rep.Unchanged)}}
		http.Redirect(rw, r, "/customers?"+v.Encode()+"#import", http.StatusSeeOther)
		return
	}
	p.Report = &rep
	status := http.StatusOK
	if rep.Refused() {
		status = http.StatusBadRequest
	}
	w.showCustomers(rw, r, status, p)
}

// importDone says what a clean import did, from the counts its redirect carries.
func importDone(q url.Values) string {
	if q.Get("imported") == "" {
		return ""
	}
	n := func(k string) int {
		v, err := strconv.Atoi(q.Get(k))
		if err != nil || v < 0 {
			return 0
		}
		return v
	}
	s := "Imported " + formatCount(n("imported")) + " new " + plural(n("imported"), "customer", "customers")
	if u := n("updated"); u > 0 {
		s += ", updated " + formatCount(u)
	}
	if u := n("unchanged"); u > 0 {
		s += ", " + formatCount(u) + " already as the file says"
	}
	return s + "."
}

// formatCount writes n with thousands separators: 1,204.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// peopleText is "1 person" or "1,204 people".
func peopleText(n int) string { return formatCount(n) + " " + plural(n, "person", "people") }
