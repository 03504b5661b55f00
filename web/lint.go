package web

import (
	"net/http"
	"sort"
	"unicode/utf8"

	"github.com/amends/amends"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// maxDraft is the longest draft the check page reads, in bytes.
const maxDraft = 100_000

// lintResult is the ownership check of one draft as the page shows it: the text cut into
// plain and highlighted segments, and the findings numbered to match the highlights.
// The message composer reuses it through the "lint_result" partial.
type lintResult struct {
	Empty    bool
	Report   ownership.Report
	Segments []segment
	Notes    []note
}

// segment is a piece of the draft; Note is the number of the finding it highlights, 0 for none.
type segment struct {
	Text string
	Note int
}

// note is one finding with its number; Marked is false for a missing element (nothing to
// highlight) or a span that overlaps an earlier highlight.
type note struct {
	N       int
	Marked  bool
	Finding ownership.Finding
}

type lintPage struct {
	page
	Text   string
	Mode   string
	Result *lintResult
	Err    *formError
}

func (w *Web) lintForm(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	w.render(rw, r, http.StatusOK, "lint", &lintPage{page: page{Title: "Ownership check", Nav: "lint"},
		Mode: string(ownership.Customer), Result: w.check("", ownership.Customer)})
}

func (w *Web) lint(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	p := &lintPage{page: page{Title: "Ownership check", Nav: "lint"}, Text: r.PostFormValue("text"), Mode: r.PostFormValue("mode")}
	mode, err := ownership.ParseMode(p.Mode)
	if err != nil {
		err = amends.Errorf(amends.EInvalid, "mode", "must be customer or blameless")
	} else if len(p.Text) > maxDraft {
		err = amends.Errorf(amends.EInvalid, "text", "is %d bytes; the check reads at most %d", len(p.Text), maxDraft)
	} else if !utf8.ValidString(p.Text) {
		err = amends.Errorf(amends.EInvalid, "text", "is not valid UTF-8")
	}
	if err != nil {
		p.Err, _ = asFormError(err, "text", "mode")
		w.render(rw, r, http.StatusBadRequest, "lint", p)
		return
	}
	p.Result = w.check(p.Text, mode)
	if r.Header.Get("HX-Request") == "true" {
		w.renderFragment(rw, r, http.StatusOK, "lint_result", p.Result)
		return
	}
	w.render(rw, r, http.StatusOK, "lint", p)
}

// check runs the ownership check and cuts the text into segments around its findings.
func (w *Web) check(text string, mode ownership.Mode) *lintResult {
	return markReport(text, w.checker.Check(text, mode))
}

// markReport cuts text into segments around the findings of rep, its report: a report just
// made, or one kept since a message was saved.
func markReport(text string, rep ownership.Report) *lintResult {
	res := &lintResult{Empty: text == "", Report: rep}
	fs := append([]ownership.Finding(nil), rep.Findings...)
	spanned := func(f ownership.Finding) bool {
		return f.Start < f.End && f.End <= len(text) && f.Start >= 0 &&
			utf8.RuneStart(text[f.Start]) && (f.End == len(text) || utf8.RuneStart(text[f.End]))
	}
	sort.SliceStable(fs, func(i, j int) bool {
		si, sj := spanned(fs[i]), spanned(fs[j])
		if si != sj {
			return si
		}
		return si && fs[i].Start < fs[j].Start
	})
	pos := 0
	for i, f := range fs {
		n := note{N: i + 1, Finding: f}
		if spanned(f) && f.Start >= pos {
			if f.Start > pos {
				res.Segments = append(res.Segments, segment{Text: text[pos:f.Start]})
			}
			res.Segments = append(res.Segments, segment{Text: text[f.Start:f.End], Note: n.N})
			n.Marked, pos = true, f.End
		}
		res.Notes = append(res.Notes, n)
	}
	if pos < len(text) {
		res.Segments = append(res.Segments, segment{Text: text[pos:]})
	}
	return res
}
