package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// targetsForm holds the time-to-own targets as typed: Values["colleagues_2"] is how soon
// after "noticed" colleagues must be told at severity 2, "" for no target.
type targetsForm struct {
	Values map[string]string
	Err    *formError
}

// targetField names the input of one target: "colleagues_1", "customers_4".
func targetField(which string, s amends.Severity) string { return fmt.Sprintf("%s_%d", which, int(s)) }

// Value returns what the field of which ("colleagues" or "customers") holds at severity s.
func (f targetsForm) Value(which string, s amends.Severity) string {
	return f.Values[targetField(which, s)]
}

// ErrOn returns the message for the field of which at severity s.
func (f targetsForm) ErrOn(which string, s amends.Severity) string {
	return f.Err.On(targetField(which, s))
}

func targetsFormOf(t amends.Targets) targetsForm {
	f := targetsForm{Values: map[string]string{}}
	for s := amends.Severity(1); s <= 4; s++ {
		f.Values[targetField("colleagues", s)] = formatTarget(t[s].ColleaguesTold)
		f.Values[targetField("customers", s)] = formatTarget(t[s].CustomersTold)
	}
	return f
}

// formatTarget writes a target the way the form reads it back: 15m, 2h, 1h30m → 90m; "" for none.
func formatTarget(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// parseTarget reads a target: a Go duration such as 15m or 2h; empty, 0 or "none" for none.
func parseTarget(field, v string) (time.Duration, error) {
	v = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(v), " ", ""))
	if v == "" || v == "0" || v == "none" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, amends.Errorf(amends.EInvalid, field, "must be a duration such as 15m or 2h, or empty for no target")
	}
	return d, nil
}

func (w *Web) setTargets(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := targetsForm{Values: map[string]string{}}
	t := amends.Targets{}
	var err error
	var fields []string
	for s := amends.Severity(1); s <= 4; s++ {
		var tg amends.Target
		for _, c := range []struct {
			which string
			into  *time.Duration
		}{{"colleagues", &tg.ColleaguesTold}, {"customers", &tg.CustomersTold}} {
			field := targetField(c.which, s)
			fields = append(fields, field)
			f.Values[field] = r.PostFormValue(field)
			d, perr := parseTarget(field, f.Values[field])
			if perr != nil && err == nil {
				err = perr
			}
			*c.into = d
		}
		t[s] = tg
	}
	if err == nil {
		err = w.store.SetTargets(r.Context(), t, actorOf(sess))
	}
	if fe, status := asFormError(err, fields...); fe != nil {
		f.Err = fe
		w.showGroups(rw, r, status, &groupsPage{Targets: f})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/groups?done=targets#targets", http.StatusSeeOther)
}

// setEscalation names who hears when a time-to-own target is missed, checked like any
// contact; a webhook's made-up secret is shown once, as for a group's contact.
func (w *Web) setEscalation(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := contactForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Address: r.PostFormValue("address")}
	c, generated, err := f.contact(r.PostFormValue("secret"))
	if err == nil {
		err = w.store.SetEscalationContact(r.Context(), c, actorOf(sess))
	}
	if fe, status := asFormError(err, contactFields...); fe != nil {
		f.Err = fe
		w.showGroups(rw, r, status, &groupsPage{Escalation: f})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	if generated {
		w.showGroups(rw, r, http.StatusOK, &groupsPage{Done: doneMessages["escalation"],
			Secret: &shownSecret{Who: c.Name + " (escalation)", Secret: c.Secret}})
		return
	}
	http.Redirect(rw, r, "/admin/groups?done=escalation#escalation", http.StatusSeeOther)
}
