package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

// The groups page lists the stakeholder groups, their rules and contacts, the time-to-own
// targets and the escalation contact. Every signed-in person may read it (customer-facing
// colleagues should see who is told about what), but only admins change it, and only admins
// see webhook URLs in full: a Slack or Teams incoming-webhook URL lets whoever holds it post
// into that channel, so for everyone else it is cut to its host.

// groupForm is the new-group form as typed.
type groupForm struct {
	Prefix     string // of the ids of its fields, unique on the page
	Name       string
	Severities []string
	Events     []string
	Err        *formError
}

// HasSev reports whether severity s is ticked.
func (f groupForm) HasSev(s amends.Severity) bool {
	return slices.Contains(f.Severities, strconv.Itoa(int(s)))
}

// HasEvent reports whether event ev is ticked.
func (f groupForm) HasEvent(ev string) bool { return slices.Contains(f.Events, ev) }

// rule reads the ticked severities and events. The store reads an empty list as "all", which
// is right for the API but surprising on a form where someone unticked every box: here an
// empty list is refused.
func (f groupForm) rule() ([]amends.Severity, []string, error) {
	var sevs []amends.Severity
	for _, v := range f.Severities {
		s, err := amends.ParseSeverity(strings.TrimSpace(v))
		if err != nil {
			return nil, nil, amends.Errorf(amends.EInvalid, "severities", "must be 1 to 4, got %q", v)
		}
		sevs = append(sevs, s)
	}
	if len(sevs) == 0 {
		return nil, nil, amends.Errorf(amends.EInvalid, "severities", "tick at least one severity")
	}
	if len(f.Events) == 0 {
		return nil, nil, amends.Errorf(amends.EInvalid, "events", "tick at least one event")
	}
	return sevs, f.Events, nil
}

var groupFields = []string{"name", "severities", "events"}

// contactForm is the add-contact form (of a group, or the escalation contact) as typed. The
// secret is never written back into the page.
type contactForm struct {
	Prefix              string // of the ids of its fields, unique on the page
	Name, Kind, Address string
	Err                 *formError
}

var contactFields = []string{"name", "kind", "address", "secret"}

// contact checks the form's address for its kind and returns the contact to store. A webhook
// without a secret gets a random one (generated reports so, so it can be shown once); the
// other kinds keep none.
func (f contactForm) contact(secret string) (c amends.Contact, generated bool, err error) {
	c = amends.Contact{Name: strings.TrimSpace(f.Name), Kind: f.Kind, Address: strings.TrimSpace(f.Address)}
	if c.Kind == amends.ChannelWebhook {
		c.Secret = secret
		if c.Secret == "" {
			c.Secret, generated = store.RandomSecret(24), true
		}
	}
	d := channel.Destination{Kind: channel.Kind(c.Kind), Address: c.Address, Name: c.Name, Secret: c.Secret}
	if err := d.Validate(); err != nil {
		return c, false, err
	}
	if c.Name == "" {
		return c, false, amends.Errorf(amends.EInvalid, "name", "is required: the person or channel this reaches")
	}
	return c, generated, nil
}

// groupView is one group on the page, with its rule form and add-contact form: as typed when
// the last submission of that form was refused, else the group's current rule and empty.
type groupView struct {
	*amends.Group
	Rule    groupForm
	Contact contactForm
}

// kindOption is a channel kind in the add-contact form.
type kindOption struct{ Value, Label string }

func channelKinds() []kindOption {
	var out []kindOption
	for _, k := range channel.Kinds {
		out = append(out, kindOption{string(k), channelLabel(string(k))})
	}
	return out
}

// shownSecret is a generated webhook secret, shown once right after it was saved.
type shownSecret struct{ Who, Secret string }

type groupsPage struct {
	page
	Groups     []groupView
	NewGroup   groupForm
	Targets    targetsForm
	Escalation contactForm
	EscNow     *amends.Contact
	Secret     *shownSecret
	Survey     surveyDelayForm
	Done       string // what the last change did, shown once after its redirect
	// the group whose rule or contact form is shown as typed, with its error
	ruleOf, contactOf int64
	rule              groupForm
	contact           contactForm
}

