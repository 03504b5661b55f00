package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/amends/amends"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// The review page of a customer message: the version's text, what changed since the version
// before, the ownership check's report kept with it, the approvals so far and how many the
// incident's severity asks for, a preview for any recipient, and, once approved, the button
// that sends it, asking for a reason when the check says it does not own the mistake. After
// sending it shows every recipient's delivery, a page at a time.

// deliveryPageSize is how many deliveries of a message one page shows.
const deliveryPageSize = 50

// approvalView is one approval as the page lists it.
type approvalView struct {
	amends.Approval
	Counts bool // it is of the latest version, so it counts
}

// sendForm is the send form as typed.
type sendForm struct {
	Override string
	Err      *formError
}

// deliveryState is one state's count of a message's deliveries, and the link that lists them.
type deliveryState struct {
	State   string
	N       int
	URL     string
	Current bool
}

type messagePage struct {
	page
	Inc        *amends.Incident
	Msg        *amends.Message
	Versions   []amends.MessageVersion
	Shown      amends.MessageVersion // the version on the page: the latest unless ?v= says otherwise
	IsLatest   bool
	Prev       int // the number of the version before the shown one
	Diff       diffView
	Check      *lintResult // the report kept with the shown version; nil when it has none
	Approvals  []approvalView
	CanApprove bool
	WhyNot     string // why the signed-in responder cannot approve the latest version
	ApproveErr *formError
	Summary    audienceSummary
	Preview    *previewView // of the latest version, for ?to= or the first recipient
	SendForm   sendForm
	Done       string
	States     []deliveryState
	Deliveries []*amends.Delivery
	StateNow   string // the state the delivery list is narrowed to, "" for all
	NextPage   string
}

// NextVersion is the version an edit makes.
func (p *messagePage) NextVersion() int { return p.Msg.Version + 1 }

// Need is how many more approvals the latest version needs.
func (p *messagePage) Need() int { return max(0, p.Msg.RequiredApprovals-p.Msg.Approved()) }

// Sendable reports whether the message may be sent now, as far as the page can tell: approved
// enough and an audience with someone in it. The store decides.
func (p *messagePage) Sendable() bool {
	return p.Msg.State == amends.MessageApproved && p.Need() == 0 && p.Summary.Chosen && p.Summary.Size > 0
}

// SendLabel is the send button's text: "Send to 1,204 customers".
func (p *messagePage) SendLabel() string {
	return "Send to " + formatCount(p.Summary.Size) + " " + plural(p.Summary.Size, "customer", "customers")
}

// doneMessage says what the last change did, shown once after its redirect.
func (p *messagePage) doneMessage(key string) string {
	m := p.Msg
	switch key {
	case "saved":
		if m.Version == 1 {
			return "Saved as version 1. It needs " + approvalsText(m.RequiredApprovals) + " from people other than you before it can go out."
		}
		return "Saved as version " + strconv.Itoa(m.Version) + ". Approvals start over: it needs " + approvalsText(m.RequiredApprovals) + "."
	case "unchanged":
		return "Nothing changed: the text is the same as version " + strconv.Itoa(m.Version) + "."
	case "approved":
		if m.State == amends.MessageApproved {
			return "Approved. Version " + strconv.Itoa(m.Version) + " is frozen and ready to send."
		}
		return "Approved. It needs " + approvalsText(p.Need()) + " more."
	case "sent":
		return "Sent. The emails are on their way; each recipient’s delivery shows below."
	}
	return ""
}

func approvalsText(n int) string { return strconv.Itoa(n) + " " + plural(n, "approval", "approvals") }

func (w *Web) message(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	w.showMessage(rw, r, http.StatusOK, &messagePage{})
}

// showMessage renders the review page of the message the path names, with the forms in p.
func (w *Web) showMessage(rw http.ResponseWriter, r *http.Request, status int, p *messagePage) {
	ctx := r.Context()
	q := r.URL.Query()
	m, err := w.messageOf(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	inc, err := w.store.Incident(ctx, m.Ref)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	vs, err := w.store.MessageVersions(ctx, m.ID)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	a, err := w.store.Audience(ctx, inc.Ref)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Inc, p.Msg, p.Versions, p.Summary = inc, m, vs, summarize(a)
	if s := sessionOf(r); s != nil {
		p.User = s.User // decideApproval reads it before render would set it
	}
	p.Title, p.Nav = m.Subject+" · "+inc.Ref, "incidents"
	if r.Method == http.MethodGet {
		p.Done = p.doneMessage(q.Get("done"))
	}
	if err := p.showVersion(q.Get("v")); err != nil {
		w.fail(rw, r, err)
		return
	}
	for _, ap := range m.Approvals {
		p.Approvals = append(p.Approvals, approvalView{Approval: ap, Counts: ap.Version == m.Version})
	}
	p.decideApproval()
	if m.State != amends.MessageSent {
		pv := previewView{Ref: inc.Ref}
		prev, err := w.store.PreviewMessage(ctx, m.ID, q.Get("to"))
		if err == nil {
			pv.Recipient, pv.Subject, pv.Body = &prev.Recipient, prev.Subject, prev.Body
		} else if err := previewProblem(&pv, err); err != nil {
			w.fail(rw, r, err)
			return
		}
		if pv.Recipient == nil && q.Get("to") != "" {
			pv.Recipient = &amends.Recipient{Email: q.Get("to")}
		}
		p.Preview = &pv
	} else if err := w.messageDeliveries(r, p); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, status, "message", p)
}

