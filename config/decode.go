package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder walks the yaml.Node tree by hand instead of using yaml.Unmarshal
// into structs: that is what lets every problem carry its line, lets all
// problems be collected in one pass, and catches misspelt keys.
type decoder struct {
	file  string
	errs  Errors
	lines map[string]int  // field path -> line of its key
	bad   map[string]bool // field paths whose value was rejected
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, lines: map[string]int{}, bad: map[string]bool{}}
}

// field is one known key of a mapping and what to do with its value.
type field struct {
	key    string
	decode func(path string, v *yaml.Node)
}

// decode fills c from data. It returns false when the YAML itself is
// broken, in which case nothing else can be checked.
func (d *decoder) decode(c *Config, data []byte) bool {
	c.lines = d.lines
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return true // an empty file; Validate reports what is missing
		}
		d.syntaxError(err, data)
		return false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		// A stray "---" would otherwise make everything after it vanish silently.
		d.errorf(extra.Line, "yaml", "only one YAML document is allowed, found another one here")
	case !errors.Is(err, io.EOF):
		d.syntaxError(err, data)
		return false
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return true
		}
		root = doc.Content[0]
	}
	if isNull(root) {
		return true
	}
	d.lines[""] = root.Line
	d.config("", root, c)
	return true
}

var yamlLinePrefix = regexp.MustCompile(`^yaml: line (\d+): `)

func (d *decoder) syntaxError(err error, data []byte) {
	line, msg := splitYAMLError(err)
	if msg == "" {
		msg = "invalid YAML"
	}
	d.errorf(problemLine(data, line, msg), "yaml", "%s", msg)
}

func splitYAMLError(err error) (int, string) {
	msg := err.Error()
	if m := yamlLinePrefix.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, msg[len(m[0]):]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// problemLine improves on the line the YAML library reports. For many
// errors the library names the line where the enclosing block started,
// which can be far above the mistake; the first line at which a prefix of
// the file fails with the same message is where the reader has to look.
func problemLine(data []byte, line int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	start := min(max(line, 1), len(lines))
	prefix := 0
	for _, l := range lines[:start-1] {
		prefix += len(l)
	}
	budget := 16 << 20 // bytes to re-parse, so that a huge broken file still fails fast
	for k := start; k <= len(lines); k++ {
		prefix += len(lines[k-1])
		if budget -= prefix; budget < 0 {
			break
		}
		if yamlErrorMessage(data[:prefix]) == msg {
			return k
		}
	}
	return line
}

// yamlErrorMessage returns the first syntax error in data without its line.
func yamlErrorMessage(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return ""
		}
		if err != nil {
			_, msg := splitYAMLError(err)
			return msg
		}
	}
}

func (d *decoder) config(path string, n *yaml.Node, c *Config) {
	d.mapping(path, n, []field{
		{"listen", d.str(&c.Listen)},
		{"time_zone", d.str(&c.TimeZone)},
		{"storage", func(p string, v *yaml.Node) { d.storage(p, v, &c.Storage) }},
		{"retention", func(p string, v *yaml.Node) { d.retention(p, v, &c.Retention) }},
		{"camera_defaults", func(p string, v *yaml.Node) {
			d.mapping(p, v, []field{
				{"transport", d.str(&c.CameraDefaults.Transport)},
				{"read_timeout", d.duration(&c.CameraDefaults.ReadTimeout, nil, positiveProblem(0))},
			})
		}},
		{"cameras", func(p string, v *yaml.Node) { d.cameras(p, v, c) }},
		{"province", func(p string, v *yaml.Node) { d.province(p, v, &c.Province) }},
		{"facilities", func(p string, v *yaml.Node) { d.facilities(p, v, c) }},
		{"survey", func(p string, v *yaml.Node) { d.survey(p, v, &c.Survey) }},
		{"alerts", func(p string, v *yaml.Node) { d.alerts(p, v, &c.Alerts) }},
		{"auth", func(p string, v *yaml.Node) { d.auth(p, v, &c.Auth) }},
		{"audit", func(p string, v *yaml.Node) { d.audit(p, v, &c.Audit) }},
		{"upstream", func(p string, v *yaml.Node) { d.upstream(p, v, &c.Upstream) }},
	})
}

