package survey

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
)

// Why a stream could not be measured. The codes are stable: the store, the API, the exports and the
// UI key on them; the messages beside them are for people.
const (
	ReasonRefused          = "refused"           // connection refused: nothing listens on the port
	ReasonAuthFailed       = "auth_failed"       // 401 or 403: wrong or missing user name or password
	ReasonTimeout          = "timeout"           // no answer, or no video data once playing
	ReasonDNS              = "dns"               // the host name does not resolve
	ReasonNotFound         = "not_found"         // 404: no stream at that path
	ReasonNoVideoTrack     = "no_video_track"    // the stream has no video
	ReasonUnsupportedCodec = "unsupported_codec" // video that is neither H.264 nor H.265
	ReasonOther            = "other"             // anything else; the message says what
)

// classify turns the error of a connection or an RTSP request into a reason code and its messages in
// English and Vietnamese. host is the camera's host:port, which the messages name; redact cleans text
// that came from the network or the system before it is quoted.
func classify(err error, host string, redact func(string) string) (reason, message, messageVI string) {
	var dnsErr *net.DNSError
	var status liberrors.ErrClientBadStatusCode
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return ReasonDNS, fmt.Sprintf("the host name %s does not resolve (%s)", dnsErr.Name, redact(dnsErr.Err)),
			fmt.Sprintf("Không phân giải được tên máy %s", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused, fmt.Sprintf("connection refused: nothing answers RTSP at %s", host),
			fmt.Sprintf("Camera từ chối kết nối (không có dịch vụ RTSP tại %s)", host)
	case errors.As(err, &status):
		status.Message = redact(status.Message)
		return classifyStatus(status)
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		// The camera, or the network it is on, is down: to the operator that is no answer.
		return ReasonTimeout, fmt.Sprintf("no answer: no route to %s (the camera or its network is down)", host),
			fmt.Sprintf("Không có phản hồi: không có đường tới %s (camera hoặc mạng bị mất)", host)
	case isTimeout(err) || errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout, fmt.Sprintf("no answer from %s in time", host),
			fmt.Sprintf("Không có phản hồi từ camera %s", host)
	}
	msg := redact(err.Error())
	return ReasonOther, msg, "Lỗi khác: " + msg
}

func isTimeout(err error) bool {
	return errors.As(err, &liberrors.ErrClientRequestTimedOut{}) ||
		errors.As(err, &liberrors.ErrClientTCPTimeout{}) ||
		errors.As(err, &liberrors.ErrClientUDPTimeout{}) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}

func classifyStatus(s liberrors.ErrClientBadStatusCode) (reason, message, messageVI string) {
	switch s.Code {
	case base.StatusUnauthorized, base.StatusForbidden:
		return ReasonAuthFailed, fmt.Sprintf("the camera refused the user name or password (%d %s)", s.Code, s.Message),
			"Sai tên đăng nhập hoặc mật khẩu"
	case base.StatusNotFound:
		return ReasonNotFound, fmt.Sprintf("no stream at this path (%d %s)", s.Code, s.Message),
			"Không tìm thấy luồng video theo đường dẫn đã cấu hình (404)"
	}
	return ReasonOther, fmt.Sprintf("the camera answered %d %s", s.Code, s.Message),
		fmt.Sprintf("Camera trả lời lỗi %d %s", s.Code, s.Message)
}
