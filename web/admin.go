package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

type userForm struct {
	Name, Role string
	Err        *formError
}

type usersPage struct {
	page
	Users   []*amends.User
	Created string
	Form    userForm
	Roles   []amends.Role
}

func (w *Web) users(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	w.showUsers(rw, r, http.StatusOK, &usersPage{Created: r.URL.Query().Get("created"), Form: userForm{Role: string(amends.Responder)}})
}

func (w *Web) showUsers(rw http.ResponseWriter, r *http.Request, status int, p *usersPage) {
	users, err := w.store.Users(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Title, p.Nav, p.Users = "Users", "admin", users
	p.Roles = []amends.Role{amends.Viewer, amends.Responder, amends.Admin}
	w.render(rw, r, status, "users", p)
}

func (w *Web) createUser(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := userForm{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role")}
	_, err := w.store.CreateUser(r.Context(), f.Name, amends.Role(f.Role), r.PostFormValue("password"), actorOf(sess))
	if fe, status := asFormError(err, "name", "role", "password"); fe != nil {
		f.Err = fe
		w.showUsers(rw, r, status, &usersPage{Form: f})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/users?created="+url.QueryEscape(f.Name), http.StatusSeeOther)
}

type auditPage struct {
	page
	Entries []amends.AuditEntry
}

func (w *Web) audit(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	entries, err := w.store.Audit(r.Context(), 200)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, http.StatusOK, "audit", &auditPage{page: page{Title: "Audit log", Nav: "admin"}, Entries: entries})
}
