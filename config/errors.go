package config

import (
	"sort"
	"strconv"
	"strings"
)

// FieldError is one problem in a configuration. Line is 0 when the
// configuration was built in code or the problem has no place in the file.
type FieldError struct {
	File    string
	Line    int
	Field   string
	Message string
}

// Error formats the problem as "file:line: field: message", the form
// editors and terminals recognise as a jump target.
func (e FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	b.WriteString(e.Field + ": " + e.Message)
	return b.String()
}

// Errors is every problem found in one configuration, so that an operator
// can fix them all in one pass instead of one per run.
type Errors []FieldError

// Error puts one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sortByLine keeps the discovery order among problems of the same line, so
// a type error stays in front of the consequences it may have.
func (es Errors) sortByLine() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
}

// orNil avoids handing back a non-nil error interface that holds an empty list.
func (es Errors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
