package statuspage_test

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends/amendstest"
)

// feed is the Atom feed as a reader sees it.
type feed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  string   `xml:"author>name"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Published string `xml:"published"`
		Updated   string `xml:"updated"`
		Link      struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

func TestAtomFeedParses(t *testing.T) {
	f := newFixture(t, "sqlite")
	_, b := f.get(t, "/status/feed.atom")
	var fd feed
	if err := xml.Unmarshal(b, &fd); err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, b)
	}
	if !strings.HasPrefix(fd.ID, "urn:uuid:") || fd.Title != "Status" || fd.Author != "Status" || len(fd.Links) != 2 ||
		fd.Links[0].Rel != "self" || fd.Links[0].Href != base+"/status/feed.atom" || fd.Links[1].Href != base+"/status" {
		t.Errorf("feed head: %+v", fd)
	}
	if _, err := time.Parse(time.RFC3339, fd.Updated); err != nil {
		t.Errorf("feed updated %q", fd.Updated)
	}
	if len(fd.Entries) != 4 {
		t.Fatalf("%d entries, want one per public update (4)", len(fd.Entries))
	}
	ids := map[string]bool{}
	for _, e := range fd.Entries {
		if !strings.HasPrefix(e.ID, "urn:uuid:") || ids[e.ID] {
			t.Errorf("entry id %q", e.ID)
		}
		ids[e.ID] = true
		if _, err := time.Parse(time.RFC3339, e.Published); err != nil {
			t.Errorf("published %q", e.Published)
		}
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("updated %q", e.Updated)
		}
		if e.Content.Type != "text" || !strings.HasPrefix(e.Link.Href, base+"/status#INC-") {
			t.Errorf("entry %+v", e)
		}
	}
	latest := fd.Entries[0]
	if latest.Title != "INC-2: Invoices showed doubled amounts — Resolved" || latest.Content.Text != goneResolve ||
		latest.Link.Href != base+"/status#INC-2-2" {
		t.Errorf("latest entry %+v", latest)
	}
	first := fd.Entries[3]
	if first.Title != "INC-1: "+openTitle+" — Investigating" || first.Content.Text != firstBody {
		t.Errorf("first entry %+v", first)
	}
	// Ids are stable: another build of the same state gives the same feed.
	if _, again := f.get(t, "/status/feed.atom"); string(again) != string(b) {
		t.Error("the feed changed without a publish")
	}
}

// TestAtomFeedWithFeedparser reads the feed with a real feed reader's parser (Debian's
// python3-feedparser, run with Debian's own python3).
func TestAtomFeedWithFeedparser(t *testing.T) {
	python := "/usr/bin/python3"
	found := exec.Command(python, "-c", "import feedparser").Run() == nil
	amendstest.Require(t, found, "python3-feedparser (apt-get install python3-feedparser)")
	f := newFixture(t, "sqlite")
	_, b := f.get(t, "/status/feed.atom")
	path := filepath.Join(t.TempDir(), "feed.atom")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import feedparser, json, sys
d = feedparser.parse(sys.argv[1])
print(json.dumps({"bozo": int(d.bozo), "exception": str(d.get("bozo_exception", "")), "version": d.version,
  "title": d.feed.get("title"), "id": d.feed.get("id"), "links": [l.get("href") for l in d.feed.get("links", [])],
  "entries": [{"id": e.get("id"), "title": e.get("title"), "link": e.get("link"), "published": e.get("published"),
    "updated": e.get("updated"), "content": e.content[0].value if e.get("content") else None} for e in d.entries]}))
`
	out, err := exec.Command(python, "-c", script, path).Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var got struct {
		Bozo      int
		Exception string
		Version   string
		Title, ID string
		Links     []string
		Entries   []struct{ ID, Title, Link, Published, Updated, Content string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Bozo != 0 || got.Version != "atom10" {
		t.Fatalf("feedparser: bozo %d (%s), version %q", got.Bozo, got.Exception, got.Version)
	}
	if got.Title != "Status" || !strings.HasPrefix(got.ID, "urn:uuid:") || len(got.Entries) != 4 {
		t.Fatalf("feedparser read %+v", got)
	}
	e := got.Entries[3]
	if e.Title != "INC-1: "+openTitle+" — Investigating" || e.Content != firstBody || e.Link != base+"/status#INC-1-1" ||
		e.Published == "" || e.Updated == "" {
		t.Errorf("feedparser entry %+v", e)
	}
}
