package web

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/amends/amends"
)

// FuzzUploadForm sends any body as a multipart upload form, the way the attachment and
// customer-file pages receive one, and reads the file part to its end as the store does.
// Whatever the body, the fields read before the file stay within their limits, and the
// outcome is the file's bytes or an EInvalid error for field "file" that the page shows the
// person: a malformed upload is the sender's mistake, never an internal error.
func FuzzUploadForm(f *testing.F) {
	const b = "XyZ"
	part := func(name, filename, body string) string {
		disp := `form-data; name="` + name + `"`
		if filename != "" {
			disp += `; filename="` + filename + `"`
		}
		return "--" + b + "\r\nContent-Disposition: " + disp + "\r\n\r\n" + body + "\r\n"
	}
	for _, s := range []string{
		part("csrf", "", "token") + part("file", "shot.png", "\x89PNG\r\n\x1a\n....") + "--" + b + "--\r\n",
		part("csrf", "", "token") + part("skip_bad", "", "on") + part("file", "customers.csv", "email\nann@example.com\n") + "--" + b + "--\r\n",
		part("csrf", "", "token") + part("file", "", "") + "--" + b + "--\r\n",
		part("csrf", "", "token") + "--" + b + "--\r\n",
		part("csrf", "", "token") + part("file", "a.txt", "cut off here"),
		part("file", "a.txt", "no closing boundary"),
		part("csrf", "", strings.Repeat("t", 1100)) + part("file", "a.txt", "x") + "--" + b + "--\r\n",
		strings.Repeat(part("f", "", "v"), 20) + part("file", "a.txt", "x") + "--" + b + "--\r\n",
		"--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n--" + b + "--\r\n",
		"--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''%E2%80%AEgnp.exe\r\n\r\nx\r\n--" + b + "--\r\n",
		"--" + b + "\r\nbroken header\r\n\r\nx\r\n--" + b + "--\r\n",
		"garbage", "", "--" + b + "--\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var (
			fields int
			data   []byte
			err    error
		)
		h := streamUpload(1<<20, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			u := uploadOf(r)
			if u == nil {
				t.Fatal("a multipart request has no upload form")
			}
			for name, vs := range u.fields {
				for _, v := range vs {
					fields++
					if len(v) > maxUploadField {
						t.Fatalf("field %q holds %d bytes", name, len(v))
					}
				}
			}
			file, ferr := uploadedFile(rw, r)
			if ferr != nil {
				err = ferr
				return
			}
			data, err = io.ReadAll(file)
			if err != nil {
				err = uploadError(err)
			}
		}))
		r := httptest.NewRequest("POST", "/incidents/INC-1/attachments", strings.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+b)
		h.ServeHTTP(httptest.NewRecorder(), r)
		if fields > maxUploadFields {
			t.Fatalf("%d fields read before the file, at most %d", fields, maxUploadFields)
		}
		if err != nil {
			e := amends.ErrorOf(err)
			if e == nil || e.Code != amends.EInvalid || e.Field != fileField || e.Message == "" {
				t.Fatalf("upload refused with %T %v; want an EInvalid error for field file", errors.Unwrap(err), err)
			}
			return
		}
		if len(data) > len(body) {
			t.Fatalf("read %d bytes of file from a body of %d", len(data), len(body))
		}
	})
}
