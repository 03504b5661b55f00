package web

import (
	"net/http"

	"github.com/amends/amends"
)

// public marks a route that needs no session.
const public amends.Role = ""

// route is one line of the table: who may use it and what handles it.
type route struct {
	method, path string
	min          amends.Role
	handle       handler
}

// table lists every route of the web app. A route with a role needs a session whose user has
// at least that role; any method but GET also needs a valid CSRF token from a same-origin page.
// A public route's methods but GET are refused when the browser says they came from another site.
func (w *Web) table() []route {
	return []route{
		{"GET", "/{$}", amends.Viewer, w.home},
		{"GET", "/login", public, w.loginForm},
		{"POST", "/login", public, w.login},
		{"POST", "/logout", amends.Viewer, w.logout},
		{"GET", "/static/{file...}", public, w.static},

		{"GET", "/incidents", amends.Viewer, w.incidents},
		{"GET", "/incidents/new", amends.Responder, w.declareForm},
		{"POST", "/incidents", amends.Responder, w.declare},
		{"GET", "/incidents/{ref}", amends.Viewer, w.incident},
		{"POST", "/incidents/{ref}/events", amends.Responder, w.addEvent},
		{"POST", "/incidents/{ref}/status", amends.Responder, w.changeStatus},
		{"POST", "/incidents/{ref}/details", amends.Responder, w.editDetails},

		{"POST", "/deliveries/{id}/redrive", amends.Admin, w.redrive},

		// The read link of a brief: the signed token in the path is the authorisation.
		{"GET", "/ack/{token}", public, w.ackForm},
		{"POST", "/ack/{token}", public, w.ack},

		{"GET", "/lint", amends.Viewer, w.lintForm},
		{"POST", "/lint", amends.Viewer, w.lint},

		{"GET", "/admin/users", amends.Admin, w.users},
		{"POST", "/admin/users", amends.Admin, w.createUser},
		{"GET", "/admin/audit", amends.Admin, w.audit},
		{"GET", "/admin/groups", amends.Viewer, w.groups}, // read-only below admin
		{"POST", "/admin/groups", amends.Admin, w.createGroup},
		{"POST", "/admin/groups/{id}/rule", amends.Admin, w.updateGroupRule},
		{"POST", "/admin/groups/{id}/delete", amends.Admin, w.deleteGroup},
		{"POST", "/admin/groups/{id}/contacts", amends.Admin, w.addContact},
		{"POST", "/admin/contacts/{id}/delete", amends.Admin, w.deleteContact},
		{"POST", "/admin/settings/targets", amends.Admin, w.setTargets},
		{"POST", "/admin/settings/escalation", amends.Admin, w.setEscalation},
	}
}

// Routes returns every page route, each wrapped with the session, CSRF and role checks its
// line in the table asks for.
func (w *Web) Routes() []Route {
	var out []Route
	for _, rt := range w.table() {
		out = append(out, Route{Method: rt.method, Path: rt.path, Handler: w.guard(rt.method, rt.min, rt.handle)})
	}
	return out
}

// Handler returns the routes on a mux of their own, for tests and for mounting alone.
func (w *Web) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range w.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	return mux
}
