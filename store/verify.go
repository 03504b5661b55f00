package store

import (
	"context"
	"fmt"

	"github.com/amends/amends"
)

// ChainProblem says why an incident's timeline does not check out.
type ChainProblem struct {
	Ref     string `json:"ref"`
	Seq     int64  `json:"seq"`
	Problem string `json:"problem"`
}

// Verify recomputes every incident's hash chain and returns each incident whose stored
// events, or whose recorded head and count, disagree with it: a silent edit, insertion or
// deletion of history shows here.
func (s *Store) Verify(ctx context.Context) ([]ChainProblem, int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, number, event_count, head_hash FROM incidents ORDER BY number")
	if err != nil {
		return nil, 0, translate(err)
	}
	type head struct {
		id, number, count int64
		hash              string
	}
	var heads []head
	for rows.Next() {
		var h head
		if err := rows.Scan(&h.id, &h.number, &h.count, &h.hash); err != nil {
			rows.Close()
			return nil, 0, err
		}
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, translate(err)
	}
	var problems []ChainProblem
	for _, h := range heads {
		if p := s.verifyOne(ctx, h.id, amends.FormatRef(h.number), h.count, h.hash); p != nil {
			problems = append(problems, *p)
		}
	}
	return problems, len(heads), nil
}

func (s *Store) verifyOne(ctx context.Context, id int64, ref string, count int64, headHash string) *ChainProblem {
	rows, err := s.db.QueryContext(ctx, "SELECT "+eventColumns+" FROM events WHERE incident_id = $1 ORDER BY seq", id)
	if err != nil {
		return &ChainProblem{Ref: ref, Problem: "cannot read timeline: " + err.Error()}
	}
	defer rows.Close()
	prev, seq := "", int64(0)
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return &ChainProblem{Ref: ref, Problem: "cannot read event: " + err.Error()}
		}
		seq++
		switch {
		case e.Seq != seq:
			return &ChainProblem{Ref: ref, Seq: seq, Problem: fmt.Sprintf("event %d is missing (found %d next)", seq, e.Seq)}
		case e.PrevHash != prev:
			return &ChainProblem{Ref: ref, Seq: seq, Problem: "does not follow the event before it"}
		case e.ComputeHash(prev) != e.Hash:
			return &ChainProblem{Ref: ref, Seq: seq, Problem: "was changed after it was recorded"}
		}
		prev = e.Hash
	}
	if err := rows.Err(); err != nil {
		return &ChainProblem{Ref: ref, Problem: "cannot read timeline: " + err.Error()}
	}
	if seq != count || prev != headHash {
		return &ChainProblem{Ref: ref, Seq: seq, Problem: fmt.Sprintf("timeline ends at event %d but the incident recorded %d: events were removed or added", seq, count)}
	}
	return nil
}
