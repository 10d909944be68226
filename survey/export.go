package survey

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// The exports are the report the province sends upward, so they are in Vietnamese. Numbers in the CSV
// have at most two decimals: Excel in a Vietnamese locale reads "." as the thousands separator, and a
// value such as "1.234" would become 1234, whereas "1.23" is at worst kept as text.

// cell is a value of an export: a string, an int, an int64 or a float64.
type cell = any

type column[T any] struct {
	header string
	value  func(*T) cell
}

const (
	viTitle     = "BÁO CÁO KHẢO SÁT, ĐÁNH GIÁ HIỆN TRẠNG CAMERA TẠI CÁC CƠ SỞ CÁCH LY"
	viProvince  = "Toàn tỉnh"
	viYes       = "Có"
	viNo        = "Không"
	viMeets     = "Đạt"
	viFails     = "Không đạt"
	viNone      = "Không có"
	viDateTime  = "02/01/2006 15:04:05"
	sheetSumm   = "Tổng hợp"
	sheetCams   = "Camera"
	headerRow   = 5 // the summary sheet's table starts below the title block
	gigabyte    = 1e9
	kilobitRate = 1e3
)

var summaryColumns = []column[FacilitySummary]{
	{"Mã cơ sở", func(f *FacilitySummary) cell { return f.ID }},
	{"Tên cơ sở", func(f *FacilitySummary) cell { return f.Name }},
	{"Số camera", func(f *FacilitySummary) cell { return f.Cameras }},
	{"Kết nối được", func(f *FacilitySummary) cell { return f.Reachable }},
	{"Đạt yêu cầu tối thiểu", func(f *FacilitySummary) cell { return f.Meeting }},
	{"Không đạt", func(f *FacilitySummary) cell { return f.Failing }},
	{"Lý do không đạt (số camera)", func(f *FacilitySummary) cell { return reasonCountsVI(f.Reasons) }},
	{"Tổng tốc độ bit (Mbit/s)", func(f *FacilitySummary) cell { return round(float64(f.Bitrate)/1e6, 2) }},
	{"Dung lượng lưu trữ/ngày (GB)", func(f *FacilitySummary) cell { return round(float64(f.StoragePerDay)/gigabyte, 2) }},
}

var cameraColumns = []column[CameraReport]{
	{"Mã cơ sở", func(c *CameraReport) cell { return c.Facility }},
	{"Tên cơ sở", func(c *CameraReport) cell { return c.FacilityName }},
	{"Mã camera", func(c *CameraReport) cell { return c.CameraID }},
	{"Tên camera", func(c *CameraReport) cell { return c.Name }},
	{"Vị trí lắp đặt", func(c *CameraReport) cell { return c.Location }},
	{"Đang ghi hình", func(c *CameraReport) cell { return yesNo(c.Enabled) }},
	{"Địa chỉ RTSP", func(c *CameraReport) cell { return c.Main.URL }},
	{"Kết nối được", func(c *CameraReport) cell { return yesNo(c.Main.Reachable) }},
	{"Chuẩn nén", func(c *CameraReport) cell { return c.Main.Codec }},
	{"Profile", func(c *CameraReport) cell { return c.Main.Profile }},
	{"Level", func(c *CameraReport) cell { return c.Main.Level }},
	{"Độ phân giải", func(c *CameraReport) cell { return resolution(&c.Main) }},
	{"Tốc độ khung hình đo được (fps)", func(c *CameraReport) cell { return measured(&c.Main, c.Main.FPS) }},
	{"Tốc độ khung hình khai báo (fps)", func(c *CameraReport) cell { return nonZero(c.Main.FPSDeclared) }},
	{"GOP (số khung hình)", func(c *CameraReport) cell { return gopFrames(&c.Main) }},
	{"GOP (giây)", func(c *CameraReport) cell { return gopSecondsVI(&c.Main) }},
	{"Tốc độ bit đo được (kbit/s)", func(c *CameraReport) cell { return measured(&c.Main, round(float64(c.Main.Bitrate)/kilobitRate, 0)) }},
	{"Dung lượng lưu trữ/ngày (GB)", func(c *CameraReport) cell { return measured(&c.Main, round(float64(c.StoragePerDay)/gigabyte, 2)) }},
	{"Âm thanh", func(c *CameraReport) cell { return audioVI(&c.Main) }},
	{"Giao thức truyền", func(c *CameraReport) cell { return c.Main.Transport }},
	{"Gián đoạn dài nhất (giây)", func(c *CameraReport) cell { return measured(&c.Main, round(c.Main.MaxStall, 2)) }},
	{"Luồng phụ", func(c *CameraReport) cell { return substreamVI(c.Sub) }},
	{"Đánh giá", func(c *CameraReport) cell { return meetsVI(c.Meets) }},
	{"Lý do không đạt", func(c *CameraReport) cell { return failuresVI(c.Failures) }},
	{"Thời điểm khảo sát", func(c *CameraReport) cell { return time.Time(c.Main.At).Format(viDateTime) }},
}

