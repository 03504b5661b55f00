package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/amends/amends"
)

// Postmortems. A section nobody has saved is prefilled from the incident each time it is read;
// each save is a new version of that one section and names the version it edited, so of two
// people editing one section at once the second is told of the conflict instead of silently
// overwriting the first. Sharing, publishing and waivers are timeline events like any other.

type sectionRow struct {
	markdown  string
	public    bool
	version   int
	updatedAt time.Time
	updatedBy string
}

func (s *Store) sectionRows(ctx context.Context, q querier, incidentID int64) (map[amends.SectionName]sectionRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT section, markdown, public, version, updated_at, updated_by
		FROM postmortem_sections WHERE incident_id = $1`, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[amends.SectionName]sectionRow{}
	for rows.Next() {
		var (
			name   string
			r      sectionRow
			public int
			at     int64
		)
		if err := rows.Scan(&name, &r.markdown, &public, &r.version, &at, &r.updatedBy); err != nil {
			return nil, err
		}
		r.public, r.updatedAt = public != 0, fromMicros(at)
		out[amends.SectionName(name)] = r
	}
	return out, rows.Err()
}

// latestSentMessage returns the body of the newest sent customer message ("" when none).
func (s *Store) latestSentMessage(ctx context.Context, q querier, incidentID int64) (string, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM messages WHERE incident_id = $1 AND state = 'sent'
		ORDER BY sent_at DESC, id DESC LIMIT 1`, incidentID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return body, err
}

// prefill returns the text of a section nobody has saved yet.
func prefill(name amends.SectionName, inc *amends.Incident, events []amends.Event, audienceSize int, sent string, loc *time.Location) string {
	switch name {
	case amends.SectionDescription:
		return inc.Summary
	case amends.SectionStatus:
		st := string(inc.Status)
		line := fmt.Sprintf("%s, severity %d.", strings.ToUpper(st[:1])+st[1:], inc.Severity)
		if inc.ResolvedAt != nil {
			line += " Resolved " + inc.ResolvedAt.In(loc).Format("2006-01-02 15:04") + "."
		}
		return line
	case amends.SectionRootCause:
		eff, _ := amends.Effective(events)
		var parts []string
		for _, e := range eff {
			if e.Kind == amends.KindRootCause && strings.TrimSpace(e.Body) != "" {
				parts = append(parts, e.Body)
			}
		}
		return strings.Join(parts, "\n\n")
	case amends.SectionImpact:
		var b strings.Builder
		if audienceSize > 0 {
			fmt.Fprintf(&b, "- Customers affected: %d\n", audienceSize)
		} else {
			b.WriteString("- Customers affected: not counted yet (choose the audience)\n")
		}
		if len(inc.Components) > 0 {
			fmt.Fprintf(&b, "- Components: %s\n", strings.Join(inc.Components, ", "))
		}
		in := amends.DeriveInstants(inc.NoticedAt, events)
		end := in.Resolved
		if end == nil {
			end = in.Mitigated
		}
		if d, ok := in.Since(end); ok {
			fmt.Fprintf(&b, "- Duration: %s (noticed %s)\n", amends.FormatSpan(d), in.Noticed.In(loc).Format("2006-01-02 15:04"))
		} else {
			fmt.Fprintf(&b, "- Duration: ongoing since %s\n", in.Noticed.In(loc).Format("2006-01-02 15:04"))
		}
		return b.String()
	case amends.SectionPrevention:
		return ""
	case amends.SectionApology:
		return sent
	}
	return ""
}

// Postmortem returns incident ref's postmortem in edition ed: every section in order (the
// public edition only those marked public), the generated timeline and durations (public
// events only for the public edition) and, for the internal edition, the loop-closing checklist.
func (s *Store) Postmortem(ctx context.Context, ref string, ed amends.Edition) (*amends.Postmortem, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	// The timeline comes from the chain-head cache when it has not changed since last read.
	events, err := s.Timeline(ctx, inc.Ref, false)
	if err != nil {
		return nil, err
	}
	pm, err := s.postmortem(ctx, s.db, inc, events, ed)
	return pm, translate(err)
}

