package survey

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes the report as plain text for a terminal: the minimum, then per facility a table of
// its cameras, each failing camera followed by its reasons, and the facility's summary; the province's
// summary last.
func (rep *Report) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	title := "Camera survey"
	if rep.Province != "" {
		title += " of " + rep.Province
	}
	fmt.Fprintf(b, "%s: %s read between %s and %s\n", title, plural(rep.Total.Cameras, "camera", "cameras"),
		time.Time(rep.From).Format(time.DateTime), time.Time(rep.To).Format("15:04:05 MST"))
	fmt.Fprintf(b, "Minimum: %s\n", minimumText(rep.Minimum))
	for _, f := range rep.Facilities {
		name := f.ID
		if f.Name != f.ID {
			name += " (" + f.Name + ")"
		}
		fmt.Fprintf(b, "\nFacility %s\n", name)
		writeCameraTable(b, rep.Cameras, f.ID)
		fmt.Fprintf(b, "  %s\n", summaryText(&f.Summary))
	}
	fmt.Fprintf(b, "\nProvince: %s\n", summaryText(&rep.Total))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCameraTable(w io.Writer, cams []CameraReport, facility string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CAMERA\tSTATE\tCODEC\tRESOLUTION\tFPS\tGOP\tBITRATE\tAUDIO\tTRANSPORT\tMAX PAUSE\tSUBSTREAM\tMINIMUM")
	var notes []string
	for i := range cams {
		c := &cams[i]
		if c.Facility != facility {
			continue
		}
		fmt.Fprintln(tw, "  "+strings.Join(cameraCells(c), "\t"))
		// Reasons go under the table: tabwriter would stretch a column to the longest message.
		for _, f := range c.Failures {
			notes = append(notes, fmt.Sprintf("    %s: %s: %s", c.CameraID, f.Code, f.Message))
		}
		if c.Main.Reason == "" && c.Main.Message != "" {
			notes = append(notes, fmt.Sprintf("    %s: note: %s", c.CameraID, c.Main.Message))
		}
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

func cameraCells(c *CameraReport) []string {
	s := &c.Main
	state := "ok"
	if !c.Enabled {
		state = "ok (disabled)"
	}
	verdict := "meets"
	if !c.Meets {
		verdict = "FAILS"
	}
	if s.Reason != "" {
		state = s.Reason
		if !c.Enabled {
			state += " (disabled)"
		}
		return []string{c.CameraID, state, s.Codec, "-", "-", "-", "-", "-", "-", "-", substreamText(c.Sub), verdict}
	}
	return []string{
		c.CameraID, state,
		strings.TrimSpace(strings.Join([]string{s.Codec, s.Profile, s.Level}, " ")),
		orDash(resolution(s)),
		formatFloat(s.FPS, 2),
		gopText(s),
		bitrateText(s.Bitrate),
		audioText(s),
		orDash(s.Transport),
		formatFloat(s.MaxStall, 2) + " s",
		substreamText(c.Sub),
		verdict,
	}
}

func gopText(s *Stream) string {
	if s.GOPOpen {
		return "≥ " + formatFloat(s.GOPSeconds, 2) + " s"
	}
	return fmt.Sprintf("%d fr / %s s", s.GOPFrames, formatFloat(s.GOPSeconds, 2))
}

func audioText(s *Stream) string {
	if s.Audio == "" {
		return "none"
	}
	if s.AudioRate > 0 {
		return fmt.Sprintf("%s %s kHz", s.Audio, formatFloat(float64(s.AudioRate)/1000, 1))
	}
	return s.Audio
}

func substreamText(s *Stream) string {
	switch {
	case s == nil:
		return "-"
	case s.Reason != "":
		return s.Reason
	}
	return fmt.Sprintf("%s %s %s fps", s.Codec, orDash(resolution(s)), formatFloat(s.FPS, 2))
}

func summaryText(s *Summary) string {
	out := fmt.Sprintf("%s, %d reachable, %d %s the minimum, %d %s; %s in all, %s of storage per day",
		plural(s.Cameras, "camera", "cameras"), s.Reachable, s.Meeting, pick(s.Meeting, "meets", "meet"),
		s.Failing, pick(s.Failing, "fails", "fail"), bitrateText(s.Bitrate), bytesText(s.StoragePerDay))
	if len(s.Reasons) > 0 {
		out += "\n  failing for: " + reasonCounts(s.Reasons, func(code string) string { en, _ := ReasonLabel(code); return en })
	}
	return out
}

func minimumText(m MinimumView) string {
	var parts []string
	if m.Resolution != "none" {
		parts = append(parts, "resolution "+m.Resolution)
	}
	if m.FPS > 0 {
		parts = append(parts, formatFloat(m.FPS, 2)+" fps")
	}
	if len(m.Codecs) > 0 {
		parts = append(parts, strings.Join(m.Codecs, " or "))
	}
	if m.MaxGOPSeconds > 0 {
		parts = append(parts, "GOP at most "+formatFloat(m.MaxGOPSeconds, 3)+" s")
	}
	if m.Continuous {
		parts = append(parts, "continuous (no pause over "+formatFloat(m.MaxStallSeconds, 3)+" s)")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func bitrateText(bps int64) string {
	if bps >= 1e6 {
		return formatFloat(float64(bps)/1e6, 2) + " Mbit/s"
	}
	return formatFloat(float64(bps)/1e3, 0) + " kbit/s"
}

// bytesText writes a size in decimal units, as disks are sold.
func bytesText(n int64) string {
	switch {
	case n >= 1e12:
		return formatFloat(float64(n)/1e12, 2) + " TB"
	case n >= 1e9:
		return formatFloat(float64(n)/1e9, 1) + " GB"
	}
	return formatFloat(float64(n)/1e6, 0) + " MB"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, one, many string) string { return fmt.Sprintf("%d %s", n, pick(n, one, many)) }

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