// Addr is how the page shows a contact's address: in full to admins and for email, else a
// webhook URL cut to its scheme and host.
func (p *groupsPage) Addr(kind, address string) string {
	if kind == amends.ChannelEmail || p.IsAdmin() {
		return address
	}
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return "(hidden)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// doneMessages are what a change says after its redirect (?done=KEY); unknown keys say nothing.
var doneMessages = map[string]string{
	"group":         "Group created.",
	"rule":          "Rule saved.",
	"group-deleted": "Group deleted.",
	"contact":       "Contact added.",
	"contact-gone":  "Contact removed.",
	"targets":       "Time-to-own targets saved.",
	"escalation":    "Escalation contact saved.",
	"survey":        "Feedback survey setting saved.",
}

func (w *Web) groups(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	w.showGroups(rw, r, http.StatusOK, &groupsPage{Done: doneMessages[r.URL.Query().Get("done")]})
}

// showGroups renders the page with the forms in p, filling those that carry no error with
// their defaults.
func (w *Web) showGroups(rw http.ResponseWriter, r *http.Request, status int, p *groupsPage) {
	ctx := r.Context()
	groups, err := w.store.Groups(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	targets, err := w.store.Targets(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if p.EscNow, err = w.store.EscalationContact(ctx); err != nil {
		w.fail(rw, r, err)
		return
	}
	if p.Survey, err = w.surveyDelayForm(ctx, p.Survey); err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Title, p.Nav = "Groups", "groups"
	for _, g := range groups {
		v := groupView{Group: g, Rule: groupForm{Events: g.Events}, Contact: contactForm{Kind: amends.ChannelEmail}}
		for _, s := range g.Severities {
			v.Rule.Severities = append(v.Rule.Severities, strconv.Itoa(int(s)))
		}
		if p.ruleOf == g.ID {
			v.Rule = p.rule
		}
		if p.contactOf == g.ID {
			v.Contact = p.contact
		}
		v.Rule.Prefix, v.Contact.Prefix = fmt.Sprintf("r%d", g.ID), fmt.Sprintf("c%d", g.ID)
		p.Groups = append(p.Groups, v)
	}
	if p.Targets.Err == nil {
		p.Targets = targetsFormOf(targets)
	}
	if p.Escalation.Err == nil && p.Escalation.Kind == "" {
		p.Escalation = contactForm{Kind: amends.ChannelEmail}
	}
	if p.NewGroup.Err == nil && p.NewGroup.Name == "" && p.NewGroup.Severities == nil {
		p.NewGroup = groupForm{Severities: []string{"1", "2", "3", "4"}, Events: amends.NotifyEvents}
	}
	p.NewGroup.Prefix, p.Escalation.Prefix = "ng", "esc"
	w.render(rw, r, status, "groups", p)
}

// postedList returns every value of a repeated form field (ticked checkboxes).
func postedList(r *http.Request, name string) []string {
	r.PostFormValue(name) // parses the form
	return r.PostForm[name]
}

func pathInt(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, amends.Errorf(amends.ENotFound, what, "no %s %q", what, r.PathValue(name))
	}
	return id, nil
}

func (w *Web) createGroup(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := groupForm{Name: r.PostFormValue("name"), Severities: postedList(r, "severities"), Events: postedList(r, "events")}
	sevs, events, err := f.rule()
	var g *amends.Group
	if err == nil {
		g, err = w.store.CreateGroup(r.Context(), amends.Group{Name: f.Name, Severities: sevs, Events: events}, actorOf(sess))
	}
	if fe, status := asFormError(err, groupFields...); fe != nil {
		f.Err = fe
		w.showGroups(rw, r, status, &groupsPage{NewGroup: f})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/groups?done=group#g"+strconv.FormatInt(g.ID, 10), http.StatusSeeOther)
}

func (w *Web) updateGroupRule(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	id, err := pathInt(r, "id", "group")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	f := groupForm{Severities: postedList(r, "severities"), Events: postedList(r, "events")}
	sevs, events, err := f.rule()
	if err == nil {
		_, err = w.store.UpdateGroupRule(r.Context(), id, sevs, events, actorOf(sess))
	}
	if fe, status := asFormError(err, groupFields...); fe != nil {
		f.Err = fe
		w.showGroups(rw, r, status, &groupsPage{ruleOf: id, rule: f})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/groups?done=rule#g"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (w *Web) deleteGroup(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	id, err := pathInt(r, "id", "group")
	if err == nil {
		err = w.store.DeleteGroup(r.Context(), id, actorOf(sess))
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/groups?done=group-deleted", http.StatusSeeOther)
}

// addContact validates the address for its kind before anything is stored. When amends made
// up the webhook's secret, the page is shown right away instead of redirecting, with the
// secret once: it must not travel in a URL or a cookie, and is never shown again.
func (w *Web) addContact(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	id, err := pathInt(r, "id", "group")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	f := contactForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Address: r.PostFormValue("address")}
	c, generated, err := f.contact(r.PostFormValue("secret"))
	var saved *amends.Contact
	if err == nil {
		saved, err = w.store.AddContact(r.Context(), id, c, actorOf(sess))
	}
	if fe, status := asFormError(err, contactFields...); fe != nil {
		f.Err = fe
		w.showGroups(rw, r, status, &groupsPage{contactOf: id, contact: f})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	if generated {
		w.showGroups(rw, r, http.StatusOK, &groupsPage{Done: doneMessages["contact"],
			Secret: &shownSecret{Who: saved.Name, Secret: saved.Secret}})
		return
	}
	http.Redirect(rw, r, "/admin/groups?done=contact#g"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (w *Web) deleteContact(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	id, err := pathInt(r, "id", "contact")
	if err == nil {
		err = w.store.DeleteContact(r.Context(), id, actorOf(sess))
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/groups?done=contact-gone", http.StatusSeeOther)
}