// showVersion picks the version the page shows (v, or the latest when v is ""), with its diff
// from the one before and its kept report.
func (p *messagePage) showVersion(v string) error {
	n := p.Msg.Version
	if v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return amends.Errorf(amends.ENotFound, "version", "message %d has no version %q", p.Msg.ID, v)
		}
	}
	found := false
	for _, ver := range p.Versions {
		if ver.Version == n {
			p.Shown, found = ver, true
		}
	}
	if !found {
		return amends.Errorf(amends.ENotFound, "version", "message %d has no version %d", p.Msg.ID, n)
	}
	p.IsLatest, p.Prev = n == p.Msg.Version, n-1
	p.Diff = newDiff(p.Shown.Diff)
	var rep ownership.Report
	if p.Shown.Report != "" && json.Unmarshal([]byte(p.Shown.Report), &rep) == nil {
		p.Check = markReport(amends.CheckedText(p.Shown.Subject, p.Shown.Body), rep)
	}
	return nil
}

// decideApproval works out whether the signed-in person may approve the latest version, and
// if not, why (for responders; viewers are only told who may).
func (p *messagePage) decideApproval() {
	m := p.Msg
	switch {
	case !p.CanChange() || m.State == amends.MessageSent:
	case p.User.Name == m.Author:
		p.WhyNot = "You wrote version " + strconv.Itoa(m.Version) + ", so you cannot approve it: someone else must."
	case m.ApprovedBy(p.User.Name):
		p.WhyNot = "You approved version " + strconv.Itoa(m.Version) + "."
	default:
		p.CanApprove = true
	}
}

// messageDeliveries fills the page's per-recipient delivery state, narrowed to ?state= and
// paged with ?after=.
func (w *Web) messageDeliveries(r *http.Request, p *messagePage) error {
	q := r.URL.Query()
	p.StateNow = q.Get("state")
	page, err := w.store.MessageDeliveries(r.Context(), p.Msg.ID, p.StateNow, q.Get("after"), deliveryPageSize)
	if err != nil {
		return err
	}
	base := messageURL(p.Msg.ID)
	total := 0
	for _, st := range []string{amends.DeliveryDone, amends.DeliveryPending, amends.DeliveryRetrying, amends.DeliveryDead} {
		n := page.Counts[st]
		total += n
		p.States = append(p.States, deliveryState{State: st, N: n, Current: st == p.StateNow,
			URL: base + "?" + url.Values{"state": {st}}.Encode() + "#delivery"})
	}
	p.States = append([]deliveryState{{State: "all", N: total, Current: p.StateNow == "", URL: base + "#delivery"}}, p.States...)
	p.Deliveries = page.Deliveries
	if page.Next != "" {
		v := url.Values{"after": {page.Next}}
		if p.StateNow != "" {
			v.Set("state", p.StateNow)
		}
		p.NextPage = base + "?" + v.Encode() + "#delivery"
	}
	return nil
}

func (w *Web) approveMessage(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	id, err := pathInt(r, "id", "message")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	v, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("version")))
	if err != nil {
		err = amends.Errorf(amends.EInvalid, "version", "say which version you approve")
	} else {
		_, err = w.store.ApproveMessage(r.Context(), id, v, actorOf(sess))
	}
	if err == nil {
		http.Redirect(rw, r, messageURL(id)+"?done=approved#approvals", http.StatusSeeOther)
		return
	}
	if fe, status := reviewError(err, "version", "state"); fe != nil {
		w.showMessage(rw, r, status, &messagePage{ApproveErr: fe})
		return
	}
	w.fail(rw, r, err)
}

func (w *Web) sendMessage(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	id, err := pathInt(r, "id", "message")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	f := sendForm{Override: r.PostFormValue("override")}
	_, err = w.store.SendMessage(r.Context(), id, f.Override, actorOf(sess))
	if err == nil {
		http.Redirect(rw, r, messageURL(id)+"?done=sent#delivery", http.StatusSeeOther)
		return
	}
	if fe, status := reviewError(err, "override", "audience", "state", "subject", "body"); fe != nil {
		f.Err = fe
		w.showMessage(rw, r, status, &messagePage{SendForm: f})
		return
	}
	w.fail(rw, r, err)
}

// reviewError is asFormError that also shows a refusal (the author approving their own
// version) on the page, with its reason, rather than on an error page.
func reviewError(err error, fields ...string) (*formError, int) {
	if fe, status := asFormError(err, fields...); fe != nil {
		return fe, status
	}
	if e := amends.ErrorOf(err); e != nil && e.Code == amends.EForbidden {
		return &formError{Field: e.Field, Message: e.Message}, http.StatusForbidden
	}
	return nil, 0
}
