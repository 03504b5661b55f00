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
		{"POST", "/incidents/{ref}/checklist/waivers", amends.Responder, w.waive},
		{"POST", "/incidents/{ref}/close", amends.Responder, w.closeIncident},
		{"POST", "/incidents/{ref}/actions", amends.Responder, w.addAction},
		{"POST", "/actions/{id}/done", amends.Responder, w.actionDone},
		{"POST", "/actions/{id}/drop", amends.Responder, w.dropAction},
		{"POST", "/feedback/{id}/act", amends.Responder, w.actOnFeedback},
		{"GET", "/owe", amends.Viewer, w.owe},
		{"GET", "/insights", amends.Viewer, w.insights},
		{"GET", "/accounts/{account}", amends.Viewer, w.ledger},

		{"GET", "/incidents/{ref}/postmortem", amends.Viewer, w.postmortem},
		{"POST", "/incidents/{ref}/postmortem/sections/{section}", amends.Responder, w.saveSection},
		{"GET", "/incidents/{ref}/postmortem/versions", amends.Viewer, w.postmortemVersions},
		{"POST", "/incidents/{ref}/postmortem/copy-message", amends.Responder, w.copyMessage},
		{"POST", "/incidents/{ref}/postmortem/share", amends.Responder, w.sharePostmortem},
		{"POST", "/incidents/{ref}/postmortem/publish", amends.Responder, w.publishPostmortem},
		{"GET", "/incidents/{ref}/postmortem.md", amends.Viewer, w.postmortemMarkdown},
		{"GET", "/incidents/{ref}/postmortem/print", amends.Viewer, w.postmortemPrint},
		{"POST", "/incidents/{ref}/attachments", amends.Responder, w.uploadAttachment}, // a file
		{"GET", "/incidents/{ref}/attachments/{id}", amends.Viewer, w.attachment},
		// The published public edition of a postmortem, for anyone.
		{"GET", "/postmortems/{ref}", public, w.publicPostmortem},

		{"POST", "/deliveries/{id}/redrive", amends.Admin, w.redrive},

		{"GET", "/customers", amends.Viewer, w.customers},
		{"POST", "/customers/import", amends.Responder, w.importCustomers}, // a file: see uploads
		{"GET", "/incidents/{ref}/audience", amends.Viewer, w.audience},
		{"POST", "/incidents/{ref}/audience", amends.Responder, w.setAudience},
		{"POST", "/incidents/{ref}/audience/list", amends.Responder, w.uploadAudience}, // a file
		{"GET", "/incidents/{ref}/messages", amends.Viewer, w.messages},
		{"GET", "/incidents/{ref}/messages/new", amends.Responder, w.newMessage},
		{"POST", "/incidents/{ref}/messages", amends.Responder, w.createMessage},
		{"POST", "/incidents/{ref}/messages/preview", amends.Responder, w.composeLive},
		{"GET", "/messages/{id}", amends.Viewer, w.message},
		{"GET", "/messages/{id}/edit", amends.Responder, w.editMessage},
		{"POST", "/messages/{id}/versions", amends.Responder, w.saveVersion},
		{"POST", "/messages/{id}/approve", amends.Responder, w.approveMessage},
		{"POST", "/messages/{id}/send", amends.Responder, w.sendMessage},

		// The read link of a brief: the signed token in the path is the authorisation.
		{"GET", "/ack/{token}", public, w.ackForm},
		{"POST", "/ack/{token}", public, w.ack},
		// A customer's feedback survey: the random token in the path is the authorisation.
		{"GET", "/survey/{token}", public, w.surveyForm},
		{"POST", "/survey/{token}", public, w.answerSurvey},

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
		{"POST", "/admin/settings/survey", amends.Admin, w.setSurveyDelay},
	}
}

// Routes returns every page route, each wrapped with the session, CSRF and role checks its
// line in the table asks for; the routes that take a file also stream it (see uploads).
func (w *Web) Routes() []Route {
	var out []Route
	for _, rt := range w.table() {
		route := Route{Method: rt.method, Path: rt.path, Handler: w.guard(rt.method, rt.min, rt.handle)}
		if n, ok := uploads[rt.method+" "+rt.path]; ok {
			route.Handler, route.MaxBody = streamUpload(n, route.Handler), n
		}
		out = append(out, route)
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
