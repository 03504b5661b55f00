package web

import (
	"net/http"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// logOpenMax is how many deliveries the incident page shows before it folds the log away.
const logOpenMax = 8

// stateCount is how many deliveries of the log are in one state.
type stateCount struct {
	State string
	N     int
}

// briefView is what the incident page says about telling colleagues: who has read the
// latest brief, what they may tell customers, and every delivery with its state.
type briefView struct {
	Readers  []store.Reader   // of the latest brief, not yet read first
	Read     int              // how many of them have read it
	Latest   *amends.Delivery // one delivery of the latest brief (its subject and time); nil before any
	Reminded bool             // those who have not read it are reminded (sev1–2)
	UpdateBy time.Time        // when customers were promised the next update, in "what to tell customers"
	Log      []*amends.Delivery
	LogTo    string // the recipient the log is narrowed to ("" for everyone)
	LogOpen  bool   // the log is short, narrowed or holds a dead delivery: show it unfolded
	Counts   []stateCount
}

func (w *Web) briefView(r *http.Request, inc *amends.Incident) (briefView, error) {
	ctx := r.Context()
	b := briefView{Reminded: inc.Severity <= 2, UpdateBy: w.now().Add(amends.UpdateCadence(inc.Severity))}
	var err error
	if b.Readers, err = w.store.Readers(ctx, inc.Ref); err != nil {
		return b, err
	}
	for _, rd := range b.Readers {
		if rd.ReadAt != nil {
			b.Read++
		}
	}
	all, err := w.store.Deliveries(ctx, inc.Ref)
	if err != nil {
		return b, err
	}
	b.LogTo = r.URL.Query().Get("to")
	counts := map[string]int{}
	for _, d := range all {
		if d.Purpose == amends.PurposeBrief && d.BriefID != nil && (b.Latest == nil || *d.BriefID > *b.Latest.BriefID) {
			b.Latest = d
		}
		if d.Purpose == amends.PurposeCustomer || d.Purpose == amends.PurposeSubscriber {
			continue // customers and status subscribers may be thousands; a message's page lists its own
		}
		if b.LogTo != "" && d.Name != b.LogTo {
			continue
		}
		b.Log = append(b.Log, d)
		counts[d.State]++
	}
	for _, st := range []string{amends.DeliveryDone, amends.DeliveryPending, amends.DeliveryRetrying, amends.DeliveryDead} {
		if counts[st] > 0 {
			b.Counts = append(b.Counts, stateCount{st, counts[st]})
		}
	}
	b.LogOpen = len(b.Log) <= logOpenMax || b.LogTo != "" || counts[amends.DeliveryDead] > 0
	return b, nil
}

// purposeLabels name what a delivery was for, as the delivery log shows it.
var purposeLabels = map[string]string{
	amends.PurposeBrief:      "brief",
	amends.PurposeReminder:   "reminder: not read yet",
	amends.PurposeNudge:      "nudge to the owner",
	amends.PurposeEscalation: "escalation",
	amends.PurposeCustomer:   "customer message",
	amends.PurposeSubscriber: "status page subscriber",
	amends.PurposeSurvey:     "feedback survey",
}

func purposeLabel(p string) string {
	if l, ok := purposeLabels[p]; ok {
		return l
	}
	return p
}

// redrive sends a dead delivery again from its first try and goes back to its incident's
// delivery log, where it now shows as pending.
func (w *Web) redrive(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	id, err := pathInt(r, "id", "delivery")
	var d *amends.Delivery
	if err == nil {
		d, err = w.store.Delivery(r.Context(), id)
	}
	if err == nil {
		err = w.store.Redrive(r.Context(), id, actorOf(sess))
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/incidents/"+d.Ref+"#delivery-log", http.StatusSeeOther)
}