// summaryRows are the facilities' rows and the province's, last.
func (rep *Report) summaryRows() []FacilitySummary {
	rows := slices.Clone(rep.Facilities)
	total := FacilitySummary{Name: viProvince, Summary: rep.Total}
	if rep.Province != "" {
		total.Name += " (" + rep.Province + ")"
	}
	return append(rows, total)
}

// titleLines head both exports: what the report is, when the cameras were read, against what.
func (rep *Report) titleLines() []string {
	title := viTitle
	if rep.Province != "" {
		title += " — " + strings.ToUpper(rep.Province)
	}
	return []string{
		title,
		fmt.Sprintf("Thời gian khảo sát: từ %s đến %s", time.Time(rep.From).Format(viDateTime), time.Time(rep.To).Format(viDateTime)),
		"Yêu cầu tối thiểu: " + minimumVI(rep.Minimum),
	}
}

// WriteCSV writes the report as CSV for Excel: UTF-8 with a byte order mark (without it Excel reads
// Vietnamese as mojibake), the title lines, the summary table, a blank line, then one row per camera.
func (rep *Report) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	for _, l := range rep.titleLines() {
		cw.Write([]string{l})
	}
	cw.Write(nil)
	writeCSVTable(cw, summaryColumns, rep.summaryRows())
	cw.Write(nil)
	writeCSVTable(cw, cameraColumns, rep.Cameras)
	cw.Flush()
	return cw.Error()
}

func writeCSVTable[T any](cw *csv.Writer, cols []column[T], rows []T) {
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.header
	}
	cw.Write(header)
	for i := range rows {
		rec := make([]string, len(cols))
		for j, c := range cols {
			rec[j] = formatCell(c.value(&rows[i]))
		}
		cw.Write(rec)
	}
}

func formatCell(v cell) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// WriteXLSX writes the report as an Excel workbook: the sheet "Tổng hợp" holds the title block and one
// row per facility with the province's total last; the sheet "Camera" holds every camera, with its
// facility in the first columns so it can be filtered.
func (rep *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetSumm); err != nil {
		return err
	}
	if _, err := f.NewSheet(sheetCams); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, l := range rep.titleLines() {
		if err := f.SetCellStr(sheetSumm, cellName(1, i+1), l); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheetSumm, "A1", "A1", bold); err != nil {
		return err
	}
	if err := writeXLSXTable(f, sheetSumm, headerRow, bold, summaryColumns, rep.summaryRows()); err != nil {
		return err
	}
	if err := writeXLSXTable(f, sheetCams, 1, bold, cameraColumns, rep.Cameras); err != nil {
		return err
	}
	return f.Write(w)
}

func writeXLSXTable[T any](f *excelize.File, sheet string, top, bold int, cols []column[T], rows []T) error {
	for j, c := range cols {
		if err := f.SetCellStr(sheet, cellName(j+1, top), c.header); err != nil {
			return err
		}
		// Wide enough for the header, within reason; long texts (reasons) wrap in Excel anyway.
		width := min(max(float64(len([]rune(c.header)))+2, 10), 40)
		col, _ := excelize.ColumnNumberToName(j + 1)
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, cellName(1, top), cellName(len(cols), top), bold); err != nil {
		return err
	}
	for i := range rows {
		values := make([]any, len(cols))
		for j, c := range cols {
			values[j] = c.value(&rows[i])
		}
		if err := f.SetSheetRow(sheet, cellName(1, top+1+i), &values); err != nil {
			return err
		}
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: top, TopLeftCell: cellName(1, top+1), ActivePane: "bottomLeft"})
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