func (s *Store) postmortem(ctx context.Context, q querier, inc *amends.Incident, events []amends.Event, ed amends.Edition) (*amends.Postmortem, error) {
	rows, err := s.sectionRows(ctx, q, inc.ID)
	if err != nil {
		return nil, err
	}
	aud, err := s.audience(ctx, q, inc.ID)
	if err != nil {
		return nil, err
	}
	sent, err := s.latestSentMessage(ctx, q, inc.ID)
	if err != nil {
		return nil, err
	}
	pm := &amends.Postmortem{Ref: inc.Ref, Title: inc.Title, Edition: ed, Status: inc.Status, CustomerMessage: sent}
	for _, name := range amends.Sections {
		sec := amends.Section{Name: name, Title: name.Title(), Public: name.PublicByDefault()}
		if r, ok := rows[name]; ok {
			t := r.updatedAt
			sec.Markdown, sec.Public, sec.Version, sec.UpdatedAt, sec.UpdatedBy = r.markdown, r.public, r.version, &t, r.updatedBy
		} else {
			sec.Markdown = prefill(name, inc, events, aud.Size, sent, s.loc)
		}
		if ed == amends.EditionPublic && !sec.Public {
			continue
		}
		pm.Sections = append(pm.Sections, sec)
	}
	prev, err := s.preventions(ctx, q, inc.ID)
	if err != nil {
		return nil, err
	}
	pm.Preventions = []amends.ActionItem{}
	for _, a := range prev {
		if ed == amends.EditionPublic && !a.Public {
			continue
		}
		if ed == amends.EditionPublic {
			// Who owns a promise is internal: the public edition names the work and its date.
			a.Owner = ""
		}
		pm.Preventions = append(pm.Preventions, *a)
	}
	pm.Timeline = amends.TimelineLines(events, ed == amends.EditionPublic)
	pm.Spans = amends.Spans(amends.DeriveInstants(inc.NoticedAt, events))
	if ed == amends.EditionInternal {
		waivers, err := s.waivers(ctx, q, inc.ID)
		if err != nil {
			return nil, err
		}
		pm.Checklist = amends.ClosingChecklist(inc, events, facts(rows, sent, prev), waivers)
	} else {
		pm.CustomerMessage = ""
	}
	return pm, nil
}

// preventions returns the incident's prevention action items, soonest due first.
func (s *Store) preventions(ctx context.Context, q querier, incidentID int64) ([]*amends.ActionItem, error) {
	return s.actionItems(ctx, q, "a.incident_id = $1 AND a.kind = 'prevention' ORDER BY a.due_at, a.id", incidentID)
}

