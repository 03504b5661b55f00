package web

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

func TestAttachmentsUploadAndServe(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	ctx := context.Background()
	noticed := at("14:00")
	inc, err := a.store.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Severity: 2, NoticedAt: &noticed}, setupActor)
	if err != nil {
		t.Fatal(err)
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 4, 4)))
	ana, vic := a.users[amends.Responder], a.users[amends.Viewer]
	base := "/incidents/" + inc.Ref

	// A viewer may not upload; a responder may.
	if resp, _ := a.call(t, call{method: "POST", path: base + "/attachments", user: vic, file: &csvFile{"shot.png", img.String()}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer upload: %d", resp.StatusCode)
	}
	if resp, _ := a.call(t, call{method: "POST", path: base + "/attachments", user: ana, file: &csvFile{"shot.png", img.String()}, csrf: "-"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload without CSRF token: %d", resp.StatusCode)
	}
	for _, f := range []csvFile{{"shot.png", img.String()}, {"../../accounts é.csv", "account,amount\n1,20\n"}} {
		if resp, body := a.call(t, call{method: "POST", path: base + "/attachments", user: ana, file: &f}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload %s: %d %s", f.name, resp.StatusCode, body)
		}
	}
	resp, body := a.call(t, call{method: "POST", path: base + "/attachments", user: ana, file: &csvFile{"evil.png", "<html><script>alert(1)</script></html>"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "looks like HTML") {
		t.Errorf("disguised HTML: %d", resp.StatusCode)
	}
	list, err := a.store.Attachments(ctx, inc.Ref)
	if err != nil || len(list) != 2 {
		t.Fatalf("attachments %d, %v", len(list), err)
	}

	_, page := a.call(t, call{method: "GET", path: base + "/postmortem", user: vic})
	if !strings.Contains(page, `<img src="/incidents/`+inc.Ref+`/attachments/`) || strings.Contains(page, `id="attach-form"`) {
		t.Errorf("viewer's postmortem page: image missing or upload form shown")
	}
	for _, c := range []struct {
		a           *amends.Attachment
		ctype, disp string
	}{
		{list[0], "image/png", "inline"},
		{list[1], "text/csv; charset=utf-8", "attachment; filename*=UTF-8''accounts%20%C3%A9.csv"},
	} {
		resp, body := a.call(t, call{method: "GET", path: base + "/attachments/" + itoa(c.a.ID), user: vic})
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != c.ctype || h.Get("Content-Disposition") != c.disp ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
			t.Errorf("GET %s: %d %v", c.a.Name, resp.StatusCode, h)
		}
		if int64(len(body)) != c.a.Size {
			t.Errorf("GET %s: %d bytes", c.a.Name, len(body))
		}
	}
	if resp, _ := a.call(t, call{method: "GET", path: base + "/attachments/99", user: vic}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing attachment: %d", resp.StatusCode)
	}
	if resp, _ := a.call(t, call{method: "GET", path: base + "/attachments/" + itoa(list[0].ID)}); resp.StatusCode == http.StatusOK {
		t.Errorf("signed out read an attachment")
	}
	_, print := a.call(t, call{method: "GET", path: base + "/postmortem/print", user: vic})
	if !strings.Contains(print, `src="data:image/png;base64,`) {
		t.Errorf("print view does not embed the image")
	}
}
