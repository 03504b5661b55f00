package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// actionForm is the add-an-action-item form of the incident page.
type actionForm struct {
	Title, Kind, Owner, Due, TicketURL string
	Public                             bool
	Err                                *formError
}

// actionRow is one action item as a list shows it.
type actionRow struct {
	*amends.ActionItem
	Overdue bool
}

// actionsView is the "Action items" section of the incident page: the items, and what the add
// form offers (the kinds, and the users who can own an item).
type actionsView struct {
	Items []actionRow
	Kinds []amends.ActionKind
	Users []string
	Form  actionForm
	Min   string // the earliest due date the form accepts: today
}

func (w *Web) actionRows(items []*amends.ActionItem) []actionRow {
	now := w.now()
	rows := make([]actionRow, len(items))
	for i, a := range items {
		rows[i] = actionRow{ActionItem: a, Overdue: a.Overdue(now)}
	}
	return rows
}

// actionsView reads the incident's action items and, for people who may add one, the users.
func (w *Web) actionsView(ctx context.Context, inc *amends.Incident, canChange bool, f actionForm) (actionsView, error) {
	items, err := w.store.ActionItems(ctx, inc.Ref)
	if err != nil {
		return actionsView{}, err
	}
	v := actionsView{Items: w.actionRows(items), Kinds: amends.ActionKinds, Form: f,
		Min: w.now().In(w.store.Location()).Format("2006-01-02")}
	if canChange {
		users, err := w.store.Users(ctx)
		if err != nil {
			return actionsView{}, err
		}
		for _, u := range users {
			v.Users = append(v.Users, u.Name)
		}
	}
	if f.Err == nil {
		v.Form = actionForm{Kind: string(amends.ActionFix)}
	}
	return v, nil
}

func (w *Web) addAction(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := actionForm{Title: r.PostFormValue("title"), Kind: r.PostFormValue("kind"), Owner: r.PostFormValue("owner"),
		Due: r.PostFormValue("due"), TicketURL: r.PostFormValue("ticket_url"), Public: r.PostFormValue("public") != ""}
	due, err := amends.ParseDue(f.Due, w.store.Location())
	if err == nil {
		var a *amends.ActionItem
		if a, err = w.store.CreateActionItem(r.Context(), r.PathValue("ref"), amends.NewActionItem{Title: f.Title,
			Kind: amends.ActionKind(f.Kind), Owner: f.Owner, Due: due, Public: f.Public, TicketURL: f.TicketURL}, actorOf(sess)); err == nil {
			http.Redirect(rw, r, incidentURL(r)+"#a"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
			return
		}
	}
	if fe, status := asFormError(err, "title", "kind", "owner", "due", "ticket_url"); fe != nil {
		f.Err = fe
		w.showIncident(rw, r, status, &incidentPage{ActionForm: f})
		return
	}
	w.fail(rw, r, err)
}

// finishAction marks an item done or drops it, then shows its incident again.
func (w *Web) finishAction(rw http.ResponseWriter, r *http.Request, sess *store.Session, drop bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.fail(rw, r, amends.Errorf(amends.ENotFound, "id", "no action item %q", r.PathValue("id")))
		return
	}
	cur, err := w.store.ActionItem(r.Context(), id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	r.SetPathValue("ref", cur.Ref)
	if drop {
		_, err = w.store.DropActionItem(r.Context(), id, r.PostFormValue("reason"), actorOf(sess))
	} else {
		_, err = w.store.ActionItemDone(r.Context(), id, actorOf(sess))
	}
	if err == nil {
		back := incidentURL(r) + "#a" + strconv.FormatInt(id, 10)
		if r.PostFormValue("from") == "owe" {
			back = "/owe"
		}
		http.Redirect(rw, r, back, http.StatusSeeOther)
		return
	}
	if fe, status := asFormError(err); fe != nil {
		w.showIncident(rw, r, status, &incidentPage{Problem: cur.Title + ": " + amends.ErrorOf(err).Error()})
		return
	}
	w.fail(rw, r, err)
}

func (w *Web) actionDone(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	w.finishAction(rw, r, sess, false)
}

func (w *Web) dropAction(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	w.finishAction(rw, r, sess, true)
}

type owePage struct {
	page
	Items   []actionRow
	Overdue int
	Today   time.Time
}

// owe is "What I owe": the signed-in person's open action items across incidents, soonest due
// first, the overdue ones marked.
func (w *Web) owe(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	items, err := w.store.Owed(r.Context(), sess.User.Name)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p := &owePage{Items: w.actionRows(items), Today: w.now()}
	p.Title, p.Nav = "What I owe", "owe"
	for _, it := range p.Items {
		if it.Overdue {
			p.Overdue++
		}
	}
	w.render(rw, r, http.StatusOK, "owe", p)
}
