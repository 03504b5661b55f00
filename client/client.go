// Package client is a Go client of amends' /api/v1, used by the command-line verbs.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/amends/amends"
)

// Client talks to one amends server with one token.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client of the server at baseURL (e.g. http://127.0.0.1:8080).
func New(baseURL, token string) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}
}

// do sends a JSON request and decodes a JSON answer into out; a problem answer becomes an
// *amends.Error with the server's code, field and detail.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return amends.Errorf(amends.EUnavailable, "", "cannot reach amends at %s: %v", c.base, err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		var p struct {
			Code, Field, Detail string
		}
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		if json.Unmarshal(b, &p) != nil || p.Code == "" {
			return amends.Errorf(amends.EInternal, "", "%s %s: %s", method, path, res.Status)
		}
		return &amends.Error{Code: p.Code, Field: p.Field, Message: strings.TrimPrefix(p.Detail, p.Field+": ")}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return nil
}

// Declare declares an incident.
func (c *Client) Declare(ctx context.Context, n amends.NewIncident) (*amends.Incident, error) {
	body := map[string]any{"title": n.Title, "severity": int(n.Severity)}
	if n.Summary != "" {
		body["summary"] = n.Summary
	}
	if n.Owner != "" {
		body["owner"] = n.Owner
	}
	if len(n.Components) > 0 {
		body["components"] = n.Components
	}
	if n.NoticedAt != nil {
		body["noticed_at"] = n.NoticedAt.Format(time.RFC3339Nano)
	}
	var inc amends.Incident
	return &inc, c.do(ctx, "POST", "/api/v1/incidents", body, &inc)
}

// Incident returns one incident.
func (c *Client) Incident(ctx context.Context, ref string) (*amends.Incident, error) {
	var inc amends.Incident
	return &inc, c.do(ctx, "GET", "/api/v1/incidents/"+url.PathEscape(ref), nil, &inc)
}

// Page is one page of incidents.
type Page struct {
	Incidents []*amends.Incident `json:"incidents"`
	Next      string             `json:"next"`
}

// Incidents lists incidents with the given query (status, severity, open, limit, after).
func (c *Client) Incidents(ctx context.Context, q url.Values) (*Page, error) {
	var p Page
	return &p, c.do(ctx, "GET", "/api/v1/incidents?"+q.Encode(), nil, &p)
}

// Update changes an incident; body holds the fields to change, as the API names them.
func (c *Client) Update(ctx context.Context, ref string, body map[string]any) (*amends.Incident, error) {
	var inc amends.Incident
	return &inc, c.do(ctx, "PATCH", "/api/v1/incidents/"+url.PathEscape(ref), body, &inc)
}

// AddEvent records an event on an incident's timeline.
func (c *Client) AddEvent(ctx context.Context, ref string, n amends.NewEvent) (*amends.Event, error) {
	body := map[string]any{"body": n.Body}
	if n.Kind != "" {
		body["kind"] = n.Kind
	}
	if n.Visibility != "" {
		body["visibility"] = n.Visibility
	}
	if n.At != nil {
		body["at"] = n.At.Format(time.RFC3339Nano)
	}
	if n.Corrects != nil {
		body["corrects"] = *n.Corrects
	}
	var e amends.Event
	return &e, c.do(ctx, "POST", "/api/v1/incidents/"+url.PathEscape(ref)+"/events", body, &e)
}

// Timeline returns an incident's events in the order they happened.
func (c *Client) Timeline(ctx context.Context, ref string) ([]amends.Event, error) {
	var out struct {
		Events []amends.Event `json:"events"`
	}
	return out.Events, c.do(ctx, "GET", "/api/v1/incidents/"+url.PathEscape(ref)+"/timeline", nil, &out)
}

