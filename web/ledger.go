package web

import (
	"fmt"
	"net/http"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

type ledgerPage struct {
	page
	L            *amends.Ledger
	PromisesKept string
	Rating       string
}

// ledger shows the trust ledger of one customer account.
func (w *Web) ledger(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	l, err := w.store.Ledger(r.Context(), r.PathValue("account"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p := &ledgerPage{L: l, PromisesKept: pct(l.KeptRatio)}
	if l.RatingAverage != nil {
		p.Rating = fmt.Sprintf("%.1f", *l.RatingAverage)
	}
	p.Title, p.Nav = "Trust ledger: "+l.Account, "insights"
	w.render(rw, r, http.StatusOK, "ledger", p)
}
