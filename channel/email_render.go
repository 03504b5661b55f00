package channel

import (
	"bytes"
	"html/template"
	"strings"
)

// emailHTML is the HTML part: a short plain layout, inline styles only (mail clients drop style
// sheets), every value escaped by html/template. It is parsed once, when the package loads.
var emailHTML = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Headline}}</title></head>
<body style="margin:0;padding:24px;background:#ffffff;color:#1f2328;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5">
<div style="max-width:600px;margin:0 auto">
<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3">{{.Headline}}</h1>
{{- if .Facts}}
<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 16px;border-collapse:collapse">
{{- range .Facts}}
<tr><th align="left" valign="top" style="padding:2px 16px 2px 0;font-weight:600">{{.Label}}</th><td valign="top" style="padding:2px 0">{{range $i, $l := .Lines}}{{if $i}}<br>{{end}}{{$l}}{{end}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- range .Paragraphs}}
<p style="margin:0 0 12px">{{range $i, $l := .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{- end}}
<p style="margin:24px 0"><a href="{{.Link}}" style="display:inline-block;padding:10px 16px;border-radius:6px;background:#1f6feb;color:#ffffff;text-decoration:none;font-weight:600">{{.OpenLabel}}</a>
{{- if .AckLink}} &nbsp; <a href="{{.AckLink}}" style="display:inline-block;padding:10px 16px;border-radius:6px;border:1px solid #d0d7de;color:#1f2328;text-decoration:none">{{.AckLabel}}</a>{{end}}</p>
<p style="margin:0;font-size:13px;color:#57606a">{{.LinkNote}}: <a href="{{.Link}}" style="color:#0969da">{{.Link}}</a></p>
</div>
</body>
</html>
`))

type emailFact struct {
	Label string
	Lines []string
}

type emailView struct {
	Headline, Link, AckLink, OpenLabel, AckLabel, LinkNote string
	Facts                                                  []emailFact
	Paragraphs                                             [][]string
}

// renderEmail returns the plain-text and HTML parts of a cleaned message. Both say the same
// thing: headline, facts, text, the link to the incident page and the optional ack link.
func renderEmail(m Message) (text, html string, err error) {
	v := emailView{Headline: m.headline(), Link: m.Link, AckLink: m.AckLink, OpenLabel: m.openLabel(), AckLabel: ackLabel, LinkNote: m.linkNote()}
	var t strings.Builder
	t.WriteString(v.Headline + "\n")
	facts := m.facts()
	if len(facts) > 0 {
		t.WriteString("\n")
	}
	for _, f := range facts {
		lines := strings.Split(f.Value, "\n")
		v.Facts = append(v.Facts, emailFact{Label: f.Label, Lines: lines})
		t.WriteString(f.Label + ": " + strings.Join(lines, "\n  ") + "\n")
	}
	if m.Text != "" {
		t.WriteString("\n" + m.Text + "\n")
		for _, p := range strings.Split(m.Text, "\n\n") {
			if p = strings.Trim(p, "\n"); p != "" {
				v.Paragraphs = append(v.Paragraphs, strings.Split(p, "\n"))
			}
		}
	}
	t.WriteString("\n" + v.LinkNote + ":\n" + m.Link + "\n")
	if m.AckLink != "" {
		t.WriteString("\n" + ackLabel + ":\n" + m.AckLink + "\n")
	}
	var h bytes.Buffer
	if err := emailHTML.Execute(&h, v); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}
