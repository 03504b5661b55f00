package api

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// alertmanagerPayload is Prometheus Alertmanager's webhook body, version 4.
type alertmanagerPayload struct {
	Version           string              `json:"version"`
	GroupKey          string              `json:"groupKey"`
	TruncatedAlerts   int                 `json:"truncatedAlerts"`
	Status            string              `json:"status"`
	Receiver          string              `json:"receiver"`
	GroupLabels       map[string]string   `json:"groupLabels"`
	CommonLabels      map[string]string   `json:"commonLabels"`
	CommonAnnotations map[string]string   `json:"commonAnnotations"`
	ExternalURL       string              `json:"externalURL"`
	Alerts            []alertmanagerAlert `json:"alerts"`
}

type alertmanagerAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// toAlert translates Alertmanager's payload: the group key names the incident; the earliest
// alert start is when the mistake was noticed; severity comes from the "severity" label.
func (p alertmanagerPayload) toAlert() (store.Alert, error) {
	if p.Version != "4" {
		return store.Alert{}, amends.Errorf(amends.EInvalid, "version", "Alertmanager webhook version 4 is supported, got %q", p.Version)
	}
	if p.Status != "firing" && p.Status != "resolved" {
		return store.Alert{}, amends.Errorf(amends.EInvalid, "status", "must be firing or resolved, got %q", p.Status)
	}
	if len(p.Alerts) == 0 {
		return store.Alert{}, amends.Errorf(amends.EInvalid, "alerts", "at least one alert is required")
	}
	a := store.Alert{Source: "alertmanager", GroupKey: p.GroupKey, Firing: p.Status == "firing"}
	label := func(name string) string {
		if v := p.CommonLabels[name]; v != "" {
			return v
		}
		return p.GroupLabels[name]
	}
	a.Title = firstNonEmpty(p.CommonAnnotations["summary"], p.CommonAnnotations["title"], label("alertname"), "Alert "+p.GroupKey)
	a.Summary = p.CommonAnnotations["description"]
	a.Severity = severityFromLabel(label("severity"))
	var names []string
	for _, al := range p.Alerts {
		if !al.StartsAt.IsZero() && (a.StartedAt.IsZero() || al.StartsAt.Before(a.StartedAt)) {
			a.StartedAt = al.StartsAt
		}
		if al.EndsAt.After(a.EndedAt) && al.EndsAt.Year() > 1 {
			a.EndedAt = al.EndsAt
		}
		name := firstNonEmpty(al.Labels["alertname"], "alert")
		if inst := al.Labels["instance"]; inst != "" {
			name += " on " + inst
		}
		names = append(names, name)
	}
	sort.Strings(names)
	a.Detail = strings.Join(names, ", ")
	if p.TruncatedAlerts > 0 {
		a.Detail += fmt.Sprintf(" (and %d more)", p.TruncatedAlerts)
	}
	return a, nil
}

// severityFromLabel maps the usual label values to 1..4; an unknown value is a 2, since an
// alert that reached amends matters until a person says otherwise.
func severityFromLabel(v string) amends.Severity {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "critical", "page", "sev1", "1", "p1", "emergency":
		return 1
	case "error", "high", "major", "sev2", "2", "p2":
		return 2
	case "warning", "warn", "medium", "minor", "sev3", "3", "p3":
		return 3
	case "info", "low", "sev4", "4", "p4":
		return 4
	}
	return 2
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (a *API) alertmanagerHook(w http.ResponseWriter, r *http.Request) {
	var p alertmanagerPayload
	if err := decodeLenient(w, r, &p); err != nil {
		fail(w, r, a.log, err)
		return
	}
	alert, err := p.toAlert()
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	a.ingest(w, r, alert)
}

type genericAlert struct {
	Key       string  `json:"key"`
	Status    string  `json:"status"`
	Title     string  `json:"title"`
	Summary   string  `json:"summary"`
	Severity  int     `json:"severity"`
	StartedAt *string `json:"started_at"`
	EndedAt   *string `json:"ended_at"`
}

func (a *API) genericHook(w http.ResponseWriter, r *http.Request) {
	var g genericAlert
	if err := decode(w, r, &g); err != nil {
		fail(w, r, a.log, err)
		return
	}
	if g.Status == "" {
		g.Status = "firing"
	}
	if g.Status != "firing" && g.Status != "resolved" {
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "status", "must be firing or resolved, got %q", g.Status))
		return
	}
	if g.Severity == 0 {
		g.Severity = 2
	}
	alert := store.Alert{Source: "generic", GroupKey: g.Key, Firing: g.Status == "firing", Title: g.Title,
		Summary: g.Summary, Severity: amends.Severity(g.Severity), Detail: firstNonEmpty(g.Title, g.Key)}
	started, err := parseTime("started_at", g.StartedAt)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	ended, err := parseTime("ended_at", g.EndedAt)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	if started != nil {
		alert.StartedAt = *started
	}
	if ended != nil {
		alert.EndedAt = *ended
	}
	if alert.Firing && strings.TrimSpace(g.Title) == "" {
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "title", "is required for a firing alert"))
		return
	}
	a.ingest(w, r, alert)
}

func (a *API) ingest(w http.ResponseWriter, r *http.Request, alert store.Alert) {
	res, err := a.store.IngestAlert(r.Context(), alert, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	respond(w, status, res)
}
