package web

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// The survey link. After an incident is resolved each customer who was told about it gets
// /survey/{token}: one question, rated 1 to 5, and an optional comment. The page needs no
// sign-in and no JavaScript; the random token in its path is the authorisation, and it works
// once. Lookups of unknown tokens count against the client's address in the sign-in limiter,
// so guessing is refused long before it could succeed (it could not: tokens are 128 bits).
// The token is never logged: this file's errors are logged without the request's path.

type ratingChoice struct {
	Value   int
	Label   string
	Checked bool
}

type surveyPage struct {
	page
	Token    string
	Survey   *store.SurveyView
	Question string
	Ratings  []ratingChoice
	Comment  string
	Max      int
	Err      *formError
	Thanks   bool   // the answer was just recorded
	Closed   string // why the form is not shown: answered or expired
	Expires  string // the day the link stops working
}

// surveyLimitKey is the rate-limit key of a request's client: its address, or for IPv6 its
// /64, which one client usually holds whole.
func surveyLimitKey(r *http.Request) string {
	ip := clientIP(r)
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && !a.Is4In6() {
		if p, err := a.Prefix(64); err == nil {
			ip = p.String()
		}
	}
	return "survey|" + ip
}

// surveyFail answers an error on a survey page. Unlike fail it never logs the path, which
// holds the token.
func (w *Web) surveyFail(rw http.ResponseWriter, r *http.Request, err error) {
	p := &errorPage{Status: http.StatusInternalServerError, Heading: "Something went wrong",
		Message: "Something went wrong on our side, and your answer was not recorded. Please try again in a few minutes."}
	e := amends.ErrorOf(err)
	switch amends.ErrorCode(err) {
	case amends.ENotFound:
		p.Status, p.Heading, p.Message = http.StatusNotFound, "Survey not found", e.Message
	case amends.ETooMany:
		p.Status, p.Heading, p.Message = http.StatusTooManyRequests, "Too many requests", e.Message
	case amends.EUnavailable:
		w.log.Warn("survey page failed", "method", r.Method, "err", err)
		p.Status = http.StatusServiceUnavailable
	default:
		w.log.Error("survey page failed", "method", r.Method, "err", err)
	}
	p.Title = p.Heading
	rw.Header().Set("X-Robots-Tag", "noindex")
	w.render(rw, r, p.Status, "error", p)
}

// surveyOf returns the survey of the request's token. Unknown tokens count against the
// client; once it has too many, every lookup is refused for a while, known tokens included.
func (w *Web) surveyOf(r *http.Request) (*store.SurveyView, error) {
	key := surveyLimitKey(r)
	if wait := w.limiter.blocked(key); wait > 0 {
		return nil, amends.Errorf(amends.ETooMany, "token", "Too many survey links that do not work came from your address. Try again in %s.",
			formatDuration(wait+time.Minute))
	}
	v, err := w.store.SurveyByToken(r.Context(), r.PathValue("token"))
	if amends.ErrorCode(err) == amends.ENotFound {
		w.limiter.failed(key)
	}
	return v, err
}

func (w *Web) newSurveyPage(r *http.Request, v *store.SurveyView, rating int, comment string) *surveyPage {
	p := &surveyPage{Token: r.PathValue("token"), Survey: v, Question: amends.SurveyQuestion, Comment: comment,
		Max: amends.MaxFeedbackComment, Expires: v.ExpiresAt.In(w.store.Location()).Format("2 January 2006")}
	p.Title = amends.SurveyQuestion
	for i, label := range amends.RatingLabels {
		p.Ratings = append(p.Ratings, ratingChoice{Value: i + 1, Label: label, Checked: rating == i+1})
	}
	now := w.now()
	switch {
	case v.Answered():
		p.Closed = store.SurveyAnswered
	case v.Expired(now):
		p.Closed = store.SurveyExpired
	}
	return p
}

// renderSurvey renders the survey page; an answered or expired survey is shown with 409 or
// 410 so that it is plain to any client the link no longer takes an answer.
func (w *Web) renderSurvey(rw http.ResponseWriter, r *http.Request, status int, p *surveyPage) {
	if status == http.StatusOK && !p.Thanks {
		switch p.Closed {
		case store.SurveyAnswered:
			status = http.StatusConflict
		case store.SurveyExpired:
			status = http.StatusGone
		}
	}
	rw.Header().Set("X-Robots-Tag", "noindex")
	w.render(rw, r, status, "survey", p)
}

func (w *Web) surveyForm(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	v, err := w.surveyOf(r)
	if err != nil {
		w.surveyFail(rw, r, err)
		return
	}
	w.renderSurvey(rw, r, http.StatusOK, w.newSurveyPage(r, v, 0, ""))
}

