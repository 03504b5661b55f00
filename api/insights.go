package api

import (
	"net/http"

	"github.com/amends/amends"
)

// insights answers the figures of trust over the incidents the query selects: from and to
// (days, both included, in the server's zone), severity, component and team.
func (a *API) insights(w http.ResponseWriter, r *http.Request) {
	f, err := amends.ParseInsightFilter(r.URL.Query().Get, a.store.Location())
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	in, err := a.store.Insights(r.Context(), f)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, in)
}

// ledger answers the trust ledger of one customer account.
func (a *API) ledger(w http.ResponseWriter, r *http.Request) {
	l, err := a.store.Ledger(r.Context(), r.PathValue("account"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, l)
}