// facts answers the checklist's questions about a postmortem from its saved sections and its
// prevention action items. "Every prevention has an owner and a due date" holds by
// amends.PreventionsOwned: at least one prevention action item that is open or done. "A copy of what customers were told" holds when a saved section
// contains the latest sent customer message, or, when customers were told outside amends (no
// sent message), when the apology section has been written.
func facts(rows map[amends.SectionName]sectionRow, sent string, preventions []*amends.ActionItem) amends.PostmortemFacts {
	var f amends.PostmortemFacts
	items := make([]amends.ActionItem, len(preventions))
	for i, a := range preventions {
		items[i] = *a
	}
	f.PreventionsOwned = amends.PreventionsOwned(items)
	if sent == "" {
		r, ok := rows[amends.SectionApology]
		f.CarriesCustomerCopy = ok && strings.TrimSpace(r.markdown) != ""
		return f
	}
	want := squash(sent)
	for _, r := range rows {
		if strings.Contains(squash(r.markdown), want) {
			f.CarriesCustomerCopy = true
		}
	}
	return f
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// closingChecklist is the full loop-closing checklist of inc, read in q.
func (s *Store) closingChecklist(ctx context.Context, q querier, inc *amends.Incident, events []amends.Event) ([]amends.CheckItem, error) {
	rows, err := s.sectionRows(ctx, q, inc.ID)
	if err != nil {
		return nil, err
	}
	sent, err := s.latestSentMessage(ctx, q, inc.ID)
	if err != nil {
		return nil, err
	}
	waivers, err := s.waivers(ctx, q, inc.ID)
	if err != nil {
		return nil, err
	}
	prev, err := s.preventions(ctx, q, inc.ID)
	if err != nil {
		return nil, err
	}
	return amends.ClosingChecklist(inc, events, facts(rows, sent, prev), waivers), nil
}

// Checklist returns incident ref's loop-closing checklist with its waivers.
func (s *Store) Checklist(ctx context.Context, ref string) ([]amends.CheckItem, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	events, err := s.events(ctx, s.db, inc.ID, false)
	if err != nil {
		return nil, translate(err)
	}
	items, err := s.closingChecklist(ctx, s.db, inc, events)
	return items, translate(err)
}

func (s *Store) waivers(ctx context.Context, q querier, incidentID int64) ([]amends.Waiver, error) {
	rows, err := q.QueryContext(ctx, "SELECT item, reason, waived_by, at FROM checklist_waivers WHERE incident_id = $1 ORDER BY at, item", incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []amends.Waiver
	for rows.Next() {
		var w amends.Waiver
		var at int64
		if err := rows.Scan(&w.Item, &w.Reason, &w.By, &at); err != nil {
			return nil, err
		}
		w.At = fromMicros(at)
		out = append(out, w)
	}
	return out, rows.Err()
}

// SaveSection saves a new version of one section. baseVersion is the version the editor
// started from (0 for the prefilled text): when someone has saved the section since, nothing
// is written and the error is EConflict, naming who saved which version.
func (s *Store) SaveSection(ctx context.Context, ref string, name amends.SectionName, markdown string, public bool, baseVersion int, actor amends.Actor) (amends.Section, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	if !name.Valid() {
		_, err := amends.ParseSection(string(name))
		return amends.Section{}, err
	}
	if err := amends.ValidateSectionText(markdown); err != nil {
		return amends.Section{}, err
	}
	sec := amends.Section{Name: name, Title: name.Title(), Markdown: markdown, Public: public, UpdatedAt: &now, UpdatedBy: actor.Name}
	err := s.inTx(ctx, func(tx *Tx) error {
		inc, err := s.incident(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		var cur int
		var by string
		err = tx.QueryRowContext(ctx, "SELECT version, updated_by FROM postmortem_sections WHERE incident_id = $1 AND section = $2",
			inc.ID, string(name)).Scan(&cur, &by)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if baseVersion != cur {
			return amends.Errorf(amends.EConflict, "base_version", "%s was saved by %s as version %d while you edited version %d; reload it, merge your change and save again",
				name.Title(), by, cur, baseVersion)
		}
		sec.Version = cur + 1
		if cur == 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO postmortem_sections (incident_id, section, markdown, public, version, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, inc.ID, string(name), markdown, boolInt(public), sec.Version, micros(now), actor.Name)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE postmortem_sections SET markdown = $1, public = $2, version = $3, updated_at = $4, updated_by = $5
				WHERE incident_id = $6 AND section = $7 AND version = $8`, markdown, boolInt(public), sec.Version, micros(now), actor.Name, inc.ID, string(name), cur)
		}
		if err != nil {
			return fmt.Errorf("save section: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO postmortem_versions (incident_id, section, version, markdown, public, author, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, inc.ID, string(name), sec.Version, markdown, boolInt(public), actor.Name, micros(now)); err != nil {
			return fmt.Errorf("save section version: %w", err)
		}
		return s.audit(ctx, tx, now, actor, "postmortem.save", inc.Ref, fmt.Sprintf("%s version %d", name, sec.Version))
	})
	if amends.ErrorCode(err) == amends.EConflict && amends.ErrorOf(err).Field == "" {
		// Two first saves raced on the primary key: the later one lost, and is told so.
		err = amends.Errorf(amends.EConflict, "base_version", "%s was saved by someone else while you edited it; reload it, merge your change and save again", name.Title())
	}
	if err != nil {
		return amends.Section{}, err
	}
	return sec, nil
}

// PostmortemVersions returns every saved version of incident ref's postmortem sections, the
// oldest first; with section set, only that section's.
func (s *Store) PostmortemVersions(ctx context.Context, ref string, section amends.SectionName) ([]amends.SectionVersion, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	q := "SELECT section, version, markdown, public, author, at FROM postmortem_versions WHERE incident_id = $1"
	args := []any{inc.ID}
	if section != "" {
		if _, err := amends.ParseSection(string(section)); err != nil {
			return nil, err
		}
		q += " AND section = $2"
		args = append(args, string(section))
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY at, section, version", args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []amends.SectionVersion{}
	for rows.Next() {
		var v amends.SectionVersion
		var name string
		var public int
		var at int64
		if err := rows.Scan(&name, &v.Version, &v.Markdown, &public, &v.By, &at); err != nil {
			return nil, translate(err)
		}
		v.Section, v.Public, v.At = amends.SectionName(name), public != 0, fromMicros(at)
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

// ComparePostmortem returns the line diff from version from to version to of one section;
// version 0 is the empty text before the first save. ENotFound when a version does not exist.
func (s *Store) ComparePostmortem(ctx context.Context, ref string, section amends.SectionName, from, to int) ([]amends.DiffLine, error) {
	vs, err := s.PostmortemVersions(ctx, ref, section)
	if err != nil {
		return nil, err
	}
	text := func(n int) (string, error) {
		if n == 0 {
			return "", nil
		}
		for _, v := range vs {
			if v.Version == n {
				return v.Markdown, nil
			}
		}
		return "", amends.Errorf(amends.ENotFound, "version", "%s has no version %d", section.Title(), n)
	}
	a, err := text(from)
	if err != nil {
		return nil, err
	}
	b, err := text(to)
	if err != nil {
		return nil, err
	}
	return amends.DiffLines(a, b), nil
}

// SharePostmortem shares the internal edition with colleagues: it records "postmortem shared"
// on the timeline, which notifies every stakeholder group that hears it.
func (s *Store) SharePostmortem(ctx context.Context, ref string, actor amends.Actor) (amends.Event, error) {
	n, err := amends.ParseRef(ref)
	if err != nil {
		return amends.Event{}, err
	}
	return s.AddEvent(ctx, ref, amends.NewEvent{Kind: amends.KindPostmortem,
		Body: fmt.Sprintf("Postmortem shared with colleagues: /incidents/%s/postmortem", amends.FormatRef(n))}, actor)
}

// PublishPostmortem publishes the public edition: the postmortem page at /postmortems/REF
// starts answering, and a public timeline event linking it goes on the status page.
func (s *Store) PublishPostmortem(ctx context.Context, ref string, actor amends.Actor) (amends.Event, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	var ev amends.Event
	err := s.inTx(ctx, func(tx *Tx) error {
		inc, err := s.incident(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM postmortem_publications WHERE incident_id = $1", inc.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO postmortem_publications (incident_id, published_at, published_by) VALUES ($1, $2, $3)",
			inc.ID, micros(now), actor.Name); err != nil {
			return err
		}
		ev, err = s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, At: now, Actor: actor.Name, Visibility: amends.Public,
			Body: fmt.Sprintf("We have published our postmortem of this incident: /postmortems/%s", inc.Ref)}, now)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "postmortem.publish", inc.Ref, "public edition")
	})
	return ev, err
}

// PostmortemPublished reports when incident ref's public edition was published (nil: never).
func (s *Store) PostmortemPublished(ctx context.Context, ref string) (*time.Time, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	var at int64
	err = s.db.QueryRowContext(ctx, "SELECT published_at FROM postmortem_publications WHERE incident_id = $1", inc.ID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err)
	}
	t := fromMicros(at)
	return &t, nil
}

// Waive waives one loop-closing check of incident ref with a reason, which goes on the
// timeline; waiving an item again replaces the reason.
func (s *Store) Waive(ctx context.Context, ref, item, reason string, actor amends.Actor) (amends.Waiver, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	reason = strings.TrimSpace(reason)
	if err := amends.ValidateWaiver(item, reason); err != nil {
		return amends.Waiver{}, err
	}
	w := amends.Waiver{Item: item, Reason: reason, By: actor.Name, At: now}
	err := s.inTx(ctx, func(tx *Tx) error {
		inc, err := s.incident(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM checklist_waivers WHERE incident_id = $1 AND item = $2", inc.ID, item); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO checklist_waivers (incident_id, item, reason, waived_by, at) VALUES ($1, $2, $3, $4, $5)",
			inc.ID, item, reason, actor.Name, micros(now)); err != nil {
			return err
		}
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, At: now, Actor: actor.Name, Visibility: amends.Internal,
			Body: fmt.Sprintf("Loop-closing check waived: %s. Reason: %s", item, reason)}, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "checklist.waive", inc.Ref, item)
	})
	return w, err
}

// Location is the zone times are written in for people (postmortems, briefs).
func (s *Store) Location() *time.Location { return s.loc }