func (d *decoder) storage(path string, n *yaml.Node, s *Storage) {
	d.mapping(path, n, []field{
		{"path", d.str(&s.Path)},
		{"database", d.str(&s.Database)},
		{"segment_duration", d.duration(&s.SegmentDuration, nil, segmentDurationProblem(0))},
		{"fsync", d.str(&s.Fsync)},
	})
}

func (d *decoder) retention(path string, n *yaml.Node, r *Retention) {
	d.mapping(path, n, []field{
		{"schedule", d.str(&r.Schedule)},
		{"max_age", d.duration(&r.MaxAge, &r.maxAgeSet, "")},
		{"quota", func(p string, v *yaml.Node) {
			s, ok := d.scalar(p, v, "a quota")
			if !ok {
				return
			}
			q, err := parseQuota(s)
			switch {
			case errors.Is(err, errQuotaZero):
				d.reject(v, p, `a zero quota is not allowed; write "none" for no quota`)
			case errors.Is(err, errQuotaLarge):
				d.reject(v, p, "quota %q is too large", s)
			case err != nil:
				d.reject(v, p, "invalid quota %q (use e.g. 90%%, 500GB, 2TiB or none)", s)
			default:
				r.Quota, r.quotaSet = q, true
			}
		}},
	})
}

func (d *decoder) cameras(path string, n *yaml.Node, c *Config) {
	seq := resolve(n)
	if seq.Kind != yaml.SequenceNode {
		d.reject(n, path, "expected a list, got %s", describe(seq))
		return
	}
	c.Cameras = make([]Camera, len(seq.Content))
	for i, item := range seq.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		d.camera(p, item, &c.Cameras[i])
	}
}

func (d *decoder) camera(path string, n *yaml.Node, cam *Camera) {
	d.mapping(path, n, []field{
		{"id", d.str(&cam.ID)},
		{"name", d.str(&cam.Name)},
		{"facility", d.str(&cam.Facility)},
		{"url", d.str(&cam.URL)},
		{"substream_url", d.str(&cam.SubstreamURL)},
		{"location", d.str(&cam.Location)},
		{"enabled", d.boolean(&cam.Enabled, &cam.enabledSet)},
		{"transport", d.str(&cam.Transport)},
		{"read_timeout", d.duration(&cam.ReadTimeout, nil, positiveProblem(0))},
		{"retention", func(p string, v *yaml.Node) {
			d.mapping(p, v, []field{
				{"max_age", d.duration(&cam.MaxAge, nil, cameraMaxAgeProblem(0))},
			})
		}},
	})
}

// mapping decodes the known keys of n and reports unknown and repeated
// ones. A key whose value is null counts as absent, so "url:" left empty
// is reported as required rather than as a type error.
func (d *decoder) mapping(path string, n *yaml.Node, fields []field) {
	m := resolve(n)
	if m.Kind != yaml.MappingNode {
		d.reject(n, path, "expected a mapping, got %s", describe(m))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(m.Content[i].Line, fieldName(path), "keys must be plain text, got %s", describe(k))
			continue
		}
		name := joinPath(path, keyName(k.Value))
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, name, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		var f *field
		for j := range fields {
			if fields[j].key == k.Value {
				f = &fields[j]
			}
		}
		if f == nil {
			d.errorf(k.Line, name, "unknown key%s", suggest(k.Value, fields))
			continue
		}
		d.lines[name] = k.Line
		if !isNull(v) {
			f.decode(name, v)
		}
	}
}

