package config

import (
	"errors"
	"testing"
)

// FuzzParse checks that no input makes Parse panic and that every failure
// is reported in the file:line: field: message form check-config prints.
func FuzzParse(f *testing.F) {
	// Arbitrary input must not make Validate probe or write to arbitrary
	// folders of the machine running the fuzzer.
	saved := writableCheck
	writableCheck = func(string) error { return nil }
	f.Cleanup(func() { writableCheck = saved })

	f.Add([]byte("storage: {path: ./data}\ncameras:\n  - id: a\n    facility: f\n    url: rtsp://u:p@h/x\n"))
	f.Add([]byte("storage:\n  path: ./data\n fsync: off\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err == nil {
			if c == nil || c.Location == nil {
				t.Fatalf("no error but config %+v", c)
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
		}
		for _, e := range errs {
			if e.Field == "" || e.Message == "" {
				t.Fatalf("incomplete error %#v", e)
			}
		}
	})
}