func yesNo(b bool) string {
	if b {
		return viYes
	}
	return viNo
}

func meetsVI(b bool) string {
	if b {
		return viMeets
	}
	return viFails
}

// measured leaves a value blank for a stream that could not be measured, where 0 would be a lie.
func measured(s *Stream, v cell) cell {
	if s.Reason != "" {
		return nil
	}
	return v
}

func nonZero(v float64) cell {
	if v == 0 {
		return nil
	}
	return v
}

func resolution(s *Stream) string {
	if s.Width == 0 || s.Height == 0 {
		return ""
	}
	return fmt.Sprintf("%dx%d", s.Width, s.Height)
}

func gopFrames(s *Stream) cell {
	if s.Reason != "" || s.GOPOpen {
		return nil
	}
	return s.GOPFrames
}

func gopSecondsVI(s *Stream) cell {
	switch {
	case s.Reason != "":
		return nil
	case s.GOPOpen:
		return "≥ " + formatFloat(s.GOPSeconds, 2)
	}
	return round(s.GOPSeconds, 2)
}

func audioVI(s *Stream) string {
	switch {
	case s.Reason != "" && s.Audio == "":
		return ""
	case s.Audio == "":
		return viNone
	}
	return audioDetail(s, "kênh")
}

// audioDetail writes "AAC 48000 Hz, 1 channel" with the word for channels in the reader's language.
func audioDetail(s *Stream, channels string) string {
	out := s.Audio
	if s.AudioRate > 0 {
		out += fmt.Sprintf(" %d Hz", s.AudioRate)
	}
	if s.AudioChannels > 0 {
		out += fmt.Sprintf(", %d %s", s.AudioChannels, channels)
	}
	return out
}

func substreamVI(s *Stream) string {
	switch {
	case s == nil:
		return viNone
	case s.Reason != "":
		return "Lỗi: " + s.MessageVI
	}
	return fmt.Sprintf("%s %s, %s fps, %s kbit/s", s.Codec, resolution(s), formatFloat(s.FPS, 2),
		formatFloat(float64(s.Bitrate)/kilobitRate, 0))
}

func failuresVI(fs []Failure) string {
	msgs := make([]string, len(fs))
	for i, f := range fs {
		msgs[i] = f.MessageVI
	}
	return strings.Join(msgs, "; ")
}

// reasonCountsVI writes failure counts as "Độ phân giải thấp: 2; Từ chối kết nối: 1", most frequent first.
func reasonCountsVI(counts map[string]int) string {
	return reasonCounts(counts, func(code string) string { _, vi := ReasonLabel(code); return vi })
}

func reasonCounts(counts map[string]int, label func(string) string) string {
	codes := make([]string, 0, len(counts))
	for c := range counts {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s: %d", label(c), counts[c])
	}
	return strings.Join(parts, "; ")
}

func minimumVI(m MinimumView) string {
	var parts []string
	if m.Resolution != "none" {
		parts = append(parts, "độ phân giải từ "+m.Resolution)
	}
	if m.FPS > 0 {
		parts = append(parts, "tốc độ khung hình từ "+formatFloat(m.FPS, 2)+" fps")
	}
	if len(m.Codecs) > 0 {
		parts = append(parts, "chuẩn nén "+strings.Join(m.Codecs, " hoặc "))
	}
	if m.MaxGOPSeconds > 0 {
		parts = append(parts, "GOP tối đa "+formatFloat(m.MaxGOPSeconds, 3)+" giây")
	}
	if m.Continuous {
		parts = append(parts, "hình ảnh liên tục (gián đoạn không quá "+formatFloat(m.MaxStallSeconds, 3)+" giây)")
	}
	if len(parts) == 0 {
		return "không có"
	}
	return strings.Join(parts, "; ")
}
