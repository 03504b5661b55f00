// Package markdown renders the Markdown people write in amends (postmortem sections) to HTML
// that is safe to put in a page: goldmark with GitHub Flavored Markdown, raw HTML left out
// (goldmark's unsafe mode stays off), and the result sanitized by bluemonday's UGC policy
// anyway, so a link to javascript: or an attribute trick cannot pass either layer.
package markdown

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer turns Markdown into sanitized HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a Renderer.
func New() *Renderer {
	p := bluemonday.UGCPolicy()
	// GFM task lists render as disabled checkboxes.
	p.AllowAttrs("type").Matching(bluemonday.SpaceSeparatedTokens).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	p.AllowElements("input")
	return &Renderer{md: goldmark.New(goldmark.WithExtensions(extension.GFM)), policy: p}
}

// HTML renders src. Rendering Markdown cannot fail on any input; an error from the writer
// (none for a buffer) leaves the output empty.
func (r *Renderer) HTML(src string) template.HTML {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return ""
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitized just now
}