// problemOf turns a problem answer into an *amends.Error with the server's code, field and
// detail.
func problemOf(res *http.Response, method, path string) error {
	var p struct {
		Code, Field, Detail string
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if json.Unmarshal(b, &p) != nil || p.Code == "" {
		return amends.Errorf(amends.EInternal, "", "%s %s: %s", method, path, res.Status)
	}
	return &amends.Error{Code: p.Code, Field: p.Field, Message: strings.TrimPrefix(p.Detail, p.Field+": ")}
}

// ImportOptions say what an import does with bad rows and with customers the server has.
type ImportOptions struct {
	SkipBad bool // import the good rows of a file that has bad ones
	Update  bool // change known customers instead of reporting them as duplicates
}

// ImportCustomers sends a CSV file of customers as it reads it (size is its length, or -1
// when unknown) and returns the server's report, also when the server refused the file for
// its problems (then the report's Refused is true). Being a whole file, it is not bound by
// the client's usual timeout; ctx bounds it.
func (c *Client) ImportCustomers(ctx context.Context, file io.Reader, size int64, opts ImportOptions) (*amends.ImportReport, error) {
	q := url.Values{}
	if opts.SkipBad {
		q.Set("skip_bad", "true")
	}
	if opts.Update {
		q.Set("update", "true")
	}
	path := "/api/v1/customers/import"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, file)
	if err != nil {
		return nil, err
	}
	if size >= 0 {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
	}
	req.Header.Set("Content-Type", "text/csv; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := *c.http
	hc.Timeout = 0
	res, err := hc.Do(req)
	if err != nil {
		return nil, amends.Errorf(amends.EUnavailable, "", "cannot reach amends at %s: %v", c.base, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusUnprocessableEntity {
		return nil, problemOf(res, "POST", path)
	}
	var rep amends.ImportReport
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		return nil, fmt.Errorf("POST %s: reading the answer: %w", path, err)
	}
	return &rep, nil
}

// CustomerPage is one page of customers.
type CustomerPage struct {
	Customers []*amends.Customer `json:"customers"`
	Next      string             `json:"next"`
}

// Customers lists customers with the given query (account, segment, limit, after).
func (c *Client) Customers(ctx context.Context, q url.Values) (*CustomerPage, error) {
	var p CustomerPage
	return &p, c.do(ctx, "GET", "/api/v1/customers?"+q.Encode(), nil, &p)
}

// Postmortem returns incident ref's postmortem in edition ed ("internal" or "public").
func (c *Client) Postmortem(ctx context.Context, ref, ed string) (*amends.Postmortem, error) {
	var out amends.Postmortem
	return &out, c.do(ctx, "GET", "/api/v1/incidents/"+url.PathEscape(ref)+"/postmortem?edition="+url.QueryEscape(ed), nil, &out)
}

// PostmortemMarkdown returns incident ref's postmortem in edition ed as one Markdown document.
func (c *Client) PostmortemMarkdown(ctx context.Context, ref, ed string) (string, error) {
	path := "/api/v1/incidents/" + url.PathEscape(ref) + "/postmortem.md?edition=" + url.QueryEscape(ed)
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "text/markdown, application/problem+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return "", amends.Errorf(amends.EUnavailable, "", "cannot reach amends at %s: %v", c.base, err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		return "", problemOf(res, "GET", path)
	}
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// ActionItems returns an incident's action items, soonest due first.
func (c *Client) ActionItems(ctx context.Context, ref string) ([]*amends.ActionItem, error) {
	var out struct {
		Actions []*amends.ActionItem `json:"actions"`
	}
	return out.Actions, c.do(ctx, "GET", "/api/v1/incidents/"+url.PathEscape(ref)+"/actions", nil, &out)
}

// Owed returns the open action items owner owes across incidents, soonest due first.
func (c *Client) Owed(ctx context.Context, owner string) ([]*amends.ActionItem, error) {
	var out struct {
		Actions []*amends.ActionItem `json:"actions"`
	}
	return out.Actions, c.do(ctx, "GET", "/api/v1/actions?"+url.Values{"owner": {owner}}.Encode(), nil, &out)
}
