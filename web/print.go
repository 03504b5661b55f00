package web

import (
	"bytes"
	"embed"
	"html/template"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/markdown"
)

// The print-ready postmortem: one standalone HTML document with print CSS (A4 pages, the
// timeline on a page of its own, no section split across pages where avoidable) that a browser
// prints to a clean PDF. The web app serves it with its stylesheet linked; `amends postmortem
// --format html` writes it with the stylesheet inline, so the file stands alone.

//go:embed print/postmortem.html static/print.css
var printFS embed.FS

var printTemplate = template.Must(template.New("postmortem.html").Funcs(template.FuncMap{
	"stamp": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04 MST") },
}).ParseFS(printFS, "print/postmortem.html"))

// printSection is one section as the print page shows it.
type printSection struct {
	amends.Section
	HTML template.HTML
}

// printData is what the print page needs.
type printData struct {
	PM       *amends.Postmortem
	Loc      *time.Location
	Sections []printSection
	CSSHref  string       // the stylesheet's URL, when served
	CSS      template.CSS // the stylesheet inline, when written to a file
}

func newPrintData(pm *amends.Postmortem, md *markdown.Renderer, loc *time.Location) *printData {
	d := &printData{PM: pm, Loc: loc}
	for _, s := range pm.Sections {
		d.Sections = append(d.Sections, printSection{Section: s, HTML: md.HTML(s.Markdown)})
	}
	return d
}

// PostmortemHTML writes pm as a standalone print-ready HTML document, its stylesheet inline.
func PostmortemHTML(pm *amends.Postmortem, loc *time.Location) ([]byte, error) {
	css, err := printFS.ReadFile("static/print.css")
	if err != nil {
		return nil, err
	}
	d := newPrintData(pm, markdown.New(), loc)
	d.CSS = template.CSS(css) //nolint:gosec // our own embedded stylesheet
	var buf bytes.Buffer
	if err := printTemplate.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
