package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Alert is one outage of one camera that lasted longer than the configured threshold.
type Alert struct {
	ID          int64
	CameraID    string
	FacilityID  string
	DownSince   int64 // ns since epoch: when the camera stopped being online
	OpenedAt    int64 // when the alert was raised
	ClosedAt    int64 // when the camera was online again; 0 while open
	Reason      string
	CloseReason string
	Deliveries  []Delivery // filled by Alerts only
}

// Open reports whether the alert is still open.
func (a *Alert) Open() bool { return a.ClosedAt == 0 }

// Delivery is one attempt to tell one channel about one alert event.
type Delivery struct {
	AlertID int64
	Event   string // EventOffline | EventRecovered
	Channel string // ChannelWebhook | ChannelEmail
	Target  string // webhook name or e-mail recipients; never a secret
	Attempt int    // 1-based
	Status  string // DeliverySent | DeliveryRetry | DeliveryFailed
	Error   string
	At      int64 // ns since epoch, when the attempt ended
}

// Alert events, delivery channels and delivery statuses, as stored.
const (
	EventOffline   = "camera.offline"
	EventRecovered = "camera.recovered"

	ChannelWebhook = "webhook"
	ChannelEmail   = "email"

	DeliverySent   = "sent"
	DeliveryRetry  = "retry"  // this attempt failed; another follows
	DeliveryFailed = "failed" // this attempt failed and was the last
)

// ErrAlertOpen is returned by OpenAlert when the camera already has an open alert.
var ErrAlertOpen = errors.New("the camera already has an open alert")