// answerSurvey records the answer and thanks the customer on the same page; a bad answer shows
// the form again, as typed, with the error beside its field.
func (w *Web) answerSurvey(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	v, err := w.surveyOf(r)
	if err != nil {
		w.surveyFail(rw, r, err)
		return
	}
	comment := r.PostFormValue("comment")
	if closed := w.newSurveyPage(r, v, 0, ""); closed.Closed != "" {
		w.renderSurvey(rw, r, http.StatusOK, closed) // 409 or 410: a closed survey takes no answer, right or wrong
		return
	}
	rating, err := amends.ParseRating(r.PostFormValue("rating"))
	if err == nil {
		var answered *amends.Survey
		if answered, err = w.store.AnswerSurvey(r.Context(), r.PathValue("token"), amends.Answer{Rating: rating, Comment: comment}); err == nil {
			v.Survey = *answered
			p := w.newSurveyPage(r, v, rating, "")
			p.Thanks = true
			w.renderSurvey(rw, r, http.StatusOK, p)
			return
		}
	}
	p := w.newSurveyPage(r, v, rating, comment)
	e := amends.ErrorOf(err)
	switch {
	case e != nil && e.Code == amends.EConflict && e.Field == store.SurveyExpired:
		p.Closed = store.SurveyExpired
		w.renderSurvey(rw, r, http.StatusGone, p)
	case e != nil && e.Code == amends.EConflict:
		p.Closed = store.SurveyAnswered
		w.renderSurvey(rw, r, http.StatusConflict, p)
	case e != nil && e.Code == amends.EInvalid:
		p.Err = &formError{Field: e.Field, Message: e.Message}
		if e.Field != "rating" && e.Field != "comment" {
			p.Err.Field = ""
		}
		w.renderSurvey(rw, r, http.StatusBadRequest, p)
	default:
		w.surveyFail(rw, r, err)
	}
}

// actFeedbackForm is the "act on it" form of one answer when it comes back with an error.
type actFeedbackForm struct {
	SurveyID                int64
	Title, Kind, Owner, Due string
	Public                  bool
	Err                     *formError
}

// feedbackRow is one answer as the incident page shows it, with its "act on it" form.
type feedbackRow struct {
	*amends.Survey
	Label string
	Form  actFeedbackForm
}

// feedbackView is the "Customer feedback" section of the incident page.
type feedbackView struct {
	Sent    int
	Answers []feedbackRow
	Average string
	Form    actFeedbackForm // the form that failed, if any
}

func (w *Web) feedbackView(ctx context.Context, inc *amends.Incident, failed actFeedbackForm) (feedbackView, error) {
	fb, err := w.store.Feedback(ctx, inc.Ref)
	if err != nil {
		return feedbackView{}, err
	}
	v := feedbackView{Sent: fb.Sent, Form: failed}
	if len(fb.Answers) > 0 {
		v.Average = strconv.FormatFloat(fb.Average(), 'f', 1, 64)
	}
	for _, a := range fb.Answers {
		row := feedbackRow{Survey: a, Label: amends.RatingLabel(a.Rating),
			Form: actFeedbackForm{SurveyID: a.ID, Title: amends.FeedbackTitle(a.Comment, a.Rating), Kind: string(amends.ActionProcess)}}
		if failed.Err != nil && failed.SurveyID == a.ID {
			row.Form = failed
		}
		v.Answers = append(v.Answers, row)
	}
	return v, nil
}

// actOnFeedback turns one answer into an action item, then shows it among the incident's items.
func (w *Web) actOnFeedback(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.fail(rw, r, amends.Errorf(amends.ENotFound, "id", "no survey %q", r.PathValue("id")))
		return
	}
	sv, err := w.store.Survey(r.Context(), id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	r.SetPathValue("ref", sv.Ref)
	f := actFeedbackForm{SurveyID: id, Title: r.PostFormValue("title"), Kind: r.PostFormValue("kind"), Owner: r.PostFormValue("owner"),
		Due: r.PostFormValue("due"), Public: r.PostFormValue("public") != ""}
	due, err := amends.ParseDue(f.Due, w.store.Location())
	if err == nil {
		var a *amends.ActionItem
		if a, err = w.store.ActOnFeedback(r.Context(), id, amends.NewActionItem{Title: f.Title, Kind: amends.ActionKind(f.Kind),
			Owner: f.Owner, Due: due, Public: f.Public}, actorOf(sess)); err == nil {
			http.Redirect(rw, r, incidentURL(r)+"#a"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
			return
		}
	}
	if fe, status := asFormError(err, "title", "kind", "owner", "due"); fe != nil {
		f.Err = fe
		w.showIncident(rw, r, status, &incidentPage{Feedback: feedbackView{Form: f}})
		return
	}
	w.fail(rw, r, err)
}

// surveyDelayForm is the survey setting on the settings page.
type surveyDelayForm struct {
	Value string
	Err   *formError
}

func (w *Web) surveyDelayForm(ctx context.Context, f surveyDelayForm) (surveyDelayForm, error) {
	if f.Err != nil {
		return f, nil
	}
	d, on, err := w.store.SurveyDelay(ctx)
	return surveyDelayForm{Value: amends.FormatSurveyDelay(d, on)}, err
}

func (w *Web) setSurveyDelay(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := surveyDelayForm{Value: r.PostFormValue("survey_delay")}
	err := w.store.SetSurveyDelay(r.Context(), f.Value, actorOf(sess))
	if fe, status := asFormError(err, "survey_delay"); fe != nil {
		f.Err = fe
		w.showGroups(rw, r, status, &groupsPage{Survey: f})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/groups?done=survey#survey", http.StatusSeeOther)
}