// suggest names the known key closest to a misspelt one, if any is close.
func suggest(key string, fields []field) string {
	if key == "<<" {
		return " (YAML merge keys are not supported)"
	}
	best, bestDist := "", 3
	for _, f := range fields {
		if dist := editDistance(strings.ToLower(key), f.key); dist < bestDist {
			best, bestDist = f.key, dist
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // too long to be a typo; avoids quadratic work on huge keys
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalar returns the text of a scalar node; want describes the expected
// value for the error when n is a mapping or a list.
func (d *decoder) scalar(path string, n *yaml.Node, want string) (string, bool) {
	s := resolve(n)
	if s.Kind != yaml.ScalarNode {
		d.reject(n, path, "expected %s, got %s", want, describe(s))
		return "", false
	}
	return s.Value, true
}

func (d *decoder) str(dst *string) func(string, *yaml.Node) {
	return func(path string, v *yaml.Node) {
		if s, ok := d.scalar(path, v, "a string"); ok {
			*dst = s
		}
	}
}

// boolean accepts true and false, quoted or not, but not "yes", "on" or
// "1": the YAML version the library implements reads those as text, and
// guessing would let typos through.
func (d *decoder) boolean(dst, set *bool) func(string, *yaml.Node) {
	return func(path string, v *yaml.Node) {
		s, ok := d.scalar(path, v, "a boolean (true or false)")
		if !ok {
			return
		}
		switch s {
		case "true", "True", "TRUE":
			*dst, *set = true, true
		case "false", "False", "FALSE":
			*dst, *set = false, true
		default:
			d.reject(v, path, "expected a boolean (true or false), got %s", describe(resolve(v)))
		}
	}
}

// duration decodes a duration. zeroProblem, when not empty, rejects an
// explicit zero: ApplyDefaults would otherwise replace it by the default
// without a word.
func (d *decoder) duration(dst *time.Duration, set *bool, zeroProblem string) func(string, *yaml.Node) {
	return func(path string, v *yaml.Node) {
		s, ok := d.scalar(path, v, "a duration")
		if !ok {
			return
		}
		dur, ok := parseDuration(s)
		if !ok {
			d.reject(v, path, "invalid duration %q (use e.g. 10s, 5m, 1h, 30d)", s)
			return
		}
		if dur == 0 && zeroProblem != "" {
			d.reject(v, path, "%s", zeroProblem)
			return
		}
		*dst = dur
		if set != nil {
			*set = true
		}
	}
}

// reject reports a value that could not be decoded and remembers the
// field, so that Validate does not add a second, confusing error (such as
// "required") about the same field.
func (d *decoder) reject(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.errorf(n.Line, fieldName(path), format, args...)
}

func (d *decoder) errorf(line int, field, format string, args ...any) {
	d.errs = append(d.errs, FieldError{File: d.file, Line: line, Field: field, Message: oneLine(fmt.Sprintf(format, args...))})
}

// reported tells whether the decoder already rejected field or a field
// containing it.
func (d *decoder) reported(field string) bool {
	for p := field; ; p = parentPath(p) {
		if d.bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what was found instead of the expected value, for errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		s := Redact(n.Value)
		if r := []rune(s); len(r) > 40 {
			s = string(r[:40]) + "..."
		}
		return strconv.Quote(s)
	}
	return "an alias"
}

var plainKey = regexp.MustCompile(`^([A-Za-z0-9_-]+|<<)$`)

// keyName quotes keys that would make the dotted field path ambiguous or
// spill over more than one line.
func keyName(k string) string {
	if plainKey.MatchString(k) {
		return k
	}
	return strconv.Quote(k)
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// parentPath strips the last ".key" or "[index]" from a field path.
func parentPath(p string) string {
	i := max(strings.LastIndex(p, "."), strings.LastIndex(p, "["))
	if i < 0 {
		return ""
	}
	return p[:i]
}

// fieldName is the name used in messages; the document itself has no key.
func fieldName(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")
}