// OpenAlert stores a new open alert and returns its id. A camera has at most one open alert, which the
// database enforces: a second one is refused with ErrAlertOpen.
func (s *Store) OpenAlert(ctx context.Context, a Alert) (int64, error) {
	res, err := s.write.ExecContext(ctx, `
INSERT INTO alert (camera_id, facility_id, down_since, opened_at, reason) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`, a.CameraID, a.FacilityID, a.DownSince, a.OpenedAt, a.Reason)
	if err != nil {
		return 0, fmt.Errorf("open alert for %s: %w", a.CameraID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, ErrAlertOpen
	}
	return res.LastInsertId()
}

// CloseAlert closes an open alert at `at` and reports whether this call closed it: an alert closes once,
// so a second call (after a restart, or a race) changes nothing and returns false.
func (s *Store) CloseAlert(ctx context.Context, id, at int64, reason string) (bool, error) {
	res, err := s.write.ExecContext(ctx, `
UPDATE alert SET closed_at = max(?, down_since), close_reason = ? WHERE id = ? AND closed_at IS NULL`, at, reason, id)
	if err != nil {
		return false, fmt.Errorf("close alert %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddDelivery records one delivery attempt.
func (s *Store) AddDelivery(ctx context.Context, d Delivery) error {
	_, err := s.write.ExecContext(ctx, `
INSERT INTO delivery (alert_id, event, channel, target, attempt, status, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		d.AlertID, d.Event, d.Channel, d.Target, d.Attempt, d.Status, d.Error, d.At)
	if err != nil {
		return fmt.Errorf("record delivery of alert %d: %w", d.AlertID, err)
	}
	return nil
}

// AlertQuery selects alerts. Zero fields select everything.
type AlertQuery struct {
	State    string // "open", "closed" or "" for both
	From, To int64  // alerts whose outage overlaps [From, To); To = 0: no upper bound
	Camera   string
	Facility string
	Limit    int // newest first; 0 = no limit
}

const alertColumns = `id, camera_id, facility_id, down_since, opened_at, coalesce(closed_at, 0), reason, close_reason`

// OpenAlerts returns every open alert, without deliveries.
func (s *Store) OpenAlerts(ctx context.Context) ([]Alert, error) {
	return s.queryAlerts(ctx, `SELECT `+alertColumns+` FROM alert WHERE closed_at IS NULL ORDER BY id`)
}

// Alerts returns the alerts q selects, newest first, each with its deliveries oldest first.
func (s *Store) Alerts(ctx context.Context, q AlertQuery) ([]Alert, error) {
	where, args := q.where()
	query := `SELECT ` + alertColumns + ` FROM alert` + where + ` ORDER BY down_since DESC, id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	alerts, err := s.queryAlerts(ctx, query, args...)
	if err != nil || len(alerts) == 0 {
		return alerts, err
	}
	return alerts, s.fillDeliveries(ctx, alerts)
}

func (q AlertQuery) where() (string, []any) {
	var conds []string
	var args []any
	switch q.State {
	case "open":
		conds = append(conds, `closed_at IS NULL`)
	case "closed":
		conds = append(conds, `closed_at IS NOT NULL`)
	}
	if q.To > 0 {
		conds = append(conds, `down_since < ?`)
		args = append(args, q.To)
	}
	if q.From > 0 {
		conds = append(conds, `(closed_at IS NULL OR closed_at >= ?)`)
		args = append(args, q.From)
	}
	if q.Camera != "" {
		conds = append(conds, `camera_id = ?`)
		args = append(args, q.Camera)
	}
	if q.Facility != "" {
		conds = append(conds, `facility_id = ?`)
		args = append(args, q.Facility)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

func (s *Store) queryAlerts(ctx context.Context, query string, args ...any) ([]Alert, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		if err := rows.Scan(&a.ID, &a.CameraID, &a.FacilityID, &a.DownSince, &a.OpenedAt, &a.ClosedAt,
			&a.Reason, &a.CloseReason); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// fillDeliveries reads the deliveries of alerts in one query.
func (s *Store) fillDeliveries(ctx context.Context, alerts []Alert) error {
	byID := make(map[int64]*Alert, len(alerts))
	args := make([]any, len(alerts))
	for i := range alerts {
		byID[alerts[i].ID] = &alerts[i]
		args[i] = alerts[i].ID
	}
	rows, err := s.read.QueryContext(ctx, `
SELECT alert_id, event, channel, target, attempt, status, error, at FROM delivery
WHERE alert_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`) ORDER BY alert_id, id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.AlertID, &d.Event, &d.Channel, &d.Target, &d.Attempt, &d.Status, &d.Error, &d.At); err != nil {
			return err
		}
		if a := byID[d.AlertID]; a != nil {
			a.Deliveries = append(a.Deliveries, d)
		}
	}
	return rows.Err()
}

// AlertCounts returns the number of open alerts and, per channel, the deliveries given up after their
// last attempt (what the metrics export).
func (s *Store) AlertCounts(ctx context.Context) (open int, failed map[string]int, err error) {
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM alert WHERE closed_at IS NULL`).Scan(&open); err != nil {
		return 0, nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT channel, count(*) FROM delivery WHERE status = 'failed' GROUP BY channel`)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	failed = map[string]int{}
	for rows.Next() {
		var ch string
		var n int
		if err := rows.Scan(&ch, &n); err != nil {
			return 0, nil, err
		}
		failed[ch] = n
	}
	return open, failed, rows.Err()
}

// FirstOnline returns when camera was first online according to its events, or 0 if it never was: the
// uptime report flags a camera that never connected.
func (s *Store) FirstOnline(ctx context.Context, camera string) (int64, error) {
	var at int64
	err := s.read.QueryRowContext(ctx, `
SELECT at_ns FROM camera_event WHERE camera_id = ? AND state = 'online' ORDER BY at_ns LIMIT 1`, camera).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return at, err
}

// FootageEndBefore returns where camera's last segment that began before t ends, or 0 if it has none: one
// step back on the (camera_id, start_ns) index.
func (s *Store) FootageEndBefore(ctx context.Context, camera string, t int64) (int64, error) {
	var end int64
	err := s.read.QueryRowContext(ctx, `
SELECT end_ns FROM segment WHERE camera_id = ? AND start_ns < ? ORDER BY start_ns DESC LIMIT 1`, camera, t).Scan(&end)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return end, err
}

// SegmentBounds returns the [start, end) of camera's segments overlapping [t0, t1), oldest first: what
// the uptime report needs of a month of rows, read without the rest of each row.
func (s *Store) SegmentBounds(ctx context.Context, camera string, t0, t1 int64) ([][2]int64, error) {
	lower := t0 - s.maxSegmentDuration.Load() - 1
	rows, err := s.read.QueryContext(ctx, `SELECT start_ns, end_ns FROM segment
WHERE camera_id = ? AND start_ns >= ? AND start_ns < ? AND end_ns > ? ORDER BY start_ns`, camera, lower, t1, t0)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var b [2]int64
		if err := rows.Scan(&b[0], &b[1]); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
