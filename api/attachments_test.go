package api_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/amends/amends"
)

func TestAttachmentsAPI(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.do(t, amends.Responder, "POST", "/api/v1/incidents", `{"title":"t","severity":3}`)
	send := func(role amends.Role, path, ctype string, body []byte) *http.Response {
		req, _ := http.NewRequest("POST", h.srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+h.tokens[role])
		req.Header.Set("Content-Type", ctype)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := send(amends.Viewer, "/api/v1/incidents/INC-1/attachments?name=a.txt", "application/octet-stream", []byte("hello")); res.StatusCode != 403 {
		t.Errorf("viewer upload: %d", res.StatusCode)
	}
	if res := send(amends.Responder, "/api/v1/incidents/INC-1/attachments?name=../a.txt", "application/octet-stream", []byte("hello")); res.StatusCode != 201 {
		t.Errorf("raw upload: %d", res.StatusCode)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "data.json")
	fw.Write([]byte(`{"a": 1}`))
	mw.Close()
	if res := send(amends.Responder, "/api/v1/incidents/INC-1/attachments", mw.FormDataContentType(), buf.Bytes()); res.StatusCode != 201 {
		t.Errorf("multipart upload: %d", res.StatusCode)
	}
	if res := send(amends.Responder, "/api/v1/incidents/INC-1/attachments?name=x.png", "image/png", []byte("<svg><script>alert(1)</script></svg>")); res.StatusCode != 400 {
		t.Errorf("SVG upload: %d", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/incidents/INC-1/attachments/1", nil)
	req.Header.Set("Authorization", "Bearer "+h.tokens[amends.Viewer])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Disposition") != "attachment; filename*=UTF-8''a.txt" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("download: %d %v", res.StatusCode, res.Header)
	}
	code, _, out := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/attachments", "")
	if list, _ := out["attachments"].([]any); code != 200 || len(list) != 2 {
		t.Errorf("list: %d %v", code, out)
	}
}
