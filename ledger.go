package amends

import "time"

// LedgerMessage is one customer message delivered (or being delivered) to one of an account's
// addresses.
type LedgerMessage struct {
	MessageID   int64      `json:"message_id"`
	Kind        string     `json:"kind"`
	Subject     string     `json:"subject"`
	To          string     `json:"to"`
	State       string     `json:"state"`
	SentAt      time.Time  `json:"sent_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
}

// LedgerFeedback is one survey sent to one of an account's people, answered or not.
type LedgerFeedback struct {
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	AskedAt    time.Time  `json:"asked_at"`
	AnsweredAt *time.Time `json:"answered_at"`
	Rating     *int       `json:"rating"`
	Comment    string     `json:"comment"`
}

// LedgerPromise is a public action item of an incident that touched the account, and where it
// stands: kept on time, kept late, overdue, open or dropped.
type LedgerPromise struct {
	ID       int64       `json:"id"`
	Title    string      `json:"title"`
	DueDate  string      `json:"due_date"`
	Due      time.Time   `json:"due"`
	State    ActionState `json:"state"`
	DoneAt   *time.Time  `json:"done_at"`
	Standing string      `json:"standing"`
}

// Promise standings, as the ledger names them.
const (
	StandingKeptOnTime = "kept on time"
	StandingKeptLate   = "kept late"
	StandingOverdue    = "overdue"
	StandingOpen       = "open"
	StandingDropped    = "dropped"
)

// Standing says how a promise stands at now: one of the Standing values.
func (a ActionItem) Standing(now time.Time) string {
	switch {
	case a.State == ActionDropped:
		return StandingDropped
	case a.KeptOnTime():
		return StandingKeptOnTime
	case a.State == ActionDone:
		return StandingKeptLate
	case a.Overdue(now):
		return StandingOverdue
	}
	return StandingOpen
}

// LedgerEntry is one incident that touched the account: what they were sent, what was promised
// to them, and what they said.
type LedgerEntry struct {
	Ref             string           `json:"ref"`
	Title           string           `json:"title"`
	Severity        Severity         `json:"severity"`
	Status          Status           `json:"status"`
	NoticedAt       time.Time        `json:"noticed_at"`
	CustomersToldAt *time.Time       `json:"customers_told_at"`
	ResolvedAt      *time.Time       `json:"resolved_at"`
	Messages        []LedgerMessage  `json:"messages"`
	Promises        []LedgerPromise  `json:"promises"`
	Feedback        []LedgerFeedback `json:"feedback"`
}

// Ledger is the trust ledger of one customer account: every incident that touched it (newest
// first), and the totals a reader looks for first.
type Ledger struct {
	Account       string        `json:"account"`
	Customers     int           `json:"customers"`
	Entries       []LedgerEntry `json:"incidents"`
	Messages      int           `json:"messages"`
	Promises      PromiseStats  `json:"promises"`
	KeptRatio     *float64      `json:"promises_kept_on_time_ratio"`
	Ratings       int           `json:"ratings"`
	RatingAverage *float64      `json:"rating_average"`
}

// Tally fills the ledger's totals from its entries.
func (l *Ledger) Tally() {
	l.Messages, l.Promises, l.Ratings = 0, PromiseStats{}, 0
	sum := 0
	for _, e := range l.Entries {
		l.Messages += len(e.Messages)
		for _, p := range e.Promises {
			switch p.Standing {
			case StandingKeptOnTime:
				l.Promises.KeptOnTime++
			case StandingKeptLate:
				l.Promises.KeptLate++
			case StandingOverdue:
				l.Promises.OpenOverdue++
			case StandingDropped:
				l.Promises.Dropped++
			default:
				l.Promises.Open++
			}
		}
		for _, f := range e.Feedback {
			if f.Rating != nil {
				l.Ratings++
				sum += *f.Rating
			}
		}
	}
	p := l.Promises
	l.KeptRatio = ratio(p.KeptOnTime, p.KeptOnTime+p.KeptLate+p.OpenOverdue+p.Dropped)
	l.RatingAverage = ratio(sum, l.Ratings)
}
