package web

import (
	"net/http"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// The read link. Every colleague's copy of a brief carries /ack/{token}, where the token signs
// that copy's delivery id (amends.AckToken), so it needs no sign-in from an email or a chat
// message and cannot be forged for another copy.
//
// Opening the link only shows the brief and one "I have read it" button; the button's POST
// records the reading. Acknowledging on GET would be wrong: mail security scanners and chat
// unfurlers fetch every link they see with GET, and would mark everyone as having read the
// brief before anyone did. The POST needs no session and no CSRF token, since the signed token
// in its path is what authorises it; the guard still refuses it when the browser says it came
// from another site (Sec-Fetch-Site or Origin), so no other page can click it for someone.

type ackPage struct {
	page
	Token    string
	Ref      string
	IncTitle string
	Brief    *amends.Delivery
}

// errAckLink is all a forged, mangled or stale read link learns: nothing about what exists.
var errAckLink = amends.Errorf(amends.ENotFound, "token", "This read link is not valid. Open the incident page instead, or ask whoever sent the brief for a new one.")

// ackDelivery returns the delivery the request's token signs, or errAckLink.
func (w *Web) ackDelivery(r *http.Request) (*amends.Delivery, error) {
	secret, err := w.store.Secret(r.Context(), "ack")
	if err != nil {
		return nil, err
	}
	id, err := amends.ParseAckToken(secret, r.PathValue("token"))
	if err != nil {
		return nil, errAckLink
	}
	d, err := w.store.Delivery(r.Context(), id)
	if amends.ErrorCode(err) == amends.ENotFound {
		return nil, errAckLink
	}
	return d, err
}

// ackForm shows the brief of the link's delivery and, until it is read, the button; once
// read, when it was recorded.
func (w *Web) ackForm(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	d, err := w.ackDelivery(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p := &ackPage{Token: r.PathValue("token"), Ref: d.Ref, Brief: d}
	p.Title = d.Ref + ": the brief"
	if inc, err := w.store.Incident(r.Context(), d.Ref); err == nil {
		p.IncTitle = inc.Title
		p.Title = d.Ref + ": " + inc.Title
	} else if amends.ErrorCode(err) != amends.ENotFound {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, http.StatusOK, "ack", p)
}

// ack records the reading once (a second click keeps the first time) and shows the link's
// page again, now with when it was recorded.
func (w *Web) ack(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	d, err := w.ackDelivery(r)
	if err == nil {
		_, err = w.store.Ack(r.Context(), d.ID)
	}
	if amends.ErrorCode(err) == amends.ENotFound {
		err = errAckLink
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/ack/"+r.PathValue("token"), http.StatusSeeOther)
}
