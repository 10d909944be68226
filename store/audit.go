package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// AuditEvent is one line of the audit log.
type AuditEvent struct {
	ID        int64
	At        int64
	Actor     string // user name, token name, or "vigil"
	ActorKind string // user | token | system | anonymous
	Role      string
	Address   string // the client's IP address
	Action    string
	Camera    string
	Facility  string
	Start     int64 // the footage's wall-clock range; 0 when the action has none
	End       int64
	Bytes     int64
	Detail    string
	Outcome   string // ok | refused | failed | partial
}

// AuditFilter selects audit events; zero fields do not filter.
type AuditFilter struct {
	From, To int64 // At in [From, To)
	Actor    string
	Camera   string
	Action   string
	Before   int64 // only events with ID < Before (paging backwards)
	Limit    int   // 0 = no limit
}

// AppendAudit writes one event, at now unless At is set; its ID is set on return.
func (s *Store) AppendAudit(ctx context.Context, e *AuditEvent) error {
	if e.Outcome == "" {
		e.Outcome = "ok"
	}
	if e.At == 0 {
		e.At = time.Now().UnixNano()
	}
	res, err := s.write.ExecContext(ctx, `INSERT INTO audit (at_ns, actor, actor_kind, role, address, action, camera, facility,
		start_ns, end_ns, bytes, detail, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.At, e.Actor, e.ActorKind, e.Role, e.Address, e.Action, e.Camera, e.Facility, e.Start, e.End, e.Bytes, e.Detail, e.Outcome)
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

// AuditEvents returns the events f selects, newest first.
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.From != 0 {
		add("at_ns >= ?", f.From)
	}
	if f.To != 0 {
		add("at_ns < ?", f.To)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Camera != "" {
		add("camera = ?", f.Camera)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Before != 0 {
		add("id < ?", f.Before)
	}
	q := `SELECT id, at_ns, actor, actor_kind, role, address, action, camera, facility, start_ns, end_ns, bytes, detail, outcome FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []AuditEvent{}
	for rows.Next() {
		var e AuditEvent
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.ActorKind, &e.Role, &e.Address, &e.Action, &e.Camera, &e.Facility,
			&e.Start, &e.End, &e.Bytes, &e.Detail, &e.Outcome); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// PruneAudit deletes the events older than before, moving the horizon the store's triggers guard forward
// first; it never moves back, so a clock set wrong cannot be used to delete recent events later.
func (s *Store) PruneAudit(ctx context.Context, before int64) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE audit_horizon SET before_ns = max(before_ns, ?)`, before); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE at_ns < (SELECT before_ns FROM audit_horizon)`)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
