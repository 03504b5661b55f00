package statuspage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"slices"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// The Atom feed (RFC 4287), written with encoding/xml: gorilla/feeds uses the link as the feed
// id and writes no <published>, and the whole format fits in these few types.

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string      `xml:"id"`
	Title     atomText    `xml:"title"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Title     atomText `xml:"title"`
	Published string   `xml:"published"`
	Updated   string   `xml:"updated"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

// feedID is a name-based urn:uuid (RFC 9562 version 8, from SHA-256) of name under the
// installation's key: stable wherever the feed is served from, unique to the installation.
func feedID(key, name string) string {
	sum := sha256.Sum256([]byte("amends-status-feed\x00" + key + "\x00" + name))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// atom writes the feed: one entry per public update of every incident on the page, the latest
// published first.
func (r *Renderer) atom(st store.PublicState, l Links, key string) ([]byte, error) {
	type item struct {
		inc amends.PublicIncident
		u   amends.PublicUpdate
	}
	var items []item
	for _, inc := range append(append([]amends.PublicIncident{}, st.Open...), st.History...) {
		for _, u := range inc.Updates {
			items = append(items, item{inc, u})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if c := b.u.RecordedAt.Compare(a.u.RecordedAt); c != 0 {
			return c
		}
		return b.u.N - a.u.N
	})
	updated := st.PublishedAt
	f := atomFeed{ID: feedID(key, "feed"), Title: atomText{"text", r.name}, Author: atomPerson{r.name}, Generator: "amends",
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: l.Feed}, {Rel: "alternate", Type: "text/html", Href: l.Page}}}
	for _, it := range items {
		id := anchor(it.inc.Ref, it.u.N)
		published := it.u.At
		if it.u.RecordedAt.Before(published) {
			published = it.u.RecordedAt
		}
		if it.u.RecordedAt.After(updated) {
			updated = it.u.RecordedAt
		}
		f.Entries = append(f.Entries, atomEntry{
			ID:        feedID(key, "update/"+id),
			Title:     atomText{"text", fmt.Sprintf("%s: %s — %s", it.inc.Ref, it.inc.Title, it.u.Status.PublicLabel())},
			Published: stamp(published),
			Updated:   stamp(it.u.RecordedAt),
			Link:      atomLink{Rel: "alternate", Type: "text/html", Href: l.Page + "#" + id},
			Content:   atomText{"text", it.u.Body},
		})
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0) // nothing was ever published; the date must still be there
	}
	f.Updated = stamp(updated)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode feed: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
