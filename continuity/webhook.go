package continuity

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"vigil/config"
	"vigil/playback"
)

// Webhook headers. The signature covers the timestamp and the body, joined by a dot, so a captured
// request cannot be replayed later with a fresh timestamp: receivers should recompute
// HMAC-SHA256(secret, timestamp + "." + body), compare in constant time, and refuse timestamps more than
// a few minutes old.
const (
	HeaderSignature = "X-Vigil-Signature" // "sha256=" + hex HMAC-SHA256
	HeaderTimestamp = "X-Vigil-Timestamp" // Unix seconds when the attempt was signed
	HeaderEvent     = "X-Vigil-Event"     // camera.offline | camera.recovered
	// HeaderDelivery is the same for every attempt at one event ("<alert id>:<event>"): a receiver that
	// saw it already can ignore a retry whose answer was lost.
	HeaderDelivery = "X-Vigil-Delivery"
)

// WebhookBody is the JSON body of every webhook request, version 1. Its fields are only ever added to,
// never renamed or removed.
type WebhookBody struct {
	Event           string          `json:"event"`    // camera.offline | camera.recovered
	AlertID         int64           `json:"alert_id"` // the same in an alert's offline and recovered events
	Camera          WebhookRef      `json:"camera"`
	Facility        WebhookRef      `json:"facility"`
	Province        WebhookProvince `json:"province"`
	Since           string          `json:"since"`            // when the camera stopped being online (RFC 3339, configured zone)
	At              string          `json:"at"`               // when the alert was raised, or when the camera was online again
	DurationSeconds int64           `json:"duration_seconds"` // at - since, whole seconds
	Reason          string          `json:"reason"`           // the recorder's last error when the alert was raised
}

// WebhookRef names a camera or a facility.
type WebhookRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// WebhookProvince is the province this vigil serves (config `province`).
type WebhookProvince struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

// Signature is the X-Vigil-Signature value of body sent at timestamp (Unix seconds, as in
// X-Vigil-Timestamp), for a receiver to compare with hmac.Equal.
func Signature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (e *Engine) webhookBody(n notice) WebhookBody {
	loc := e.location()
	return WebhookBody{
		Event:           n.Event,
		AlertID:         n.Alert.ID,
		Camera:          WebhookRef{ID: n.Camera.ID, Name: n.Camera.Name},
		Facility:        WebhookRef{ID: n.Camera.Facility, Name: e.facilityName(n)},
		Province:        WebhookProvince{Name: e.Config.Province.Name, Code: e.Config.Province.Code},
		Since:           n.Since().In(loc).Format(playback.TimeFormat),
		At:              n.At.In(loc).Format(playback.TimeFormat),
		DurationSeconds: int64(n.Duration().Seconds()),
		Reason:          n.Alert.Reason,
	}
}

// newWebhookClient never follows redirects: a redirect would send the signed body somewhere the
// configuration does not name (or, for 301-303, drop it and switch to GET). A 3xx answer is a failure.
func newWebhookClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// webhookSender posts a notice to w; any answer but 2xx is a failure.
func (e *Engine) webhookSender(w config.Webhook) func(context.Context, notice) error {
	return func(ctx context.Context, n notice) error {
		body, err := json.Marshal(e.webhookBody(n))
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, w.Timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
		if err != nil {
			return errors.New("invalid webhook URL")
		}
		ts := strconv.FormatInt(e.now().Unix(), 10)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("User-Agent", "vigil")
		req.Header.Set(HeaderEvent, n.Event)
		req.Header.Set(HeaderDelivery, fmt.Sprintf("%d:%s", n.Alert.ID, n.Event))
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Signature(w.Secret, ts, body))
		resp, err := e.client.Do(req)
		if err != nil {
			return webhookError(ctx, err, w)
		}
		defer resp.Body.Close()
		// Read a little of the answer so the connection can be reused; the content does not matter.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			err := fmt.Errorf("the receiver answered %s", resp.Status)
			if !retryableStatus(resp.StatusCode) {
				return permanent{err}
			}
			return err
		}
		return nil
	}
}

// webhookError drops the URL that net/http puts in its errors: its path or query may hold a token.
func webhookError(ctx context.Context, err error, w config.Webhook) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", w.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("POST %s: %w", w.Name, err)
}

// retryableStatus: a receiver that is down, overloaded or timing out may take the notice later; one that
// refuses it (a bad secret, a wrong path) will refuse it again, so retrying only delays the record.
func retryableStatus(code int) bool {
	return code >= 500 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests
}

// permanent marks a delivery error that a retry cannot mend.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }
