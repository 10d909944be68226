package web

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
)

// statusPage is what / shows until the embedded UI lands (issue 3): every camera's state, refreshed every
// five seconds, with links to the API. Server-rendered, no script.
var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{"kbps": kbps}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>vigil — camera</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}
.online{color:#070}.offline{color:#b00}.connecting{color:#a60}</style></head>
<body><h1>vigil {{.Version}}</h1>
<p>{{len .Cameras}} camera · <a href="/api/v1/health">/api/v1/health</a> · <a href="/api/v1/cameras">/api/v1/cameras</a> · <a href="/metrics">/metrics</a></p>
<table><tr><th>Camera</th><th>Cơ sở (facility)</th><th>Trạng thái (state)</th><th>Từ (since)</th><th>Video</th><th>Bitrate</th><th>Lỗi (last error)</th></tr>
{{range .Cameras}}<tr><td>{{.ID}} — {{.Name}}</td><td>{{.Facility}}</td><td class="{{.State}}">{{.State}}</td>
<td>{{.Since.Format "02/01/2006 15:04:05"}}</td><td>{{if .VideoCodec}}{{.VideoCodec}} {{.Width}}×{{.Height}} {{printf "%.0f" .FPS}} fps{{end}}</td>
<td>{{if .Bitrate}}{{kbps .Bitrate}}{{end}}</td><td>{{.LastError}}</td></tr>
{{end}}</table></body></html>
`))

func (h *handlers) statusPage(c echo.Context) error {
	cams := h.Recorder.Cameras()
	for i := range cams {
		cams[i].Since = cams[i].Since.In(h.loc)
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return statusPage.Execute(c.Response(), map[string]any{"Version": h.Version, "Cameras": cams})
}

func kbps(bits int64) string { return fmt.Sprintf("%d kbit/s", bits/1000) }
